using System.Text.Json;
using JepaSharp.Engine.Optim;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Models;
using JepaSharp.Jepa.Training;

namespace JepaSharp.Interop.Mapping;

/// <summary>The outcome of an import: where it went, what the file was, and what was derived rather than read.</summary>
public sealed record ImportResult(string OutDir, string CheckpointDir, CheckpointLayout Layout, InferredArchitecture Architecture, IReadOnlyList<string> Notes);

/// <summary>
/// Turns any supported weights file (official .pth, HF/timm safetensors or .pth, a JepaSharp
/// checkpoint) into a JepaSharp run directory — config.yaml plus checkpoints/step-00000000 —
/// that every verb (eval, features, viz, train --resume) accepts, and loads such files into an
/// existing model for <c>train --init</c>.
/// </summary>
public static class CheckpointImporter
{
    public const string ReportFile = "import.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Opens and maps a file and infers its architecture (what <c>jepa inspect</c> shows).</summary>
    public static (CheckpointFile File, MappedWeights Weights, InferredArchitecture Architecture) Open(string sourcePath, ArchitectureOptions options)
    {
        var file = CheckpointFile.Open(sourcePath);
        try
        {
            var weights = KeyMapping.Map(file);
            return (file, weights, ArchitectureInference.Infer(weights, file, options));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public static ImportResult Import(string sourcePath, string outDir, ArchitectureOptions options)
    {
        if (Checkpoints.Latest(outDir) is { } existing)
            throw new InvalidOperationException($"'{outDir}' already holds a run (checkpoint {existing}); choose another --out");
        var (file, weights, architecture) = Open(sourcePath, options);
        using (file)
        {
            // Only the architecture is known; data and masking keep the official defaults until
            // a train command sets (and validates) them.
            var config = architecture.ToConfig(options.Seed);
            using var model = ModelFactory.CreateModel(config);
            var load = WeightLoader.LoadInto(weights, model, file.Path);
            var notes = Notes(weights, architecture, load, options.Seed);

            Directory.CreateDirectory(outDir);
            config.Save(Path.Combine(outDir, "config.yaml"));
            var state = new TrainingState { Step = 0, LoaderEpoch = 0, LoaderBatch = 0, LastLoss = 0, Seed = options.Seed, Config = config.ToYaml() };
            string checkpoint = Checkpoints.Save(outDir, model, new AdamW(model.EncoderParameters), new AdamW(model.PredictorParameters), state);
            var report = new
            {
                Source = Path.GetFullPath(file.Path),
                Container = file.Container.ToString(),
                Layout = weights.Layout.ToString(),
                Architecture = architecture,
                Notes = notes,
                ImportedAtUtc = DateTime.UtcNow,
            };
            string reportPath = Path.Combine(outDir, ReportFile);
            File.WriteAllText(reportPath + ".tmp", JsonSerializer.Serialize(report, Json));
            File.Move(reportPath + ".tmp", reportPath, overwrite: true);
            return new ImportResult(outDir, checkpoint, weights.Layout, architecture, notes);
        }
    }

    /// <summary>Loads a weights file into a model built from a config (train --init); positions are interpolated to the model's grid.</summary>
    public static IReadOnlyList<string> LoadInto(string sourcePath, IJepaModel model)
    {
        using var file = CheckpointFile.Open(sourcePath);
        var weights = KeyMapping.Map(file);
        var load = WeightLoader.LoadInto(weights, model, file.Path);
        var notes = new List<string>(weights.Notes);
        if (load.PredictorFresh) notes.Add("the file has no predictor: the predictor keeps its fresh initialisation");
        if (load.TargetFromEncoder) notes.Add("the file has one encoder: the target encoder starts as a copy of it");
        notes.AddRange(load.Interpolated.Select(i => "interpolated " + i));
        return notes;
    }

    private static List<string> Notes(MappedWeights weights, InferredArchitecture architecture, LoadReport load, int seed)
    {
        var notes = new List<string>(weights.Notes) { $"attention heads: {architecture.Heads} ({architecture.HeadsSource})" };
        if (load.PredictorFresh) notes.Add($"the file has no predictor: a fresh one ({architecture.PredictorDim}-d x {architecture.PredictorDepth}) was initialised with seed {seed}");
        if (load.TargetFromEncoder) notes.Add("the file has one encoder: target_encoder = encoder");
        notes.AddRange(load.Interpolated.Select(i => "interpolated " + i + " (bicubic, no class token)"));
        if (weights.Unmapped.Count > 0) notes.Add($"{weights.Unmapped.Count} tensors are not model weights and were skipped (e.g. '{weights.Unmapped[0]}')");
        return notes;
    }
}
