using JepaSharp.Viz.Embeddings;
using Xunit;

namespace JepaSharp.Tests.Viz;

public class EmbeddingMethodTests
{
    /// <summary>
    /// <paramref name="clusters"/> Gaussian blobs (std 1) in 10-D with N(0, 3²) centres, about 13 apart against 4.5 between two
    /// points of one blob: separated in 10-D, overlapping in any 2-D linear view. Points are interleaved by cluster.
    /// </summary>
    private static (PointSet Points, int[] Labels) Blobs(int count, int clusters, int seed)
    {
        const int dim = 10;
        var random = new Random(seed);
        var centres = new double[clusters * dim];
        for (int i = 0; i < centres.Length; i++) centres[i] = 3 * Gaussian(random);
        var values = new double[count * dim];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % clusters;
            for (int j = 0; j < dim; j++) values[i * dim + j] = centres[labels[i] * dim + j] + Gaussian(random);
        }
        return (new PointSet(values, count, dim), labels);
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>The fraction of points whose 10 nearest map neighbours all share their cluster, on average.</summary>
    private static double NeighbourPurity(PointSet map, int[] labels)
    {
        var graph = NeighborGraph.Exact(map, 10);
        double same = 0;
        for (int i = 0; i < map.Count; i++)
            for (int m = 0; m < 10; m++) same += labels[graph.Indices[i * 10 + m]] == labels[i] ? 1 : 0;
        return same / (map.Count * 10.0);
    }

    [Fact]
    public void PcaMatchesPowerIterationOnTheExplicitCovariance()
    {
        var (points, _) = Blobs(120, 3, 1);
        int n = points.Count, d = points.Dimension;
        var mean = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += points.Values[i * d + j] / n;
        var cov = new double[d, d];
        for (int i = 0; i < n; i++)
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++) cov[a, b] += (points.Values[i * d + a] - mean[a]) * (points.Values[i * d + b] - mean[b]) / (n - 1);
        var pca = Pca.Fit(points, 2);
        var projected = pca.Transform(points);
        for (int c = 0; c < 2; c++)
        {
            // Power iteration with deflation of the components already found.
            var v = Enumerable.Range(0, d).Select(j => 1.0 + j).ToArray();
            double lambda = 0;
            for (int it = 0; it < 5000; it++)
            {
                var w = new double[d];
                for (int a = 0; a < d; a++) for (int b = 0; b < d; b++) w[a] += cov[a, b] * v[b];
                lambda = Math.Sqrt(w.Sum(x => x * x));
                v = w.Select(x => x / lambda).ToArray();
            }
            int top = Enumerable.Range(0, d).OrderByDescending(j => Math.Abs(v[j])).First();
            if (v[top] < 0) v = v.Select(x => -x).ToArray();
            Assert.Equal(lambda, pca.Variances[c], 1e-8 * lambda);
            for (int i = 0; i < n; i++)
            {
                double expected = 0;
                for (int j = 0; j < d; j++) expected += (points.Values[i * d + j] - mean[j]) * v[j];
                Assert.Equal(expected, projected.Values[i * 2 + c], 1e-6);
            }
            for (int a = 0; a < d; a++) for (int b = 0; b < d; b++) cov[a, b] -= lambda * v[a] * v[b];
        }
    }

    [Fact]
    public void TsneGradientMatchesTheNaiveExactGradient()
    {
        var (points, _) = Blobs(150, 3, 2);
        var p = Tsne.Affinities(points, 10, 40);
        int n = points.Count;
        var dense = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++) dense[i, p.Columns[e]] = p.Values[e];
        Assert.Equal(1.0, p.Values.Sum(), 1e-9);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) Assert.Equal(dense[i, j], dense[j, i], 1e-15);

        var random = new Random(3);
        var y = Enumerable.Range(0, 2 * n).Select(_ => 5 * Gaussian(random)).ToArray();
        // Naive: Z over all ordered pairs, then 4 Σ_j (α p_ij − q_ij) q̃_ij (y_i − y_j).
        double z = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (i != j) z += 1 / (1 + Sq(y, i, j));
        var expected = new double[2 * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double qt = 1 / (1 + Sq(y, i, j));
                for (int c = 0; c < 2; c++) expected[2 * i + c] += 4 * (12 * dense[i, j] - qt / z) * qt * (y[2 * i + c] - y[2 * j + c]);
            }
        var exact = new double[2 * n];
        Tsne.Gradient(p, y, 0, 12, exact, new SpaceTree(), new double[3 * n]);
        for (int k = 0; k < 2 * n; k++) Assert.Equal(expected[k], exact[k], 1e-12 + 1e-9 * Math.Abs(expected[k]));

        var approximate = new double[2 * n];
        Tsne.Gradient(p, y, 0.5, 12, approximate, new SpaceTree(), new double[3 * n]);
        double error = Math.Sqrt(expected.Zip(approximate, (e, a) => (e - a) * (e - a)).Sum()), norm = Math.Sqrt(expected.Sum(e => e * e));
        Assert.True(error < 0.02 * norm, $"Barnes-Hut gradient error {error} vs norm {norm}");
    }

    private static double Sq(double[] y, int i, int j) => (y[2 * i] - y[2 * j]) * (y[2 * i] - y[2 * j]) + (y[2 * i + 1] - y[2 * j + 1]) * (y[2 * i + 1] - y[2 * j + 1]);

    [Theory]
    [InlineData(300, 500)]
    [InlineData(500, 0)]
    public void TsneKeepsSeparatedClustersSeparated(int count, int exactBelow)
    {
        var (points, labels) = Blobs(count, 10, 4);
        // Ten clusters in 10-D overlap in any linear 2-D view, so passing takes the non-linear map, not its PCA start.
        Assert.True(NeighbourPurity(Pca.Project(points, 2), labels) < 0.9);
        var map = Tsne.Embed(points, new TsneOptions { ExactBelow = exactBelow });
        Assert.True(EmbeddingQuality.Trustworthiness(points, map, 10) >= 0.9);
        Assert.True(NeighbourPurity(map, labels) >= 0.99, $"purity {NeighbourPurity(map, labels)}");
        Assert.Equal(map.Values, Tsne.Embed(points, new TsneOptions { ExactBelow = exactBelow }).Values);
    }

    [Fact]
    public void UmapKeepsSeparatedClustersSeparated()
    {
        var (points, labels) = Blobs(400, 10, 5);
        Assert.True(NeighbourPurity(Pca.Project(points, 2), labels) < 0.9);
        var map = Umap.Embed(points, new UmapOptions { Seed = 7 });
        Assert.True(EmbeddingQuality.Trustworthiness(points, map, 10) >= 0.9);
        Assert.True(NeighbourPurity(map, labels) >= 0.99, $"purity {NeighbourPurity(map, labels)}");
        Assert.Equal(map.Values, Umap.Embed(points, new UmapOptions { Seed = 7 }).Values);
    }

    [Fact]
    public void UmapCurveMatchesUmapLearnsParameters()
    {
        // umap-learn's find_ab_params(1.0, 0.1) (scipy curve_fit): a = 1.5769, b = 0.8951.
        var (a, b) = Umap.FitCurve(0.1, 1.0);
        Assert.Equal(1.5769, a, 0.002);
        Assert.Equal(0.8951, b, 0.002);
    }

    [Fact]
    public void TrustworthinessMatchesAHandComputedCase()
    {
        var original = new PointSet([0, 1, 3, 7, 15], 5, 1);
        Assert.Equal(1.0, EmbeddingQuality.Trustworthiness(original, original, 1), 12);
        // Swapping the two end points invents neighbours: penalties 2 + 3 + 0 + 0 + 2 over the normaliser 15.
        var swapped = new PointSet([15, 1, 3, 7, 0], 5, 1);
        Assert.Equal(1 - 7.0 / 15, EmbeddingQuality.Trustworthiness(original, swapped, 1), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingQuality.Trustworthiness(original, swapped, 3));
    }

    [Fact]
    public void PointSetsRejectNonFiniteCoordinatesByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new PointSet([0, 1, double.NaN, 2], 2, 2));
        Assert.Contains("point 1", e.Message);
    }
}
