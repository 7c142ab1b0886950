using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using JepaSharp.Interop.Export;
using JepaSharp.Interop.Mapping;
using JepaSharp.Jepa.Training;

namespace JepaSharp.Cli;

/// <summary><c>jepa inspect / import / export</c>: official I-JEPA .pth files, Hugging Face / timm safetensors and our checkpoints, in and out.</summary>
public static class InteropCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record ArchitectureArguments(Option<int?> Heads, Option<int?> PredHeads, Option<int?> ImageSize, Option<int> PredDim, Option<int> PredDepth, Option<int> Seed)
    {
        public static ArchitectureArguments Create() => new(
            new Option<int?>("--heads") { Description = "Encoder attention heads (shapes cannot tell; default: config beside the file, else the official size of that width)." },
            new Option<int?>("--pred-heads") { Description = "Predictor attention heads (default: the encoder's, as the official code)." },
            new Option<int?>("--image-size") { Description = "Run at this resolution; position tables are interpolated (bicubic)." },
            new Option<int>("--pred-dim") { DefaultValueFactory = _ => 384, Description = "Width of a fresh predictor when the file has none." },
            new Option<int>("--pred-depth") { DefaultValueFactory = _ => 12, Description = "Depth of a fresh predictor when the file has none." },
            new Option<int>("--seed") { DefaultValueFactory = _ => 0, Description = "Seed of a fresh predictor and meta.seed of the imported run." });

        public IEnumerable<Option> All => [Heads, PredHeads, ImageSize, PredDim, PredDepth, Seed];

        public ArchitectureOptions Read(ParseResult parse) => new()
        {
            Heads = parse.GetValue(Heads),
            PredictorHeads = parse.GetValue(PredHeads),
            ImageSize = parse.GetValue(ImageSize),
            PredictorDim = parse.GetValue(PredDim),
            PredictorDepth = parse.GetValue(PredDepth),
            Seed = parse.GetValue(Seed),
        };
    }

    public static Command Inspect()
    {
        var file = new Argument<string>("file") { Description = "A .pth/.pt (zip or legacy), .safetensors, or a JepaSharp run/checkpoint folder." };
        var all = new Option<bool>("--all") { Description = "Also list tensors that are not model weights (optimizer state, heads…)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var arch = ArchitectureArguments.Create();
        var cmd = new Command("inspect", "Keys, shapes, dtypes, parameter counts and the inferred architecture of a weights file (nothing in it is executed).") { file, all, json };
        foreach (var option in arch.All) cmd.Options.Add(option);
        cmd.SetAction(parse =>
        {
            var (source, weights, architecture) = CheckpointImporter.Open(parse.GetValue(file)!, arch.Read(parse));
            using (source)
            {
                var counts = new[] { MappedWeights.Encoder, MappedWeights.Predictor, MappedWeights.TargetEncoder }
                    .ToDictionary(p => p.TrimEnd('.'), p => weights.Group(p).Values.Sum(t => t.Numel));
                // The optimizer state and an exported config are summarised elsewhere, not printed value by value.
                var values = source.Values.Where(v => !v.Name.StartsWith("opt.", StringComparison.Ordinal) && v.Name != ArchitectureInference.ConfigValueName).ToList();
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        File = source.Path,
                        Container = source.Container.ToString(),
                        Layout = weights.Layout.ToString(),
                        Values = values.ToDictionary(v => v.Name, v => Format(v.Value)),
                        Parameters = counts,
                        Architecture = architecture,
                        Notes = weights.Notes,
                        Tensors = weights.Tensors.Select(t => new { t.Key, t.DType, t.Shape, Sources = t.Sources.Select(s => s.Name) }),
                        Unmapped = weights.Unmapped,
                    }, Indented));
                    return 0;
                }
                Console.WriteLine($"file          {source.Path} ({new FileInfo(source.Path).Length / 1e6:F1} MB)");
                Console.WriteLine($"container     {source.Container}");
                Console.WriteLine($"layout        {weights.Layout}");
                if (values.Count > 0) Console.WriteLine($"values        {string.Join("  ", values.Select(v => $"{v.Name}={Format(v.Value)}"))}");
                Console.WriteLine($"tensors       {source.Tensors.Count} in the file: {weights.Tensors.Count} model weights, {weights.Unmapped.Count} other");
                Console.WriteLine($"parameters    {string.Join(", ", counts.Select(c => $"{c.Key} {Millions(c.Value)}"))}");
                Console.WriteLine($"architecture  {architecture}");
                foreach (var note in weights.Notes) Console.WriteLine($"note          {note}");
                if (!architecture.PredictorStored) Console.WriteLine("note          no predictor in the file: import initialises a fresh one");
                if (!architecture.TargetEncoderStored) Console.WriteLine("note          one encoder in the file: import uses it as target_encoder too");
                Console.WriteLine();
                foreach (var t in weights.Tensors)
                {
                    string from = t.Sources.Count == 1 && t.Sources[0].Name == t.Key ? "" : "  <- " + string.Join(" + ", t.Sources.Select(s => s.Name));
                    Console.WriteLine($"{t.Key,-52} {t.DType,-5} [{string.Join(", ", t.Shape)}]{from}");
                }
                if (parse.GetValue(all))
                    foreach (var name in weights.Unmapped)
                        if (source.TryGet(name, out var t)) Console.WriteLine($"{name,-52} {t.DType,-5} [{string.Join(", ", t.Shape)}]  (not a model weight)");
            }
            return 0;
        });
        return cmd;
    }

    public static Command Import()
    {
        var file = new Argument<string>("file") { Description = "An official I-JEPA .pth, a HF/timm safetensors or .pth, or a JepaSharp checkpoint." };
        var outDir = new Option<string>("--out") { Required = true, Description = "Run directory to create: config.yaml, checkpoints/step-00000000, import.json." };
        var arch = ArchitectureArguments.Create();
        var cmd = new Command("import", "Convert a weights file into a JepaSharp run directory that eval, features, viz and train --resume/--init accept.") { file, outDir };
        foreach (var option in arch.All) cmd.Options.Add(option);
        cmd.SetAction(parse =>
        {
            var result = CheckpointImporter.Import(parse.GetValue(file)!, parse.GetValue(outDir)!, arch.Read(parse));
            Console.WriteLine($"imported {result.Layout} weights -> {result.CheckpointDir}");
            Console.WriteLine($"architecture  {result.Architecture}");
            foreach (var note in result.Notes) Console.WriteLine($"note          {note}");
            return 0;
        });
        return cmd;
    }

    public static Command Export()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Run directory, checkpoint folder or model.safetensors." };
        var format = new Option<string>("--format") { Required = true, Description = "safetensors or pth (torch.save zip, official layout with 'module.' keys)." };
        format.AcceptOnlyFromAmong("safetensors", "pth");
        var output = new Option<string>("--out") { Required = true, Description = "File to write (atomically)." };
        var keys = new Option<string>("--keys") { DefaultValueFactory = _ => "jepa", Description = "safetensors names: jepa (all three networks), hf (IJepaModel encoder), timm (encoder)." };
        keys.AcceptOnlyFromAmong("jepa", "hf", "timm");
        var encoder = new Option<string>("--encoder") { DefaultValueFactory = _ => "target", Description = "Which encoder hf/timm exports carry: target (as the paper evaluates) or context (as HF/timm converted)." };
        encoder.AcceptOnlyFromAmong("target", "context");
        var cmd = new Command("export", "Write a checkpoint as safetensors or as a PyTorch .pth that torch.load and the official code read.") { checkpoint, format, output, keys, encoder };
        cmd.SetAction(parse =>
        {
            using var model = TrainedModel.Load(parse.GetValue(checkpoint)!);
            string path = parse.GetValue(output)!;
            if (parse.GetValue(format) == "pth")
            {
                if (parse.GetValue(keys) != "jepa") throw new ArgumentException("--keys applies to safetensors; pth exports use the official layout");
                CheckpointExporter.ToPth(model, path);
            }
            else
            {
                var kind = parse.GetValue(keys) switch { "hf" => ExportKeys.HuggingFace, "timm" => ExportKeys.Timm, _ => ExportKeys.JepaSharp };
                CheckpointExporter.ToSafetensors(model, path, kind, parse.GetValue(encoder) == "target");
            }
            Console.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1e6:F1} MB)");
            return 0;
        });
        return cmd;
    }

    private static string Millions(long count) => count >= 1_000_000 ? $"{count / 1e6:F2}M" : $"{count / 1e3:F1}K";

    private static string Format(object? value) => value switch
    {
        null => "None",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
