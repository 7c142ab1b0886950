using MathNet.Numerics.LinearAlgebra;

namespace JepaSharp.Viz.Embeddings;

/// <summary>
/// Principal component analysis: the eigenvectors of the covariance C = (X − μ)ᵀ(X − μ) / (n − 1) of the
/// n × d points, in double, by decreasing eigenvalue. Each component's sign is fixed so that its largest-magnitude
/// loading is positive, which makes projections deterministic (eigen-solvers may return either sign).
/// </summary>
public sealed class Pca
{
    private Pca(double[] mean, double[] components, double[] variances, double totalVariance, int dimension)
    {
        Mean = mean;
        Components = components;
        Variances = variances;
        TotalVariance = totalVariance;
        Dimension = dimension;
    }

    public double[] Mean { get; }
    /// <summary>[k, d] unit-length principal directions, row-major.</summary>
    public double[] Components { get; }
    /// <summary>Variance along each component (its eigenvalue).</summary>
    public double[] Variances { get; }
    public double TotalVariance { get; }
    public int Dimension { get; }
    public int ComponentCount => Variances.Length;

    public static Pca Fit(PointSet points, int components)
    {
        int n = points.Count, d = points.Dimension;
        if (components < 1 || components > d) throw new ArgumentOutOfRangeException(nameof(components), components, $"components must be in [1, {d}]");
        var mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            var row = points.Row(i);
            for (int j = 0; j < d; j++) mean[j] += row[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        var centred = Matrix<double>.Build.Dense(n, d, (i, j) => points.Values[i * d + j] - mean[j]);
        var covariance = centred.TransposeThisAndMultiply(centred).Divide(Math.Max(1, n - 1));
        var evd = covariance.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, d).OrderByDescending(i => evd.EigenValues[i].Real).ThenBy(i => i).Take(components).ToArray();
        var result = new double[components * d];
        var variances = new double[components];
        for (int c = 0; c < components; c++)
        {
            var v = evd.EigenVectors.Column(order[c]);
            double sign = Math.Sign(v[v.AbsoluteMaximumIndex()]);
            if (sign == 0) sign = 1;
            for (int j = 0; j < d; j++) result[c * d + j] = sign * v[j];
            variances[c] = Math.Max(0, evd.EigenValues[order[c]].Real);
        }
        return new Pca(mean, result, variances, Enumerable.Range(0, d).Sum(j => covariance[j, j]), d);
    }

    /// <summary>[n, k] coordinates of the points along the components.</summary>
    public PointSet Transform(PointSet points)
    {
        if (points.Dimension != Dimension) throw new ArgumentException($"PCA was fitted on {Dimension} dimensions, the points have {points.Dimension}");
        int k = ComponentCount, d = Dimension;
        var result = new double[points.Count * k];
        Parallel.For(0, points.Count, i =>
        {
            var row = points.Row(i);
            for (int c = 0; c < k; c++)
            {
                double sum = 0;
                for (int j = 0; j < d; j++) sum += (row[j] - Mean[j]) * Components[c * d + j];
                result[i * k + c] = sum;
            }
        });
        return new PointSet(result, points.Count, k);
    }

    /// <summary>Fits and projects in one go.</summary>
    public static PointSet Project(PointSet points, int components) => Fit(points, components).Transform(points);
}
