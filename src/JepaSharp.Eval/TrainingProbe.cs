using JepaSharp.Data.Datasets;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Models;
using JepaSharp.Jepa.Training;

namespace JepaSharp.Eval;

/// <summary>Size and cost of the evaluation run during training.</summary>
public sealed record TrainingProbeOptions
{
    /// <summary>Images taken from the start of the training split; a class-stratified sixth of them is held out for scoring.</summary>
    public int Images { get; init; } = 6000;
    public double HoldoutFraction { get; init; } = 1.0 / 6;
    /// <summary>One fixed λ (standardised features) instead of a grid: the figure tracks progress, it is not the final probe.</summary>
    public double Lambda { get; init; } = 1e-4;
    public int MaxIterations { get; init; } = 300;
    public int Seed { get; init; }
}

/// <summary>
/// The evaluation <c>--eval-every</c> runs while a model trains: target-encoder features of a fixed slice of the
/// *training* split, a linear probe and k-NN fitted on most of it and scored on a held-out part (so picking the best
/// checkpoint never looks at the test split), and the collapse metrics. About ten seconds at fmnist-small size.
/// </summary>
public sealed class TrainingProbe : ITrainingEvaluator
{
    private readonly TrainConfig _config;
    private readonly IImageDataset _images;
    private readonly TrainingProbeOptions _options;

    public TrainingProbe(TrainConfig config, IImageDataset trainSplit, TrainingProbeOptions? options = null)
    {
        _options = options ?? new TrainingProbeOptions();
        if (_options.Images < 20) throw new ArgumentOutOfRangeException(nameof(options), _options.Images, "the training probe needs at least 20 images");
        if (trainSplit.ClassCount < 2) throw new ArgumentException($"{trainSplit.Name} has no class labels, which the training probe needs");
        _config = config;
        _images = trainSplit.Count > _options.Images ? new SubsetDataset(trainSplit, _options.Images) : trainSplit;
    }

    /// <summary>The probe on the images <paramref name="config"/> trains on, or null (with the reason) when they have no labels.</summary>
    public static TrainingProbe? ForConfig(TrainConfig config, out string? whyNot)
    {
        var images = Trainer.OpenTrainingSet(config);
        whyNot = images.ClassCount < 2 ? $"{images.Name} has no class labels, so nothing can be probed during training" : null;
        return whyNot is null ? new TrainingProbe(config, images) : null;
    }

    public TrainingEvaluation Evaluate(IJepaModel model, long step)
    {
        var features = FeatureExtractor.Extract(model.TargetEncoder, FeatureExtractor.EvalPipeline(_config), _images, new FeatureOptions());
        var (fitIndices, holdoutIndices) = StratifiedSampling.Holdout(features.Labels, features.ClassCount, _options.HoldoutFraction, _options.Seed);
        var fit = features.Subset(fitIndices);
        var holdout = features.Subset(holdoutIndices);

        var standardizer = Standardizer.Fit(fit);
        var probe = LinearProbe.Train(standardizer.Transform(fit), _options.Lambda, new LinearProbeOptions { MaxIterations = _options.MaxIterations });
        double probeAccuracy = probe.Classifier.Accuracy(standardizer.Transform(holdout));
        var knn = new KnnClassifier(fit, new KnnOptions()).Evaluate(holdout);
        var collapse = CollapseMetrics.Compute(fit);
        return new TrainingEvaluation("linear_probe", probeAccuracy,
        [
            ("linear_probe", probeAccuracy), ("knn", knn.WeightedAccuracy), ("rankme", collapse.RankMe),
            ("top_pc_fraction", collapse.TopComponentVarianceFraction), ("mean_std", collapse.MeanDimensionStd),
        ], [("encoder", "target")]);
    }
}
