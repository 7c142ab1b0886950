using JepaSharp.Viz.Representations;
using Xunit;

namespace JepaSharp.Tests.Viz;

public class RepresentationTests
{
    [Fact]
    public void PcaFindsTheAxesOfLargestVarianceWithPositiveLargestLoadings()
    {
        const int rows = 4000, dim = 6;
        var rng = new Random(2);
        double[] std = [0.1, 3, 0.1, 2, 0.1, 1];
        var x = new float[rows * dim];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < dim; j++) x[r * dim + j] = (float)(5 + std[j] * Gaussian(rng));
        var pca = PatchPca.Fit(x, rows, dim);
        // Variances 9, 4, 1 (of a total of 14.03): in that order.
        Assert.Equal(9 / 14.03, pca.ExplainedVariance[0], 1);
        Assert.Equal(4 / 14.03, pca.ExplainedVariance[1], 1);
        Assert.Equal(1 / 14.03, pca.ExplainedVariance[2], 1);
        // A step of 1 along axis 1, 3, 5 moves the projection by that component's loading there: ≈ +1 for its own component.
        var origin = pca.Project(Enumerable.Repeat(5f, dim).ToArray(), 1);
        int[] axes = [1, 3, 5];
        for (int c = 0; c < 3; c++)
        {
            var point = Enumerable.Repeat(5f, dim).ToArray();
            point[axes[c]] += 1;
            var projected = pca.Project(point, 1);
            for (int k = 0; k < 3; k++) Assert.Equal(k == c ? 1 : 0, projected[k] - origin[k], 0.05);
        }
    }

    [Fact]
    public void PcaColoursAreAPureFunctionOfTheFit()
    {
        var x = Enumerable.Range(0, 49 * 8).Select(i => (float)Math.Sin(i * 0.37) + (i % 5)).ToArray();
        var a = PatchPca.Fit(x, 49, 8).Colours(x.AsSpan(0, 49 * 8), 7, 7);
        var b = PatchPca.Fit(x, 49, 8).Colours(x.AsSpan(0, 49 * 8), 7, 7);
        Assert.Equal(a.Pixels, b.Pixels);
        Assert.True(a.Pixels.Distinct().Count() > 10, "PCA colours should vary across patches");
    }

    [Fact]
    public void NearestNeighboursAreTheHighestCosineRowsTiesByIndex()
    {
        float[] gallery = [1, 0, /*1*/ 0, 1, /*2*/ 2, 0, /*3*/ 1, 1, /*4*/ -1, 0];
        float[] queries = [3, 0.1f];
        var result = NearestNeighbors.Search(queries, gallery, 2, 3)[0];
        // Rows 0 and 2 point the same way (tie → lower index first), then row 3 at 45°.
        Assert.Equal([0, 2, 3], result.Select(r => r.Index));
        Assert.Equal(3 / Math.Sqrt(9.01), result[0].Similarity, 5);
        Assert.Equal((3 + 0.1) / Math.Sqrt(9.01) / Math.Sqrt(2), result[2].Similarity, 5);
        var excluded = NearestNeighbors.Search(queries, gallery, 2, 2, (q, g) => g == 0)[0];
        Assert.Equal([2, 3], excluded.Select(r => r.Index));
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
