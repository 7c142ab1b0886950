using JepaSharp.Engine.Kernels;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Kernels;

/// <summary>The variance-covariance and view-invariance regularizers against naive double-precision versions and their central differences.</summary>
public unsafe class RegularizerKernelsTests
{
    private const double Gamma = 1, VarWeight = 1, CovWeight = 0.04, Eps = 1e-4;

    private static double Naive(double[] z, int n, int d)
    {
        var mean = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += z[i * d + j] / n;
        double variance = 0, covariance = 0;
        for (int j = 0; j < d; j++)
        {
            for (int k = 0; k < d; k++)
            {
                double c = 0;
                for (int i = 0; i < n; i++) c += (z[i * d + j] - mean[j]) * (z[i * d + k] - mean[k]);
                c /= n - 1;
                if (j == k) variance += Math.Max(0, Gamma - Math.Sqrt(c + Eps));
                else covariance += c * c;
            }
        }
        return (VarWeight * variance + CovWeight * covariance) / d;
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(37, 9)]
    [InlineData(300, 40)]
    public void MatchesTheNaiveLossAndItsCentralDifferences(int n, int d)
    {
        var z = TestData.Uniform(n * d, n + d, 1.5f);
        for (int i = 0; i < z.Length; i++) z[i] *= 0.3f + i % d * 0.2f; // std on both sides of gamma
        var centered = new float[n * d];
        var std = new float[d];
        var covariance = new float[d * d];
        var grad = TestData.Uniform(n * d, 5);
        var initial = (float[])grad.Clone();
        var scratch = new float[d * d];
        const float scale = 0.7f;
        double loss;
        fixed (float* pz = z, pc = centered, ps = std, pv = covariance, pg = grad, pw = scratch)
        {
            loss = RegularizerKernels.VarianceCovariance(pz, n, d, (float)Gamma, (float)VarWeight, (float)CovWeight, (float)Eps, pc, ps, pv);
            RegularizerKernels.VarianceCovarianceBackward(pg, pc, ps, pv, n, d, (float)Gamma, (float)VarWeight, (float)CovWeight, scale, pw);
        }
        var exact = z.Select(v => (double)v).ToArray();
        double expected = Naive(exact, n, d);
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"loss {loss:R} vs naive {expected:R}");

        AssertCentralDifferences(exact, x => Naive(x, n, d), grad, initial, scale, Math.Max(1, z.Length / 97), 1e-4, 1e-3, $"n={n} d={d} dz");
    }

    /// <summary>
    /// The accumulated gradient (grad − initial) equals scale × the central difference of the naive loss at every
    /// <paramref name="stride"/>-th input, within atol + rtol·|numeric|.
    /// </summary>
    private static void AssertCentralDifferences(double[] exact, Func<double[], double> naive, float[] grad, float[] initial, double scale,
        int stride, double atol, double rtol, string label)
    {
        const double h = 1e-5;
        for (int idx = 0; idx < exact.Length; idx += stride)
        {
            double saved = exact[idx];
            exact[idx] = saved + h;
            double plus = naive(exact);
            exact[idx] = saved - h;
            double minus = naive(exact);
            exact[idx] = saved;
            double numeric = scale * (plus - minus) / (2 * h);
            double analytic = grad[idx] - initial[idx];
            Assert.True(Math.Abs(analytic - numeric) <= atol + rtol * Math.Abs(numeric), $"{label}[{idx}]: {analytic:G6} vs {numeric:G6}");
        }
    }

    [Fact]
    public void WellSpreadDecorrelatedFeaturesCostNothingAndCollapsedOnesCostGamma()
    {
        const int n = 4, d = 2;
        // Two orthogonal ±2 patterns: std > 1 per feature and zero covariance.
        float[] spread = [2, 2, -2, 2, 2, -2, -2, -2];
        float[] collapsed = [0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f];
        var c = new float[n * d];
        var s = new float[d];
        var v = new float[d * d];
        fixed (float* pz = spread, pc = c, ps = s, pv = v)
            Assert.Equal(0, RegularizerKernels.VarianceCovariance(pz, n, d, 1, 1, 1, 0, pc, ps, pv), 12);
        fixed (float* pz = collapsed, pc = c, ps = s, pv = v)
            Assert.Equal(1, RegularizerKernels.VarianceCovariance(pz, n, d, 1, 1, 1, 0, pc, ps, pv), 12);
    }

    /// <summary>The mean over view pairs, images and features of the squared difference, straight from its definition.</summary>
    private static double NaiveInvariance(double[] m, int views, int n, int d, double weight)
    {
        double sum = 0;
        int pairs = 0;
        for (int a = 0; a < views; a++)
            for (int b = a + 1; b < views; b++, pairs++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < d; j++)
                    {
                        double e = m[(a * n + i) * d + j] - m[(b * n + i) * d + j];
                        sum += e * e;
                    }
        return weight * sum / ((double)pairs * n * d);
    }

    [Theory]
    [InlineData(2, 1, 3)]
    [InlineData(2, 17, 9)]
    [InlineData(3, 5, 4)]
    public void ViewInvarianceMatchesTheNaiveLossAndItsCentralDifferences(int views, int n, int d)
    {
        const float weight = 1.7f, scale = 0.6f;
        var m = TestData.Uniform(views * n * d, views + n + d, 2f);
        var grad = TestData.Uniform(m.Length, 9);
        var initial = (float[])grad.Clone();
        double loss;
        fixed (float* pm = m, pg = grad)
        {
            loss = RegularizerKernels.ViewInvariance(pm, views, n, d, weight);
            RegularizerKernels.ViewInvarianceBackward(pg, pm, views, n, d, weight, scale);
        }
        var exact = m.Select(v => (double)v).ToArray();
        double expected = NaiveInvariance(exact, views, n, d, weight);
        Assert.True(Math.Abs(loss - expected) <= 1e-9 * Math.Max(1, expected), $"loss {loss:R} vs naive {expected:R}");

        AssertCentralDifferences(exact, x => NaiveInvariance(x, views, n, d, weight), grad, initial, scale, 1, 1e-5, 1e-4, $"views={views} n={n} d={d} dm");
    }

    [Fact]
    public void IdenticalViewsCostNothing()
    {
        float[] m = [1, -2, 3, 1, -2, 3]; // two views of one image with three features
        fixed (float* pm = m) Assert.Equal(0, RegularizerKernels.ViewInvariance(pm, 2, 1, 3, 1f));
    }
}
