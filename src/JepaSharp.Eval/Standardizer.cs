namespace JepaSharp.Eval;

/// <summary>
/// Per-dimension standardisation x' = (x − mean) / std with statistics fitted on training features (population
/// std, like scikit-learn's StandardScaler) and then applied unchanged to any split. A dimension whose std is
/// below <see cref="StdFloor"/> (constant, or nearly so) is divided by the floor instead, so it stays finite
/// rather than blowing rounding noise up to unit variance.
/// </summary>
public sealed class Standardizer
{
    public const double StdFloor = 1e-6;

    public double[] Mean { get; }
    public double[] Std { get; }
    public int Dimension => Mean.Length;

    private Standardizer(double[] mean, double[] std)
    {
        Mean = mean;
        Std = std;
    }

    /// <summary>Mean and std of every column of <paramref name="train"/> (two passes in double).</summary>
    public static Standardizer Fit(FeatureSet train)
    {
        ArgumentNullException.ThrowIfNull(train);
        int n = train.Count, d = train.Dimension;
        var x = train.Features;
        var mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            int row = i * d;
            for (int j = 0; j < d; j++) mean[j] += x[row + j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        // The second pass sums squared deviations, which stays accurate when |mean| ≫ std (one-pass E[x²] − E[x]² does not).
        var variance = new double[d];
        for (int i = 0; i < n; i++)
        {
            int row = i * d;
            for (int j = 0; j < d; j++)
            {
                double deviation = x[row + j] - mean[j];
                variance[j] += deviation * deviation;
            }
        }
        var std = new double[d];
        for (int j = 0; j < d; j++) std[j] = Math.Max(Math.Sqrt(variance[j] / n), StdFloor);
        return new Standardizer(mean, std);
    }

    /// <summary>A standardised copy of <paramref name="features"/>; its labels are shared, not copied.</summary>
    public FeatureSet Transform(FeatureSet features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Dimension != Dimension)
            throw new ArgumentException($"the standardizer was fitted on {Dimension}-dimensional features, got {features.Dimension}", nameof(features));
        int n = features.Count, d = Dimension;
        var source = features.Features;
        var result = new float[source.LongLength];
        var scale = new double[d];
        for (int j = 0; j < d; j++) scale[j] = 1.0 / Std[j];
        for (int i = 0; i < n; i++)
        {
            int row = i * d;
            for (int j = 0; j < d; j++) result[row + j] = (float)((source[row + j] - Mean[j]) * scale[j]);
        }
        return features.WithFeatures(result);
    }
}
