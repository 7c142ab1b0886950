using JepaSharp.Engine.Threading;
using JepaSharp.Eval;
using JepaSharp.Eval.Optimization;
using Xunit;

namespace JepaSharp.Tests.Eval;

public class LinearProbeTests
{
    [Fact]
    public void SeparatesFarApartClustersAlmostPerfectly()
    {
        var (train, test) = EvalTestData.Clusters(2000, 1000, 32, 5, separation: 3, seed: 1);
        var result = LinearProbe.Run(train, test, new LinearProbeOptions(), seed: 7);

        Assert.True(result.TestAccuracy >= 0.99, $"test accuracy {result.TestAccuracy:P2}");
        Assert.True(result.Converged);
        Assert.Equal(6, result.Validation.Count);
        Assert.Equal(new[] { 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1 }, result.Validation.Select(v => v.Lambda));
        Assert.Equal(200, result.ValidationCount); // 10 % of each class of 400
        Assert.Equal(1800, result.FitCount);
        Assert.Contains(result.Lambda, result.Validation.Select(v => v.Lambda));
    }

    [Fact]
    public void IsAtChanceWhenLabelsAreShuffled()
    {
        var (train, test) = EvalTestData.Clusters(2000, 1000, 32, 5, separation: 3, seed: 1);
        var result = LinearProbe.Run(EvalTestData.ShuffledLabels(train, 11), EvalTestData.ShuffledLabels(test, 12), new LinearProbeOptions(), seed: 7);

        // Chance is 1/5; the binomial std of 1000 test predictions is 1.3 points.
        Assert.InRange(result.TestAccuracy, 0.15, 0.25);
    }

    [Fact]
    public void IsDeterministic()
    {
        var (train, test) = EvalTestData.Clusters(600, 200, 8, 3, separation: 0.7, seed: 3);
        var options = new LinearProbeOptions { Lambdas = [1e-4, 1e-2] };
        var first = LinearProbe.Run(train, test, options, seed: 5);
        var second = LinearProbe.Run(train, test, options, seed: 5);
        Assert.Equal(first.TestAccuracy, second.TestAccuracy);
        Assert.Equal(first.Lambda, second.Lambda);
        Assert.Equal(first.Iterations, second.Iterations);
        Assert.Equal(first.Validation, second.Validation);
    }

    [Fact]
    public void EqualValidationAccuraciesChooseTheLargerLambda()
    {
        // Far-apart clusters: every λ of the grid classifies the hold-out perfectly.
        var (train, test) = EvalTestData.Clusters(500, 100, 8, 2, separation: 10, seed: 4);
        var result = LinearProbe.Run(train, test, new LinearProbeOptions { Lambdas = [1e-3, 1e-2, 1e-1] }, seed: 0);
        Assert.All(result.Validation, v => Assert.Equal(1.0, v.Accuracy));
        Assert.Equal(1e-1, result.Lambda);
    }

    [Fact]
    public void AnalyticGradientMatchesCentralDifferencesOfADoubleReference()
    {
        const int n = 7, d = 4, classes = 3;
        const double lambda = 0.3;
        var random = new Random(2);
        var features = new float[n * d];
        for (int i = 0; i < features.Length; i++) features[i] = (float)EvalTestData.Gaussian(random);
        var labels = new[] { 0, 2, 1, 1, 0, 2, 2 };
        var set = new FeatureSet(n, d, features, labels, classes);
        var parameters = new double[classes * d + classes];
        for (int i = 0; i < parameters.Length; i++) parameters[i] = (float)(0.5 * EvalTestData.Gaussian(random)); // float-exact, so float W is exact too

        var objective = new SoftmaxRegressionObjective(set, lambda);
        var gradient = new double[parameters.Length];
        double value = objective.Evaluate(parameters, gradient);

        Assert.Equal(DoubleReference(set, lambda, parameters).Value, value, 1e-6);
        const double h = 1e-5;
        for (int i = 0; i < parameters.Length; i++)
        {
            var plus = (double[])parameters.Clone();
            var minus = (double[])parameters.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (DoubleReference(set, lambda, plus).Value - DoubleReference(set, lambda, minus).Value) / (2 * h);
            Assert.True(Math.Abs(gradient[i] - numeric) <= 1e-6 + 1e-5 * Math.Abs(numeric),
                $"∂f/∂θ[{i}]: analytic {gradient[i]}, central difference {numeric}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ObjectiveOverSeveralCachedBlocksPerThreadMatchesADoubleReference(int threads)
    {
        // Blocks of 64 KB are 81 rows of 200 features: each thread's range spans several blocks and ends in a partial one.
        const int n = 1000, d = 200, classes = 12;
        const double lambda = 1e-3;
        var random = new Random(5);
        var features = new float[n * d];
        for (int i = 0; i < features.Length; i++) features[i] = (float)EvalTestData.Gaussian(random);
        var labels = Enumerable.Range(0, n).Select(_ => random.Next(classes)).ToArray();
        var set = new FeatureSet(n, d, features, labels, classes);
        var parameters = new double[classes * d + classes];
        for (int i = 0; i < parameters.Length; i++) parameters[i] = (float)(0.1 * EvalTestData.Gaussian(random));

        using var pool = new WorkerPool(threads);
        var objective = new SoftmaxRegressionObjective(set, lambda, pool, blockBytes: 64 * 1024);
        var gradient = new double[parameters.Length];
        double value = objective.Evaluate(parameters, gradient);
        var again = new double[parameters.Length];
        Assert.Equal(value, objective.Evaluate(parameters, again));
        Assert.Equal(gradient, again);

        var (referenceValue, referenceGradient) = DoubleReference(set, lambda, parameters);
        Assert.Equal(referenceValue, value, 1e-6 * referenceValue);
        double scale = referenceGradient.Max(Math.Abs);
        for (int i = 0; i < gradient.Length; i++)
            Assert.True(Math.Abs(gradient[i] - referenceGradient[i]) <= 1e-5 * scale, $"∂f/∂θ[{i}]: {gradient[i]} vs {referenceGradient[i]} (largest {scale})");
    }

    /// <summary>The probe's objective and its gradient in double, example by example (θ = [W row-major, b]).</summary>
    private static (double Value, double[] Gradient) DoubleReference(FeatureSet set, double lambda, double[] theta)
    {
        int n = set.Count, d = set.Dimension, classes = set.ClassCount;
        var gradient = new double[theta.Length];
        double loss = 0;
        for (int r = 0; r < n; r++)
        {
            var logits = new double[classes];
            for (int c = 0; c < classes; c++)
            {
                double z = theta[classes * d + c];
                for (int j = 0; j < d; j++) z += theta[c * d + j] * set.Features[r * d + j];
                logits[c] = z;
            }
            double max = logits.Max();
            double sum = logits.Sum(z => Math.Exp(z - max));
            loss += max + Math.Log(sum) - logits[set.Labels[r]];
            for (int c = 0; c < classes; c++)
            {
                double residual = (Math.Exp(logits[c] - max) / sum - (c == set.Labels[r] ? 1 : 0)) / n;
                for (int j = 0; j < d; j++) gradient[c * d + j] += residual * set.Features[r * d + j];
                gradient[classes * d + c] += residual;
            }
        }
        double penalty = 0;
        for (int i = 0; i < classes * d; i++)
        {
            penalty += theta[i] * theta[i];
            gradient[i] += lambda * theta[i];
        }
        return (loss / n + 0.5 * lambda * penalty, gradient);
    }

    [Fact]
    public void TrainedProbeIsAStationaryPoint()
    {
        var (train, _) = EvalTestData.Clusters(400, 1, 6, 3, separation: 0.8, seed: 9);
        var fit = LinearProbe.Train(train, 1e-3, new LinearProbeOptions { GradientTolerance = 1e-6, FunctionTolerance = 0 });
        Assert.True(fit.Converged);

        var parameters = fit.Classifier.Weights.Select(w => (double)w).Concat(fit.Classifier.Bias.Select(b => (double)b)).ToArray();
        var gradient = new double[parameters.Length];
        new SoftmaxRegressionObjective(train, 1e-3).Evaluate(parameters, gradient);
        Assert.True(gradient.Max(Math.Abs) < 1e-5, $"max |gradient| {gradient.Max(Math.Abs)}");
    }

    [Fact]
    public void RejectsBadInput()
    {
        var (train, test) = EvalTestData.Clusters(100, 20, 4, 2, separation: 1, seed: 0);
        var wide = EvalTestData.Clusters(100, 20, 5, 2, separation: 1, seed: 0).Test;
        Assert.Contains("4-dimensional", Assert.Throws<ArgumentException>(() => LinearProbe.Run(train, wide, new LinearProbeOptions(), 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearProbe.Run(train, test, new LinearProbeOptions { Lambdas = [1e-3, 0] }, 0));
        Assert.Throws<ArgumentException>(() => LinearProbe.Run(train, test, new LinearProbeOptions { Lambdas = [] }, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearProbe.Run(train, test, new LinearProbeOptions { ValidationFraction = 1 }, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearProbe.Train(train, double.NaN, new LinearProbeOptions()));
    }
}
