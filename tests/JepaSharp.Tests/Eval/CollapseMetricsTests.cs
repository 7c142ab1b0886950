using JepaSharp.Eval;
using Xunit;

namespace JepaSharp.Tests.Eval;

public class CollapseMetricsTests
{
    private static float[] IsotropicGaussian(int n, int d, int seed)
    {
        var random = new Random(seed);
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)EvalTestData.Gaussian(random);
        return x;
    }

    [Fact]
    public void IsotropicFeaturesUseEveryDimension()
    {
        const int n = 20_000, d = 32;
        var metrics = CollapseMetrics.Compute(IsotropicGaussian(n, d, 1), n, d);

        Assert.InRange(metrics.RankMe, 0.95 * d, d);
        // The largest sample eigenvalue of an isotropic covariance is ≈ (1 + √(D/N))² / D = 1.08 / D here.
        Assert.InRange(metrics.TopComponentVarianceFraction, 1.0 / d, 1.15 / d);
        Assert.Equal(1 / Math.Sqrt(d), metrics.MeanDimensionStd, 0.01);
        Assert.Equal(n, metrics.SampleCount);
        Assert.Equal(d, metrics.Dimension);
    }

    [Fact]
    public void RankOneFeaturesHaveRankOne()
    {
        const int n = 5000, d = 48;
        var random = new Random(2);
        var direction = Enumerable.Range(0, d).Select(_ => EvalTestData.Gaussian(random)).ToArray();
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            double scale = EvalTestData.Gaussian(random);
            for (int j = 0; j < d; j++) x[i * d + j] = (float)(scale * direction[j]);
        }
        var metrics = CollapseMetrics.Compute(x, n, d);

        Assert.InRange(metrics.RankMe, 1.0, 1.01);
        Assert.InRange(metrics.TopComponentVarianceFraction, 0.999, 1.0);
    }

    [Fact]
    public void RankMeFollowsItsFormulaOnKnownSingularValues()
    {
        // Unit basis vectors e_j repeated j² times: XᵀX = diag(1, 4, 9, 16), so σ = (1, 2, 3, 4).
        const int d = 4;
        var rows = new List<float>();
        for (int j = 0; j < d; j++)
            for (int copy = 0; copy < (j + 1) * (j + 1); copy++)
                rows.AddRange(Enumerable.Range(0, d).Select(c => c == j ? 7f : 0f)); // any positive length: rows are normalised
        var metrics = CollapseMetrics.Compute(rows.ToArray(), rows.Count / d, d);

        double[] p = [0.1, 0.2, 0.3, 0.4];
        Assert.Equal(Math.Exp(-p.Sum(v => v * Math.Log(v))), metrics.RankMe, 1e-12);
    }

    [Fact]
    public void IdenticalRowsAreCompleteCollapse()
    {
        const int n = 100, d = 8;
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) x[i * d + j] = j + 1;
        var metrics = CollapseMetrics.Compute(x, n, d);
        Assert.Equal(1.0, metrics.RankMe, 1e-6);
        Assert.Equal(1.0, metrics.TopComponentVarianceFraction);
        Assert.Equal(0.0, metrics.MeanDimensionStd, 1e-6);
    }

    [Fact]
    public void IsDeterministicAndTakesFeatureSets()
    {
        const int n = 1003, d = 19; // row count not a multiple of the eight-row update
        var x = IsotropicGaussian(n, d, 3);
        var labels = new int[n];
        var direct = CollapseMetrics.Compute(x, n, d);
        Assert.Equal(direct, CollapseMetrics.Compute(new FeatureSet(n, d, x, labels, 1)));
    }

    [Fact]
    public void RejectsBadInput()
    {
        Assert.Throws<ArgumentException>(() => CollapseMetrics.Compute(new float[10], 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => CollapseMetrics.Compute(new float[0], 0, 3));
        Assert.Contains("feature 1 of vector 1 is Infinity",
            Assert.Throws<ArgumentException>(() => CollapseMetrics.Compute([0, 0, 0, float.PositiveInfinity], 2, 2)).Message);
    }
}
