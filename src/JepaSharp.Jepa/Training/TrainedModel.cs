using JepaSharp.Engine.IO;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Models;

namespace JepaSharp.Jepa.Training;

/// <summary>A model rebuilt from a checkpoint, with the config it was trained with.</summary>
public sealed class TrainedModel : IDisposable
{
    public TrainConfig Config { get; }
    public IJepaModel Model { get; }
    /// <summary>The model.safetensors the weights came from, or null for an untrained (random-init) model.</summary>
    public string? WeightsPath { get; }
    public long Step { get; }

    private TrainedModel(TrainConfig config, IJepaModel model, string? weightsPath, long step)
    {
        Config = config;
        Model = model;
        WeightsPath = weightsPath;
        Step = step;
    }

    /// <summary>
    /// Loads a run directory (its latest checkpoint), a checkpoint folder, or a model.safetensors
    /// written by JepaSharp (the config travels in the file's metadata).
    /// </summary>
    public static TrainedModel Load(string path)
    {
        string weights = ResolveWeights(path);
        string yaml;
        long step;
        using (var file = SafetensorsFile.Open(weights))
        {
            if (!file.Metadata.TryGetValue("format", out var format) || format != Checkpoints.FormatName || !file.Metadata.TryGetValue("config", out yaml!))
                throw new InvalidDataException($"'{weights}' is not a JepaSharp I-JEPA checkpoint (no '{Checkpoints.FormatName}' format and config in its metadata)");
            step = long.TryParse(file.Metadata.GetValueOrDefault("step"), out var s) ? s : 0;
        }
        var config = ConfigLoader.Parse(yaml, weights);
        var model = ModelFactory.CreateModel(config);
        try
        {
            Checkpoints.LoadModel(weights, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new TrainedModel(config, model, weights, step);
    }

    /// <summary>The same architecture at its initialisation (same seed): the "random" baseline.</summary>
    public static TrainedModel RandomInit(TrainConfig config) => new(config, ModelFactory.CreateModel(config), null, 0);

    /// <summary>The model.safetensors a path names: the file itself, a checkpoint folder's, or a run directory's latest.</summary>
    public static string ResolveWeights(string path)
    {
        if (File.Exists(path)) return path;
        if (!Directory.Exists(path)) throw new FileNotFoundException($"checkpoint '{path}' does not exist", path);
        string direct = Path.Combine(path, Checkpoints.ModelFile);
        if (File.Exists(direct)) return direct;
        string? latest = Checkpoints.Latest(path);
        if (latest != null) return Path.Combine(latest, Checkpoints.ModelFile);
        throw new FileNotFoundException($"'{path}' is neither a run directory with checkpoints nor a checkpoint folder (no {Checkpoints.ModelFile})", path);
    }

    public void Dispose() => Model.Dispose();
}
