using JepaSharp.Eval;
using Xunit;

namespace JepaSharp.Tests.Eval;

public class StandardizerTests
{
    private static FeatureSet Columns(int n, double[] offsets, double[] scales, int seed)
    {
        var random = new Random(seed);
        int d = offsets.Length;
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) x[i * d + j] = (float)(offsets[j] + scales[j] * EvalTestData.Gaussian(random));
        return new FeatureSet(n, d, x, new int[n], 1);
    }

    private static (double Mean, double Std) Column(FeatureSet set, int j)
    {
        var values = Enumerable.Range(0, set.Count).Select(i => (double)set.Features[i * set.Dimension + j]).ToArray();
        double mean = values.Average();
        return (mean, Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length));
    }

    [Fact]
    public void TrainColumnsEndUpWithMeanZeroAndStdOne()
    {
        double[] offsets = [50, -7, 0, 1e3];
        double[] scales = [3, 0.01, 1, 20];
        var train = Columns(5000, offsets, scales, 1);
        var standardized = Standardizer.Fit(train).Transform(train);
        for (int j = 0; j < offsets.Length; j++)
        {
            var (mean, std) = Column(standardized, j);
            Assert.Equal(0, mean, 1e-5);
            Assert.Equal(1, std, 1e-4);
        }
        Assert.Same(train.Labels, standardized.Labels);
    }

    [Fact]
    public void TestSplitsUseTheTrainingStatistics()
    {
        var train = Columns(2000, [10], [2], 2);
        var shifted = Columns(2000, [14], [2], 3);
        var standardizer = Standardizer.Fit(train);
        var (mean, _) = Column(standardizer.Transform(shifted), 0);
        Assert.Equal(2, mean, 0.2); // 4 units above the training mean, in units of the training std 2
    }

    [Fact]
    public void ConstantColumnsStayFinite()
    {
        var x = new float[] { 5, 1, 5, 2, 5, 3 };
        var set = new FeatureSet(3, 2, x, new int[3], 1);
        var standardizer = Standardizer.Fit(set);
        Assert.Equal(Standardizer.StdFloor, standardizer.Std[0]);
        var result = standardizer.Transform(set);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(0f, result.Features[i * 2]));
    }

    [Fact]
    public void RejectsOtherDimensions()
    {
        var standardizer = Standardizer.Fit(new FeatureSet(2, 2, [1, 2, 3, 4], [0, 0], 1));
        var ex = Assert.Throws<ArgumentException>(() => standardizer.Transform(new FeatureSet(1, 3, [1, 2, 3], [0], 1)));
        Assert.Contains("2-dimensional", ex.Message);
    }
}
