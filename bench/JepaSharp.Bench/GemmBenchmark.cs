using System.Diagnostics;
using System.Text.Json;
using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Memory;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Bench;

/// <summary>One GEMM shape C[M,N] = op(A)·op(B) with op(A) [M,K], op(B) [K,N]; the default layout is Linear's forward, X·Wᵀ.</summary>
public readonly record struct GemmShape(int M, int K, int N, bool TransA = false, bool TransB = true)
{
    public double Flops => 2.0 * M * K * N;
    public int Lda => TransA ? M : K;
    public int Ldb => TransB ? K : N;
    public string Layout => $"{(TransA ? 'T' : 'N')}{(TransB ? 'T' : 'N')}";
    public override string ToString() => $"({M},{K},{N})";
}

public sealed record GemmResult(string Shape, string Layout, int M, int K, int N, double JepaGflops, double? OpenBlasGflops, string? OpenBlasConfig, double? Ratio);

/// <summary>
/// GFLOP/s of our SGEMM on the ViT shapes, with OpenBLAS measured in the same run. OpenBLAS runs in
/// child processes (once with the environment's OPENBLAS_CORETYPE, once with it unset) and its best
/// figure per shape is the yardstick.
/// </summary>
public static unsafe class GemmBenchmark
{
    public static readonly GemmShape[] DefaultShapes =
    [
        new(6272, 192, 576), new(6272, 192, 768), new(6272, 768, 192), new(1024, 1024, 1024),
    ];

    public const int Repeats = 15;

    /// <summary>Median GFLOP/s of <paramref name="gemm"/> (given A, B, C) on one shape.</summary>
    public static double Measure(GemmShape s, Action<nint, nint, nint> gemm)
    {
        using var a = new NativeBuffer((long)s.M * s.K);
        using var b = new NativeBuffer((long)s.K * s.N);
        using var c = new NativeBuffer((long)s.M * s.N);
        var rng = new Random(1);
        foreach (var buf in new[] { a, b })
        {
            var span = buf.AsSpan();
            for (int i = 0; i < span.Length; i++) span[i] = (float)(rng.NextDouble() - 0.5);
        }
        double seconds = Timing.MedianSeconds(() => gemm((nint)a.Pointer, (nint)b.Pointer, (nint)c.Pointer), warmup: 3, repeats: Repeats);
        return s.Flops / seconds / 1e9;
    }

    public static double MeasureJepa(GemmShape s, WorkerPool pool)
        => Measure(s, (a, b, c) => Sgemm.Run(s.TransA, s.TransB, s.M, s.N, s.K, 1f, (float*)a, s.Lda, (float*)b, s.Ldb, 0f, (float*)c, s.N, pool));

    public static double MeasureOpenBlas(GemmShape s)
        => Measure(s, (a, b, c) => OpenBlas.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, (float*)a, s.Lda, (float*)b, s.Ldb, 0f, (float*)c, s.N));

    /// <summary>Runs in a child process: OpenBLAS GFLOP/s per shape as one JSON object.</summary>
    public static string OpenBlasWorker(IReadOnlyList<GemmShape> shapes, int threads)
    {
        if (!OpenBlas.TryLoad(out var error)) return JsonSerializer.Serialize(new { error });
        OpenBlas.SetThreads(threads);
        var gflops = shapes.Select(MeasureOpenBlas).ToArray();
        return JsonSerializer.Serialize(new { core = OpenBlas.CoreName, gflops });
    }

    /// <summary>Best OpenBLAS figure per shape over each installed build (pthread, OpenMP) × the environment's core type and the auto-detected one.</summary>
    public static (double[]? Gflops, string[]? Config, string? Note) OpenBlasYardstick(IReadOnlyList<GemmShape> shapes, int threads, Func<string, string, ProcessStartInfo> childCommand)
    {
        double[]? best = null;
        string[]? config = null;
        string? note = null;
        var envCore = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        var coretypes = new List<string?> { null };
        if (!string.IsNullOrEmpty(envCore)) coretypes.Add(envCore);
        // Debian ships a pthread and an OpenMP build; whichever is installed may be the faster one here.
        var builds = new[] { "openblas-pthread", "openblas-openmp" }
            .Select(b => Path.Combine("/usr/lib/x86_64-linux-gnu", b)).Where(Directory.Exists).DefaultIfEmpty(null).ToList();
        foreach (var (build, coretype) in builds.SelectMany(b => coretypes.Select(c => (b, c))))
        {
            var psi = childCommand(string.Join(';', shapes.Select(s => $"{s.M},{s.K},{s.N}")), shapes[0].Layout);
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            psi.Environment.Remove("OPENBLAS_CORETYPE");
            if (coretype != null) psi.Environment["OPENBLAS_CORETYPE"] = coretype;
            if (build != null) psi.Environment["LD_LIBRARY_PATH"] = build;
            psi.Environment["OMP_NUM_THREADS"] = threads.ToString();
            psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString();
            using var p = Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            using var doc = JsonDocument.Parse(stdout.Trim().Split('\n').Last());
            if (doc.RootElement.TryGetProperty("error", out var err))
            {
                note = err.GetString();
                continue;
            }
            string label = $"{doc.RootElement.GetProperty("core").GetString()} {Path.GetFileName(build) ?? "default"}{(coretype == null ? " (auto)" : " (OPENBLAS_CORETYPE=" + coretype + ")")}";
            var values = doc.RootElement.GetProperty("gflops").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            best ??= new double[values.Length];
            config ??= new string[values.Length];
            for (int i = 0; i < values.Length; i++)
                if (values[i] > best[i])
                {
                    best[i] = values[i];
                    config[i] = label;
                }
        }
        return (best, config, note);
    }

    public static List<GemmResult> Run(IReadOnlyList<GemmShape> shapes, WorkerPool pool, Func<string, string, ProcessStartInfo>? openBlasChild, Action<string>? log = null)
    {
        var jepa = new double[shapes.Count];
        for (int i = 0; i < shapes.Count; i++)
        {
            jepa[i] = MeasureJepa(shapes[i], pool);
            log?.Invoke($"jepa {shapes[i]}: {jepa[i]:F1} GFLOP/s");
        }
        double[]? blas = null;
        string[]? config = null;
        if (openBlasChild != null)
        {
            (blas, config, var note) = OpenBlasYardstick(shapes, pool.Threads, openBlasChild);
            if (note != null) log?.Invoke($"openblas: {note}");
        }
        return shapes.Select((s, i) => new GemmResult(s.ToString(), s.Layout, s.M, s.K, s.N, Math.Round(jepa[i], 1),
            blas == null ? null : Math.Round(blas[i], 1), config?[i],
            blas == null ? null : Math.Round(jepa[i] / blas[i], 3))).ToList();
    }
}
