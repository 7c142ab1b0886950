using System.Numerics;
using JepaSharp.Engine.Kernels.Gemm;

namespace JepaSharp.Engine.Kernels;

// VICReg's variance and covariance terms (Bardes et al. 2022) on z [N, D] (rows = samples):
//   c = z − mean_rows(z);  std_j = √(Σ_i c_ij² / (N−1) + ε);  C = cᵀc / (N−1)  [D, D]
//   L = w_var · (1/D) Σ_j relu(γ − std_j)  +  w_cov · (1/D) Σ_{j≠k} C_jk²
// Saved for backward: c [N, D], std [D], C [D, D]. Backward (centering drops out: c and c·G have zero column means):
//   dz_ij += s · ( −w_var/D · 1[std_j < γ] · c_ij / ((N−1)·std_j)  +  (4·w_cov/(D·(N−1))) · (c·C_offdiag)_ij )
/// <summary>Variance-covariance regularizer against dimensional collapse, with its backward pass.</summary>
public static unsafe class RegularizerKernels
{
    private const int MaxStackFeatures = 2048;

    /// <summary>Returns L and fills the saved buffers centered [N, D], std [D], covariance [D, D].</summary>
    public static double VarianceCovariance(float* z, int n, int d, float gamma, float varWeight, float covWeight, float eps,
        float* centered, float* std, float* covariance)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "variance-covariance regularizer: needs at least 2 samples");
        Span<double> mean = d <= MaxStackFeatures ? stackalloc double[d] : new double[d];
        Span<double> sumSquares = d <= MaxStackFeatures ? stackalloc double[d] : new double[d];
        fixed (double* m = mean, q = sumSquares)
        {
            for (int i = 0; i < n; i++) AddRow(m, z + (long)i * d, d);
            for (int j = 0; j < d; j++) m[j] /= n;
            for (int i = 0; i < n; i++) CenterRow(centered + (long)i * d, q, z + (long)i * d, m, d);
        }
        double varianceTerm = 0;
        for (int j = 0; j < d; j++)
        {
            std[j] = (float)Math.Sqrt(sumSquares[j] / (n - 1) + eps);
            varianceTerm += Math.Max(0, gamma - std[j]);
        }
        Sgemm.Run(true, false, d, d, n, 1f / (n - 1), centered, d, centered, d, 0f, covariance, d);
        double covarianceTerm = 0;
        for (int j = 0; j < d; j++)
            for (int k = 0; k < d; k++)
                if (j != k) covarianceTerm += (double)covariance[(long)j * d + k] * covariance[(long)j * d + k];
        return (varWeight * varianceTerm + covWeight * covarianceTerm) / d;
    }

    /// <summary>sum[j] += row[j] in double, each column in row order (vectors across columns, so the sums are the scalar loop's).</summary>
    private static void AddRow(double* sum, float* row, int d)
    {
        int j = 0;
        for (; j + Vector<float>.Count <= d; j += Vector<float>.Count)
        {
            Vector.Widen(Vector.Load(row + j), out var low, out var high);
            Vector.Store(Vector.Load(sum + j) + low, sum + j);
            Vector.Store(Vector.Load(sum + j + Vector<double>.Count) + high, sum + j + Vector<double>.Count);
        }
        for (; j < d; j++) sum[j] += row[j];
    }

    /// <summary>c[j] = (float)(row[j] − mean[j]) and sumSquares[j] += c[j]² in double (as the scalar loop, column by column).</summary>
    private static void CenterRow(float* c, double* sumSquares, float* row, double* mean, int d)
    {
        int j = 0;
        for (; j + Vector<float>.Count <= d; j += Vector<float>.Count)
        {
            Vector.Widen(Vector.Load(row + j), out var low, out var high);
            var v = Vector.Narrow(low - Vector.Load(mean + j), high - Vector.Load(mean + j + Vector<double>.Count));
            Vector.Store(v, c + j);
            Vector.Widen(v, out low, out high);
            Vector.Store(Vector.Load(sumSquares + j) + low * low, sumSquares + j);
            Vector.Store(Vector.Load(sumSquares + j + Vector<double>.Count) + high * high, sumSquares + j + Vector<double>.Count);
        }
        for (; j < d; j++)
        {
            float v = (float)(row[j] - mean[j]);
            c[j] = v;
            sumSquares[j] += (double)v * v;
        }
    }

    /// <summary>g[j] += f[j]·c[j], rounding the product before the sum (no fused multiply-add, as the scalar form).</summary>
    private static void AddProduct(float* g, float* f, float* c, int d)
    {
        int j = 0;
        for (; j + Vector<float>.Count <= d; j += Vector<float>.Count)
            Vector.Store(Vector.Load(g + j) + Vector.Load(f + j) * Vector.Load(c + j), g + j);
        for (; j < d; j++) g[j] += f[j] * c[j];
    }

    /// <summary>dz += scale·∂L/∂z from the saved buffers; <paramref name="scratch"/> holds [D, D] floats.</summary>
    public static void VarianceCovarianceBackward(float* dz, float* centered, float* std, float* covariance, int n, int d,
        float gamma, float varWeight, float covWeight, float scale, float* scratch)
    {
        long dd = (long)d * d;
        for (long i = 0; i < dd; i++) scratch[i] = covariance[i];
        for (int j = 0; j < d; j++) scratch[(long)j * d + j] = 0f;
        float covFactor = (float)(4.0 * covWeight * scale / ((double)d * (n - 1)));
        if (covWeight != 0f) Sgemm.Run(false, false, n, d, d, covFactor, centered, d, scratch, d, 1f, dz, d);
        if (varWeight == 0f) return;
        Span<float> varFactor = d <= MaxStackFeatures ? stackalloc float[d] : new float[d];
        for (int j = 0; j < d; j++)
            varFactor[j] = std[j] < gamma ? (float)(-varWeight * scale / ((double)d * (n - 1) * std[j])) : 0f;
        fixed (float* f = varFactor)
            for (int i = 0; i < n; i++) AddProduct(dz + (long)i * d, f, centered + (long)i * d, d);
    }

    // View invariance (VICReg's invariance term over V augmented views of the same N images), on m [V·N, D], view-major
    // (row v·N + i is view v of image i):  L = w · mean over view pairs (a < b), images and features of (m_a,i,j − m_b,i,j)²
    //   = w · 2/((V−1)·N·D) · Σ_v,i,j (m_v,i,j − m̄_i,j)²  with m̄ the mean over views.
    // Nothing is saved for backward: dm_v,i,j += s · w · 4/((V−1)·N·D) · (m_v,i,j − m̄_i,j) is recomputed from m.
    /// <summary>Returns the view-invariance loss of <paramref name="m"/> [views·N, D].</summary>
    public static double ViewInvariance(float* m, int views, int n, int d, float weight)
    {
        RequireViews(views, n);
        double sum = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double mean = ViewMean(m, views, n, d, i, j);
                for (int v = 0; v < views; v++)
                {
                    double e = m[((long)v * n + i) * d + j] - mean;
                    sum += e * e;
                }
            }
        return weight * 2.0 * sum / ((double)(views - 1) * n * d);
    }

    /// <summary>dm += scale·∂L/∂m for <see cref="ViewInvariance"/>.</summary>
    public static void ViewInvarianceBackward(float* dm, float* m, int views, int n, int d, float weight, float scale)
    {
        RequireViews(views, n);
        double factor = weight * scale * 4.0 / ((double)(views - 1) * n * d);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double mean = ViewMean(m, views, n, d, i, j);
                for (int v = 0; v < views; v++)
                {
                    long at = ((long)v * n + i) * d + j;
                    dm[at] += (float)(factor * (m[at] - mean));
                }
            }
    }

    private static double ViewMean(float* m, int views, int n, int d, int i, int j)
    {
        double total = 0;
        for (int v = 0; v < views; v++) total += m[((long)v * n + i) * d + j];
        return total / views;
    }

    private static void RequireViews(int views, int n)
    {
        if (views < 2) throw new ArgumentOutOfRangeException(nameof(views), views, "view invariance: needs at least 2 views");
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "view invariance: needs at least 1 image");
    }
}
