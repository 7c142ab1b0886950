using JepaSharp.Eval;
using JepaSharp.Viz.Charts;

namespace JepaSharp.Viz.Health;

/// <summary>The numbers behind the embedding-health figure, all on L2-normalised features (as <see cref="CollapseMetrics"/>).</summary>
/// <param name="DimensionStd">Standard deviation of each feature dimension over the samples.</param>
/// <param name="DimensionMean">Mean of each feature dimension.</param>
/// <param name="SingularValues">Of the N × D feature matrix, largest first.</param>
/// <param name="PairCosines">Cosine similarity of every pair among the first <see cref="EmbeddingHealth.MaxPairSamples"/> samples.</param>
public sealed record EmbeddingHealthData(double[] DimensionStd, double[] DimensionMean, double[] SingularValues, double[] PairCosines, CollapseMetrics Collapse)
{
    public static EmbeddingHealthData Of(FeatureSet features)
    {
        int n = features.Count, d = features.Dimension;
        var unit = new double[(long)n * d];
        for (int i = 0; i < n; i++)
        {
            var row = features.Row(i);
            double norm = 0;
            foreach (float v in row) norm += (double)v * v;
            double scale = norm > 0 ? 1 / Math.Sqrt(norm) : 0;
            for (int j = 0; j < d; j++) unit[(long)i * d + j] = row[j] * scale;
        }
        var mean = new double[d];
        var std = new double[d];
        for (int j = 0; j < d; j++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < n; i++)
            {
                double v = unit[(long)i * d + j];
                sum += v;
                squares += v * v;
            }
            mean[j] = sum / n;
            std[j] = Math.Sqrt(Math.Max(0, squares / n - mean[j] * mean[j]));
        }
        int m = Math.Min(n, EmbeddingHealth.MaxPairSamples);
        var cosines = new double[m * (m - 1) / 2];
        Parallel.For(0, m, i =>
        {
            // Pairs (i, j > i) are stored row after row of the upper triangle.
            long start = (long)i * (2L * m - i - 1) / 2;
            var a = unit.AsSpan(i * d, d);
            for (int j = i + 1; j < m; j++)
            {
                var b = unit.AsSpan(j * d, d);
                double dot = 0;
                for (int k = 0; k < d; k++) dot += a[k] * b[k];
                cosines[start + j - i - 1] = dot;
            }
        });
        return new EmbeddingHealthData(std, mean, CollapseMetrics.SingularValues(features), cosines, CollapseMetrics.Compute(features));
    }
}

/// <summary>Embedding health in one figure: per-dimension std and mean, the singular-value spectrum, and pairwise cosine similarities.</summary>
public static class EmbeddingHealth
{
    public const int MaxPairSamples = 1000;

    public static string Render(EmbeddingHealthData data)
    {
        var c = data.Collapse;
        const int width = 500, height = 300;
        var panels = new[]
        {
            HistogramChart.Render(new ChartOptions("Per-dimension std", "std of a unit-norm feature dimension", "dimensions") { Width = width, Height = height,
                Subtitle = $"mean {c.MeanDimensionStd:F4} (isotropic: 1/√D = {1 / Math.Sqrt(c.Dimension):F4})" }, [new Sample("std", data.DimensionStd, "#1f77b4")], 30),
            HistogramChart.Render(new ChartOptions("Per-dimension mean", "mean of a unit-norm feature dimension", "dimensions") { Width = width, Height = height },
                [new Sample("mean", data.DimensionMean, "#ff7f0e")], 30),
            LineChart.Render(new ChartOptions("Singular-value spectrum", "index", "singular value (log scale)") { Width = width, Height = height, YScale = AxisScale.Log,
                Subtitle = $"effective rank (RankMe) {c.RankMe:F1} of {c.Dimension}; top PC {100 * c.TopComponentVarianceFraction:F1} % of variance" },
                [new Series("", data.SingularValues.Select((s, i) => ((double)i + 1, s)).ToList(), "#2ca02c") { Width = 2 }]),
            HistogramChart.Render(new ChartOptions("Pairwise cosine similarity", "cosine similarity", "fraction of pairs") { Width = width, Height = height,
                Subtitle = $"{data.PairCosines.Length:N0} pairs, mean {(data.PairCosines.Length > 0 ? data.PairCosines.Average() : double.NaN):F3}" },
                [new Sample("cosine", data.PairCosines, "#9467bd")], 50, normalize: true),
        };
        return ChartGrid.Compose(panels, 2, width, height);
    }

    public static string Caption(EmbeddingHealthData data, string what) =>
        $"{what}, each feature vector scaled to unit length. Collapse shows as tiny per-dimension std, "
        + "a spectrum that drops after a few values (low effective rank) and cosine similarities piled up near 1.";
}
