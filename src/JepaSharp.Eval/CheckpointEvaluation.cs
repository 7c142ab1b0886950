using System.Text.Json;
using System.Text.Json.Serialization;
using JepaSharp.Data.Datasets;
using JepaSharp.Jepa.Training;

namespace JepaSharp.Eval;

/// <summary>A reference point evaluated through the same protocol as the pretrained encoder.</summary>
public enum Baseline
{
    /// <summary>The normalised pixels themselves.</summary>
    Raw,
    /// <summary>The same architecture at its initialisation (same seed), never trained.</summary>
    Random,
}

/// <summary>Every figure of one <c>jepa eval</c>: the checkpoint's and each baseline's evaluation report.</summary>
public sealed record CheckpointEvaluationResult(string Checkpoint, long Step, string Dataset, string Encoder, int LastBlocks,
    IReadOnlyDictionary<string, EvaluationReport> Results)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static CheckpointEvaluationResult FromJson(string json)
        => JsonSerializer.Deserialize<CheckpointEvaluationResult>(json, Json) ?? throw new InvalidDataException("empty evaluation JSON");
}

public static class CheckpointEvaluation
{
    /// <summary>
    /// Extracts features of the train and test splits and evaluates the checkpoint and each baseline. With
    /// <paramref name="alsoLastBlocks"/> = k > 1 the checkpoint is also evaluated on the concatenation of its last k
    /// blocks' pooled outputs (the ViT papers' usual probe input), as the row <c>pretrained_last_k_blocks</c>.
    /// </summary>
    public static CheckpointEvaluationResult Run(string checkpoint, string dataset, string? root, IReadOnlyCollection<Baseline> baselines,
        FeatureOptions features, EvaluationOptions evaluation, Action<string>? progress = null, int alsoLastBlocks = 0)
    {
        using var model = TrainedModel.Load(checkpoint);
        var train = DatasetLocator.Open(dataset, DatasetSplit.Train, root);
        var test = DatasetLocator.Open(dataset, DatasetSplit.Test, root);
        var results = new Dictionary<string, EvaluationReport>();

        results["pretrained"] = Evaluate(model, train, test, features, evaluation, "pretrained", progress);
        if (alsoLastBlocks > 1 && alsoLastBlocks != features.LastBlocks)
            results[$"pretrained_last_{alsoLastBlocks}_blocks"] = Evaluate(model, train, test, features with { LastBlocks = alsoLastBlocks }, evaluation,
                $"pretrained, last {alsoLastBlocks} blocks", progress);
        if (baselines.Contains(Baseline.Random))
        {
            using var random = TrainedModel.RandomInit(model.Config);
            results["random_init"] = Evaluate(random, train, test, features, evaluation, "random init", progress);
        }
        if (baselines.Contains(Baseline.Raw))
        {
            progress?.Invoke("raw pixels: building features");
            results["raw_pixels"] = Evaluator.Run(FeatureExtractor.Pixels(model, train), FeatureExtractor.Pixels(model, test), evaluation, progress);
        }
        return new CheckpointEvaluationResult(model.WeightsPath ?? checkpoint, model.Step, dataset, features.Encoder.ToString().ToLowerInvariant(),
            features.LastBlocks, results);
    }

    private static EvaluationReport Evaluate(TrainedModel model, IImageDataset train, IImageDataset test, FeatureOptions features,
        EvaluationOptions evaluation, string label, Action<string>? progress)
    {
        progress?.Invoke($"{label}: extracting features of {train.Name} and {test.Name}");
        var trainFeatures = FeatureExtractor.Extract(model, train, features);
        var testFeatures = FeatureExtractor.Extract(model, test, features);
        progress?.Invoke($"{label}: linear probe, k-NN, low-shot, collapse metrics");
        return Evaluator.Run(trainFeatures, testFeatures, evaluation, progress);
    }
}
