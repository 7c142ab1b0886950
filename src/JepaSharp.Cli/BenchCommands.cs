using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using JepaSharp.Bench;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Cli;

/// <summary><c>jepa bench …</c>: throughput figures with their yardsticks measured in the same run.</summary>
public static class BenchCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var bench = new Command("bench", "Measure kernel and training throughput against a yardstick measured in the same run.");
        bench.Subcommands.Add(Gemm());
        bench.Subcommands.Add(BlockCommand());
        bench.Subcommands.Add(TrainCommand());
        bench.Subcommands.Add(LoadCommand());
        bench.Subcommands.Add(OpenBlasWorker());
        return bench;
    }

    private static Command Gemm()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var noBlas = new Option<bool>("--no-openblas") { Description = "Skip the OpenBLAS yardstick." };
        var shapes = new Option<string?>("--shapes") { Description = "Semicolon-separated M,K,N triples (default: the ViT shapes and 1024^3)." };
        var layout = LayoutOption();
        var cmd = new Command("gemm", "SGEMM GFLOP/s on ViT shapes (Y = X·Wᵀ, 2 threads, median after warm-up) vs OpenBLAS.") { json, noBlas, shapes, layout };
        cmd.SetAction(parse =>
        {
            var list = WithLayout(ParseShapes(parse.GetValue(shapes)) ?? GemmBenchmark.DefaultShapes, parse.GetValue(layout)!);
            bool asJson = parse.GetValue(json);
            var pool = WorkerPool.Shared;
            var results = GemmBenchmark.Run(list, pool, parse.GetValue(noBlas) ? null : ChildProcess,
                asJson ? null : Console.WriteLine);
            var report = new
            {
                threads = pool.Threads,
                kernel = JepaSharp.Engine.Kernels.Gemm.Sgemm.Kernel.ToString(),
                layout = $"{parse.GetValue(layout)}: C[M,N] = op(A)[M,K] * op(B)[K,N], row-major, N = as stored, T = transposed",
                repeats = GemmBenchmark.Repeats,
                results,
            };
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(report, Indented));
                return 0;
            }
            Console.WriteLine($"{"shape (M,K,N)",-22}{"jepa GFLOP/s",14}{"OpenBLAS",12}{"ratio",8}  OpenBLAS core");
            foreach (var r in results)
                Console.WriteLine($"{r.Shape,-22}{r.JepaGflops,14:F1}{r.OpenBlasGflops,12:F1}{r.Ratio,8:F3}  {r.OpenBlasConfig}");
            return 0;
        });
        return cmd;
    }

    private static string TorchNotMeasured(bool skipped) => skipped ? "PyTorch skipped (--no-torch)" : "PyTorch not measured (see the line above)";

    private static Command BlockCommand()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var noTorch = new Option<bool>("--no-torch") { Description = "Skip the PyTorch yardstick." };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 128, Description = "Images per batch." };
        var tokens = new Option<int>("--tokens") { DefaultValueFactory = _ => 49, Description = "Tokens per image." };
        var dim = new Option<int>("--dim") { DefaultValueFactory = _ => 192, Description = "Embedding width." };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 3, Description = "Attention heads." };
        var profile = new Option<bool>("--profile") { Description = "Also print time per op (forward and backward)." };
        var cmd = new Command("block", "One pre-norm ViT block forward+backward (default 128 x 49 tokens x 192) vs PyTorch.") { json, noTorch, batch, tokens, dim, heads, profile };
        cmd.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            var r = BlockBenchmark.Run(parse.GetValue(batch), parse.GetValue(tokens), parse.GetValue(dim), parse.GetValue(heads),
                !parse.GetValue(noTorch), asJson ? null : Console.WriteLine, parse.GetValue(profile));
            Console.WriteLine(asJson ? JsonSerializer.Serialize(new { threads = WorkerPool.Shared.Threads, result = r }, Indented)
                : $"jepa {r.JepaMs} ms/step ({r.JepaGflops} GFLOP/s)   " + (r.TorchMs is null ? TorchNotMeasured(parse.GetValue(noTorch))
                    : $"PyTorch {r.TorchMs} ms/step [{r.TorchConfig}]   speed-up {r.Speedup}x"));
            return 0;
        });
        return cmd;
    }

    private static Command TrainCommand()
    {
        var config = new Option<string>("--config") { DefaultValueFactory = _ => "fmnist-tiny", Description = "Built-in config or YAML file." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var noTorch = new Option<bool>("--no-torch") { Description = "Skip the PyTorch yardstick." };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 12, Description = "Timed steps (median reported) after warm-up." };
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 2, Description = "Alternating rounds of ours and PyTorch's steps; each side's best round is reported." };
        var profile = new Option<bool>("--profile") { Description = "Also print time per op (forward and backward)." };
        var cmd = new Command("train", "Steady-state images/s and peak memory of full I-JEPA training steps vs PyTorch (tools/ijepa_torch.py). "
            + "Config keys can be overridden as --section.key value, for both sides.") { config, json, noTorch, steps, rounds, profile };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            var r = TrainBenchmark.Run(parse.GetValue(config)!, parse.GetValue(steps), !parse.GetValue(noTorch), parse.GetValue(profile), asJson ? null : Console.WriteLine,
                parse.GetValue(rounds), JepaSharp.Cli.TrainCommand.Overrides(parse.UnmatchedTokens));
            Console.WriteLine(asJson
                ? JsonSerializer.Serialize(new { threads = WorkerPool.Shared.Threads, result = r with { Profile = null } }, Indented)
                : $"jepa {r.JepaImagesPerSecond} img/s, {r.JepaPeakRssMb} MB (activations {r.JepaArenaMb} MB)   " + (r.TorchImagesPerSecond is null ? TorchNotMeasured(parse.GetValue(noTorch))
                    : $"PyTorch {r.TorchImagesPerSecond} img/s, {r.TorchPeakRssMb} MB [{r.TorchConfig}]   speed-up {r.Speedup}x, memory {r.MemoryRatio}x"));
            return 0;
        });
        return cmd;
    }

    private static Command LoadCommand()
    {
        var size = new Option<int>("--size-mb") { DefaultValueFactory = _ => 1024, Description = "Size of the temporary safetensors file." };
        var dir = new Option<string>("--dir") { DefaultValueFactory = _ => Path.GetTempPath(), Description = "Folder for the temporary file (the disk measured)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var cmd = new Command("load", "safetensors load MB/s (header + float32 conversion into model memory) vs a plain sequential read of the same file.") { size, dir, json };
        cmd.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            var r = LoadBenchmark.Run(parse.GetValue(size), parse.GetValue(dir)!, asJson ? null : Console.Error.WriteLine);
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(r, Indented));
                return 0;
            }
            foreach (var (label, f) in new[] { ("cold", r.Cold), ("warm", r.Warm) })
                if (f is not null)
                    Console.WriteLine($"{label}: load {f.LoadMbPerSecond:F0} MB/s   plain read {f.ReadMbPerSecond:F0} MB/s   load/read {f.Ratio:F2}   managed allocation during load {f.ManagedBytesAllocated / 1e6:F2} MB");
            Console.WriteLine($"{r.SizeMb:F0} MB, {r.Tensors} tensors");
            return 0;
        });
        return cmd;
    }

    private static Command OpenBlasWorker()
    {
        var shapes = new Option<string>("--shapes") { Required = true };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => WorkerPool.DefaultThreadCount() };
        var layout = LayoutOption();
        var cmd = new Command("openblas-worker", "(internal) measure OpenBLAS in this process's environment") { shapes, threads, layout };
        cmd.Hidden = true;
        cmd.SetAction(parse =>
        {
            Console.WriteLine(GemmBenchmark.OpenBlasWorker(WithLayout(ParseShapes(parse.GetValue(shapes))!, parse.GetValue(layout)!), parse.GetValue(threads)));
            return 0;
        });
        return cmd;
    }

    private static Option<string> LayoutOption() => new("--layout")
    {
        Description = "Operand layout: NT (Linear forward, default), NN (input gradient dY·W), TN (weight gradient dYᵀ·X), TT.",
        DefaultValueFactory = _ => "NT",
    };

    private static GemmShape[] WithLayout(GemmShape[] shapes, string layout)
    {
        if (layout.Length != 2 || "NT".IndexOf(char.ToUpperInvariant(layout[0])) < 0 || "NT".IndexOf(char.ToUpperInvariant(layout[1])) < 0)
            throw new ArgumentException($"--layout: '{layout}' is not one of NN, NT, TN, TT");
        bool ta = char.ToUpperInvariant(layout[0]) == 'T', tb = char.ToUpperInvariant(layout[1]) == 'T';
        return shapes.Select(s => s with { TransA = ta, TransB = tb }).ToArray();
    }

    private static GemmShape[]? ParseShapes(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return text.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(t =>
        {
            var p = t.Split(',');
            if (p.Length != 3 || !int.TryParse(p[0], out int m) || !int.TryParse(p[1], out int k) || !int.TryParse(p[2], out int n) || m <= 0 || k <= 0 || n <= 0)
                throw new ArgumentException($"--shapes: '{t}' is not a positive M,K,N triple");
            return new GemmShape(m, k, n);
        }).ToArray();
    }

    /// <summary>A command line that re-runs this executable with the given arguments.</summary>
    private static ProcessStartInfo ChildProcess(string shapes, string layout)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!);
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            psi.ArgumentList.Add(typeof(BenchCommands).Assembly.Location);
        foreach (var a in new[] { "bench", "openblas-worker", "--shapes", shapes, "--layout", layout }) psi.ArgumentList.Add(a);
        return psi;
    }
}
