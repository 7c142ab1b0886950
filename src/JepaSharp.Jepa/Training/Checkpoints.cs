using System.Text.Json;
using JepaSharp.Engine.IO;
using JepaSharp.Engine.Optim;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;
using JepaSharp.Jepa.Models;

namespace JepaSharp.Jepa.Training;

/// <summary>Where a run stands when its checkpoint is written; enough, with the weights and optimizer state, to continue it exactly.</summary>
public sealed record TrainingState
{
    /// <summary>Completed optimizer steps.</summary>
    public required long Step { get; init; }
    /// <summary>The loader position of the next batch.</summary>
    public required int LoaderEpoch { get; init; }
    public required int LoaderBatch { get; init; }
    public required double LastLoss { get; init; }
    public required int Seed { get; init; }
    /// <summary>The fully resolved config the run trains with (YAML).</summary>
    public required string Config { get; init; }
    public DateTime SavedAtUtc { get; init; } = DateTime.UtcNow;
    public string Format { get; init; } = Checkpoints.FormatName;
}

/// <summary>Why checkpoints/best is the best: the step it was written at and its score.</summary>
public sealed record BestEvaluation(long Step, string ScoreName, double Score)
{
    public override string ToString() => $"step {Step}, {ScoreName} {Score:G4}";
}

/// <summary>
/// Checkpoints of a run directory: <c>checkpoints/step-NNNNNNNN/</c> holds <c>model.safetensors</c>
/// (keys <c>encoder.*</c>, <c>predictor.*</c>, <c>target_encoder.*</c>, the official three state
/// dicts), <c>optimizer.safetensors</c> (AdamW moments as flat buffers) and <c>state.json</c>;
/// <c>checkpoints/latest</c> names the newest complete one. Each checkpoint is written into a
/// temporary folder and renamed into place, and <c>latest</c> is replaced by rename, so a
/// process killed at any moment leaves the previous checkpoint intact and current.
/// </summary>
public static class Checkpoints
{
    public const string FormatName = "jepasharp-ijepa-1";
    public const string ModelFile = "model.safetensors";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string StateFile = "state.json";
    private const string LatestFile = "latest";
    public const string BestFolder = "best";
    public const string BestEvaluationFile = "best.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Folder(string runDir) => Path.Combine(runDir, "checkpoints");

    /// <summary>Writes a checkpoint and returns its folder; keeps the newest <paramref name="keep"/>.</summary>
    public static string Save(string runDir, IJepaModel model, AdamW encoderOptimizer, AdamW predictorOptimizer, TrainingState state, int keep = 3)
    {
        string root = Folder(runDir);
        Directory.CreateDirectory(root);
        string name = $"step-{state.Step:D8}";
        string final = Path.Combine(root, name);
        string temp = Path.Combine(root, $".tmp-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            WriteModel(Path.Combine(temp, ModelFile), model, state);
            var opt = new SafetensorsWriter();
            foreach (var (prefix, adam) in new[] { ("encoder.", encoderOptimizer), ("predictor.", predictorOptimizer) })
            {
                opt.Add(prefix + "exp_avg", new Shape((int)adam.ExpAvg.Length), adam.ExpAvg.AsSpan());
                opt.Add(prefix + "exp_avg_sq", new Shape((int)adam.ExpAvgSq.Length), adam.ExpAvgSq.AsSpan());
                opt.Add(prefix + "step", new Shape(), [adam.StepCount]);
            }
            opt.Save(Path.Combine(temp, OptimizerFile));
            WriteAtomically(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, Json));
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        WriteAtomically(Path.Combine(root, LatestFile), name + "\n");
        Prune(root, keep, name);
        return final;
    }

    /// <summary>model.safetensors with the config embedded, so the file alone rebuilds the model.</summary>
    public static void WriteModel(string path, IJepaModel model, TrainingState state)
    {
        var writer = new SafetensorsWriter();
        foreach (var (prefix, set) in model.StateDicts())
            foreach (var slot in set.Slots) writer.Add(prefix + slot.Name, slot.Tensor);
        writer.AddMetadata("format", FormatName);
        writer.AddMetadata("step", state.Step.ToString(System.Globalization.CultureInfo.InvariantCulture));
        writer.AddMetadata("config", state.Config);
        writer.Save(path);
    }

    /// <summary>The newest complete checkpoint folder of a run, or null when it has none.</summary>
    public static string? Latest(string runDir)
    {
        string pointer = Path.Combine(Folder(runDir), LatestFile);
        if (!File.Exists(pointer)) return null;
        string name = File.ReadAllText(pointer).Trim();
        string dir = Path.Combine(Folder(runDir), name);
        if (name.Length == 0 || name.Contains('/') || !Directory.Exists(dir))
            throw new InvalidDataException($"checkpoint pointer '{pointer}' names '{name}', which is not a checkpoint folder in {Folder(runDir)}");
        return dir;
    }

    /// <summary>checkpoints/best of a run (the best-scoring evaluated checkpoint), or null when none was kept.</summary>
    public static string? Best(string runDir)
    {
        string dir = Path.Combine(Folder(runDir), BestFolder);
        return Directory.Exists(dir) ? dir : null;
    }

    /// <summary>
    /// Copies a checkpoint folder to checkpoints/best with the evaluation that earned it: the copy is built in a
    /// temporary folder and swapped in by rename, so a kill leaves the previous best or the new one, never a mix.
    /// </summary>
    public static string PromoteBest(string runDir, string checkpointDir, BestEvaluation evaluation)
    {
        string root = Folder(runDir);
        string final = Path.Combine(root, BestFolder);
        string temp = Path.Combine(root, $".tmp-{BestFolder}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            foreach (string file in Directory.GetFiles(checkpointDir)) File.Copy(file, Path.Combine(temp, Path.GetFileName(file)));
            WriteAtomically(Path.Combine(temp, BestEvaluationFile), JsonSerializer.Serialize(evaluation, Json));
            string old = Path.Combine(root, $".tmp-old-{BestFolder}-{Guid.NewGuid():N}");
            if (Directory.Exists(final)) Directory.Move(final, old);
            Directory.Move(temp, final);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        return final;
    }

    public static BestEvaluation ReadBestEvaluation(string bestDir)
    {
        string path = Path.Combine(bestDir, BestEvaluationFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"best checkpoint '{bestDir}' has no {BestEvaluationFile}", path);
        try
        {
            return JsonSerializer.Deserialize<BestEvaluation>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"'{path}' holds null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a best-checkpoint record: {e.Message}");
        }
    }

    public static TrainingState ReadState(string checkpointDir)
    {
        string path = Path.Combine(checkpointDir, StateFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint '{checkpointDir}' has no {StateFile}", path);
        TrainingState? state;
        try
        {
            state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"checkpoint state '{path}' is not valid: {e.Message}");
        }
        if (state is null || state.Format != FormatName)
            throw new InvalidDataException($"checkpoint state '{path}' has format '{state?.Format}', expected '{FormatName}'");
        return state;
    }

    /// <summary>Loads weights (and, when given, optimizer moments) of a checkpoint into a model built from the same config.</summary>
    public static TrainingState Load(string checkpointDir, IJepaModel model, AdamW? encoderOptimizer = null, AdamW? predictorOptimizer = null)
    {
        var state = ReadState(checkpointDir);
        LoadModel(Path.Combine(checkpointDir, ModelFile), model);
        if (encoderOptimizer is null || predictorOptimizer is null) return state;
        string optPath = Path.Combine(checkpointDir, OptimizerFile);
        using var opt = SafetensorsFile.Open(optPath);
        foreach (var (prefix, adam) in new[] { ("encoder.", encoderOptimizer), ("predictor.", predictorOptimizer) })
        {
            var m = opt.ReadFloat32(prefix + "exp_avg");
            var v = opt.ReadFloat32(prefix + "exp_avg_sq");
            long step = opt.ReadInt64(prefix + "step")[0];
            if (m.Length != adam.ExpAvg.Length || v.Length != adam.ExpAvgSq.Length)
                throw new InvalidDataException($"'{optPath}': {prefix}exp_avg has {m.Length} values but the model's optimizer needs {adam.ExpAvg.Length} (different architecture?)");
            adam.LoadState(step, m, v);
        }
        return state;
    }

    /// <summary>Copies every tensor of the model's three state dicts from a model.safetensors, checking names and shapes.</summary>
    public static void LoadModel(string path, IJepaModel model)
    {
        using var file = SafetensorsFile.Open(path);
        foreach (var (prefix, set) in model.StateDicts()) LoadInto(file, prefix, set);
    }

    public static void LoadInto(SafetensorsFile file, string prefix, ParameterSet set)
    {
        foreach (var slot in set.Slots)
        {
            string key = prefix + slot.Name;
            if (!file.Contains(key)) throw new InvalidDataException($"'{file.Path}' has no tensor '{key}' (is it a checkpoint of this architecture?)");
            var entry = file.GetEntry(key);
            if (!entry.Shape.SequenceEqual(slot.Tensor.Shape.ToArray()))
                throw new InvalidDataException($"'{file.Path}': tensor '{key}' has shape [{string.Join(", ", entry.Shape)}], the model expects {slot.Tensor.Shape}");
            file.ReadInto(key, slot.Tensor.Span);
        }
    }

    private static void WriteAtomically(string path, string text)
    {
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    private static void Prune(string root, int keep, string newest)
    {
        var steps = Directory.GetDirectories(root, "step-*").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        foreach (var old in steps.Take(Math.Max(0, steps.Count - keep)))
            if (old != newest) Directory.Delete(Path.Combine(root, old), recursive: true);
        foreach (var stale in Directory.GetDirectories(root, ".tmp-*")) Directory.Delete(stale, recursive: true);
    }
}
