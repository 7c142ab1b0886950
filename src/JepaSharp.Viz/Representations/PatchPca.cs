using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using DenseMatrix = MathNet.Numerics.LinearAlgebra.Matrix<double>;
using JepaSharp.Viz.Raster;

namespace JepaSharp.Viz.Representations;

/// <summary>
/// The first three principal components of patch features, as colours. Fit: the D × D covariance of the centred rows
/// (XᵀX by the engine's GEMM in float, then double), its eigenvectors with the three largest eigenvalues, each signed so its largest-magnitude loading is positive (the
/// eigen-solver's sign is arbitrary). Colour: projection onto component c, mapped linearly from the fit rows' 1st–99th
/// percentile to [0, 1] → channel c (R, G, B).
/// </summary>
public sealed class PatchPca
{
    public const int Components = 3;
    private readonly double[] mean, components, low, high;

    private PatchPca(int dim, double[] mean, double[] components, double[] low, double[] high, double[] explained)
    {
        Dim = dim;
        this.mean = mean;
        this.components = components;
        this.low = low;
        this.high = high;
        ExplainedVariance = explained;
    }

    public int Dim { get; }

    /// <summary>Fraction of the total variance along each of the three components.</summary>
    public IReadOnlyList<double> ExplainedVariance { get; }

    /// <summary>Fits on <paramref name="rows"/> feature vectors of length <paramref name="dim"/> (row-major).</summary>
    public static PatchPca Fit(ReadOnlySpan<float> features, int rows, int dim)
    {
        if (rows < 2 || dim < Components || features.Length != rows * dim)
            throw new ArgumentException($"PCA needs at least 2 rows of at least {Components} features: got {features.Length} values for {rows}x{dim}");
        var mean = new double[dim];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < dim; j++) mean[j] += features[r * dim + j];
        for (int j = 0; j < dim; j++) mean[j] /= rows;
        var centred = new float[rows * dim];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < dim; j++) centred[r * dim + j] = (float)(features[r * dim + j] - mean[j]);
        var gram = new float[dim * dim];
        using (var graph = new Graph())
        using (graph.NoGrad())
        {
            var x = graph.Input(centred, new Shape(rows, dim));
            Ops.MatMul(x, x, transposeA: true).Span.CopyTo(gram);
        }
        // GEMM sums (i, j) and (j, i) in different orders; average them so the matrix is exactly symmetric.
        var covariance = DenseMatrix.Build.Dense(dim, dim, (i, j) => (gram[i * dim + j] + gram[j * dim + i]) / (2.0 * (rows - 1)));
        var evd = covariance.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var eigen = evd.EigenValues.Select(v => v.Real).ToArray();
        double total = Math.Max(eigen.Sum(v => Math.Max(v, 0)), double.Epsilon);
        var order = Enumerable.Range(0, dim).OrderByDescending(i => eigen[i]).ThenBy(i => i).Take(Components).ToArray();
        var components = new double[Components * dim];
        for (int c = 0; c < Components; c++)
        {
            var vector = evd.EigenVectors.Column(order[c]);
            int largest = 0;
            for (int j = 1; j < dim; j++) if (Math.Abs(vector[j]) > Math.Abs(vector[largest])) largest = j;
            double sign = vector[largest] < 0 ? -1 : 1;
            for (int j = 0; j < dim; j++) components[c * dim + j] = sign * vector[j];
        }
        var pca = new PatchPca(dim, mean, components, new double[Components], new double[Components],
            order.Select(i => Math.Max(eigen[i], 0) / total).ToArray());
        var projected = pca.Project(features, rows);
        for (int c = 0; c < Components; c++)
        {
            var values = Enumerable.Range(0, rows).Select(r => (double)projected[r * Components + c]).Order().ToArray();
            pca.low[c] = values[(int)(0.01 * (rows - 1))];
            pca.high[c] = values[(int)Math.Ceiling(0.99 * (rows - 1))];
        }
        return pca;
    }

    /// <summary>[rows, 3] projections of <paramref name="rows"/> feature vectors.</summary>
    public float[] Project(ReadOnlySpan<float> features, int rows)
    {
        if (features.Length != rows * Dim) throw new ArgumentException($"PCA projection: {features.Length} values are not {rows} rows of {Dim}");
        var result = new float[rows * Components];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < Components; c++)
            {
                double sum = 0;
                for (int j = 0; j < Dim; j++) sum += (features[r * Dim + j] - mean[j]) * components[c * Dim + j];
                result[r * Components + c] = (float)sum;
            }
        return result;
    }

    /// <summary>One image's patch tokens [gridH·gridW, D] as a gridW × gridH RGB canvas (one pixel a patch).</summary>
    public Canvas Colours(ReadOnlySpan<float> tokens, int gridW, int gridH)
    {
        var projected = Project(tokens, gridW * gridH);
        var canvas = new Canvas(gridW, gridH, Rgb.Black);
        for (int p = 0; p < gridW * gridH; p++)
        {
            byte Channel(int c) => (byte)Math.Round(255 * Math.Clamp((projected[p * Components + c] - low[c]) / Math.Max(high[c] - low[c], 1e-12), 0, 1));
            canvas[p % gridW, p / gridW] = new Rgb(Channel(0), Channel(1), Channel(2));
        }
        return canvas;
    }

    /// <summary>Component <paramref name="component"/> of one image's tokens scaled to [0, 1] like its colour channel (for single-component maps).</summary>
    public float[] Component(ReadOnlySpan<float> tokens, int count, int component)
    {
        var projected = Project(tokens, count);
        return Enumerable.Range(0, count)
            .Select(p => (float)Math.Clamp((projected[p * Components + component] - low[component]) / Math.Max(high[component] - low[component], 1e-12), 0, 1))
            .ToArray();
    }
}
