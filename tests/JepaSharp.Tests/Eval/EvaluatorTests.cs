using System.Text.Json;
using JepaSharp.Eval;
using Xunit;

namespace JepaSharp.Tests.Eval;

public class EvaluatorTests
{
    private static EvaluationReport Run(List<string>? log = null)
    {
        var (train, test) = EvalTestData.Clusters(1500, 500, 16, 5, separation: 0.6, seed: 5);
        var options = new EvaluationOptions { Seed = 3, Probe = new LinearProbeOptions { Lambdas = [1e-4, 1e-2] } };
        return Evaluator.Run(train, test, options, log is null ? null : log.Add);
    }

    [Fact]
    public void ComputesEveryFigure()
    {
        var log = new List<string>();
        var report = Run(log);

        Assert.Equal((16, 1500, 500, 5, 3), (report.FeatureDimension, report.TrainCount, report.TestCount, report.ClassCount, report.Seed));
        Assert.InRange(report.LinearProbe.TestAccuracy, 0.5, 1.0);
        Assert.InRange(report.Knn.WeightedAccuracy, 0.4, 1.0);
        Assert.InRange(report.Knn.MajorityAccuracy, 0.4, 1.0);
        Assert.Equal((20, 0.07), (report.Knn.K, report.Knn.Temperature));
        Assert.Equal(new[] { 0.01, 0.1 }, report.LowShot.Select(l => l.Fraction));
        Assert.All(report.LowShot[0].Draws, d => Assert.True(d.FallbackLambda)); // 3 per class
        Assert.All(report.LowShot[1].Draws, d => Assert.False(d.FallbackLambda)); // 30 per class
        Assert.InRange(report.Collapse.RankMe, 1, 16);
        Assert.True(report.Timings.TotalSeconds >= report.Timings.LinearProbeSeconds + report.Timings.KnnSeconds);
        Assert.Contains(log, line => line.StartsWith("k-NN: weighted"));
    }

    [Fact]
    public void IsDeterministicApartFromTimings()
    {
        var first = Run();
        var second = Run();
        Assert.Equal(first.LinearProbe with { Validation = [] }, second.LinearProbe with { Validation = [] });
        Assert.Equal(first.LinearProbe.Validation, second.LinearProbe.Validation);
        Assert.Equal(first.Knn, second.Knn);
        Assert.Equal(first.Collapse, second.Collapse);
        Assert.Equal(first.LowShot.SelectMany(l => l.Draws), second.LowShot.SelectMany(l => l.Draws));
    }

    [Fact]
    public void JsonHasStableSnakeCaseNamesAndRoundTrips()
    {
        var report = Run();
        string json = report.ToJson();
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;

        Assert.Equal(
            ["feature_dimension", "train_count", "test_count", "class_count", "seed", "linear_probe", "knn", "low_shot", "collapse", "timings"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            ["test_accuracy", "lambda", "iterations", "converged", "fit_count", "validation_count", "validation"],
            root.GetProperty("linear_probe").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["lambda", "accuracy", "iterations", "converged"],
            root.GetProperty("linear_probe").GetProperty("validation")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(["k", "temperature", "weighted_accuracy", "majority_accuracy"], root.GetProperty("knn").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["fraction", "mean_accuracy", "std_accuracy", "draws"], root.GetProperty("low_shot")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(["seed", "sample_count", "lambda", "fallback_lambda", "iterations", "test_accuracy"],
            root.GetProperty("low_shot")[0].GetProperty("draws")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(["sample_count", "dimension", "mean_dimension_std", "rank_me", "top_component_variance_fraction"],
            root.GetProperty("collapse").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["standardize_seconds", "linear_probe_seconds", "knn_seconds", "low_shot_seconds", "collapse_seconds", "total_seconds"],
            root.GetProperty("timings").EnumerateObject().Select(p => p.Name));

        Assert.Equal(json, EvaluationReport.FromJson(json).ToJson());
    }

    [Fact]
    public void RejectsMismatchedSplits()
    {
        var (train, _) = EvalTestData.Clusters(100, 10, 4, 2, separation: 1, seed: 0);
        var (_, otherClasses) = EvalTestData.Clusters(100, 10, 4, 3, separation: 1, seed: 0);
        var ex = Assert.Throws<ArgumentException>(() => Evaluator.Run(train, otherClasses, new EvaluationOptions()));
        Assert.Contains("train has 2 classes, test 3", ex.Message);
        Assert.Throws<ArgumentNullException>(() => Evaluator.Run(train, train, new EvaluationOptions { Knn = null! }));
    }
}
