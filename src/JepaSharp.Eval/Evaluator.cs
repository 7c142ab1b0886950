using System.Diagnostics;

namespace JepaSharp.Eval;

/// <summary>
/// The full frozen-feature evaluation of one representation:
/// <list type="number">
/// <item>standardise with statistics of the training features (no labels involved, so the low-shot probes may share
/// them);</item>
/// <item>linear probe on the standardised features, λ chosen on a stratified hold-out of the training split;</item>
/// <item>k-NN (weighted and majority) on the raw features, cosine similarity as in DINO;</item>
/// <item>low-shot linear probes at every configured fraction;</item>
/// <item>collapse metrics of the raw training features.</item>
/// </list>
/// </summary>
public static class Evaluator
{
    public static EvaluationReport Run(FeatureSet train, FeatureSet test, EvaluationOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        LinearProbe.CheckCompatible(train, test);
        var total = Stopwatch.StartNew();
        var stage = Stopwatch.StartNew();

        progress?.Invoke($"standardizing: train {train}, test {test}");
        var standardizer = Standardizer.Fit(train);
        var trainStandardized = standardizer.Transform(train);
        var testStandardized = standardizer.Transform(test);
        double standardizeSeconds = Lap(stage);

        var probe = LinearProbe.Run(trainStandardized, testStandardized, options.Probe, options.Seed, progress);
        double probeSeconds = Lap(stage);

        progress?.Invoke($"k-NN: k = {options.Knn.K}, T = {options.Knn.Temperature:g3}");
        var knn = new KnnClassifier(train, options.Knn).Evaluate(test);
        progress?.Invoke($"k-NN: weighted {knn.WeightedAccuracy:P2}, majority {knn.MajorityAccuracy:P2}");
        double knnSeconds = Lap(stage);

        var lowShot = options.LowShot.Fractions
            .Select(fraction => LowShot.Run(trainStandardized, testStandardized, fraction, options.LowShot, options.Probe, options.Seed, progress))
            .ToArray();
        double lowShotSeconds = Lap(stage);

        var collapse = CollapseMetrics.Compute(train);
        progress?.Invoke($"collapse: RankMe {collapse.RankMe:F1} of {collapse.Dimension}, top component {collapse.TopComponentVarianceFraction:P1} of the variance");
        double collapseSeconds = Lap(stage);

        var timings = new EvaluationTimings(standardizeSeconds, probeSeconds, knnSeconds, lowShotSeconds, collapseSeconds, total.Elapsed.TotalSeconds);
        return new EvaluationReport(train.Dimension, train.Count, test.Count, train.ClassCount, options.Seed, probe, knn, lowShot, collapse, timings);
    }

    private static double Lap(Stopwatch stage)
    {
        double seconds = stage.Elapsed.TotalSeconds;
        stage.Restart();
        return seconds;
    }
}
