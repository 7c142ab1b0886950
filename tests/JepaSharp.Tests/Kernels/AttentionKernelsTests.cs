using JepaSharp.Engine.Kernels;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Kernels;

/// <summary>The attention core, both its small-tile and its GEMM path, against a naive double-precision reference.</summary>
[Collection(nameof(GemmKernelState))]
public unsafe class AttentionKernelsTests
{
    /// <summary>Forward O and backward dqkv in double: S = scale·QKᵀ, P = softmax(S), O = PV.</summary>
    private static (double[] Out, double[] DQkv) Naive(float[] qkv, float[] dout, int b, int t, int h, int dh, float scale)
    {
        int c = h * dh, ld = 3 * c;
        var o = new double[b * t * c];
        var dqkv = new double[qkv.Length];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
            {
                double Q(int i, int d) => qkv[(bi * t + i) * ld + hi * dh + d];
                double K(int i, int d) => qkv[(bi * t + i) * ld + c + hi * dh + d];
                double V(int i, int d) => qkv[(bi * t + i) * ld + 2 * c + hi * dh + d];
                double DO(int i, int d) => dout[(bi * t + i) * c + hi * dh + d];
                var p = new double[t, t];
                for (int i = 0; i < t; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < t; j++)
                    {
                        double sum = 0;
                        for (int d = 0; d < dh; d++) sum += Q(i, d) * K(j, d);
                        p[i, j] = scale * sum;
                        max = Math.Max(max, p[i, j]);
                    }
                    double z = 0;
                    for (int j = 0; j < t; j++) z += p[i, j] = Math.Exp(p[i, j] - max);
                    for (int j = 0; j < t; j++) p[i, j] /= z;
                    for (int d = 0; d < dh; d++)
                    {
                        double sum = 0;
                        for (int j = 0; j < t; j++) sum += p[i, j] * V(j, d);
                        o[(bi * t + i) * c + hi * dh + d] = sum;
                    }
                }
                for (int i = 0; i < t; i++)
                {
                    var dp = new double[t];
                    double dot = 0;
                    for (int j = 0; j < t; j++)
                    {
                        for (int d = 0; d < dh; d++) dp[j] += DO(i, d) * V(j, d);
                        dot += p[i, j] * dp[j];
                    }
                    for (int j = 0; j < t; j++)
                    {
                        double ds = p[i, j] * (dp[j] - dot);
                        for (int d = 0; d < dh; d++)
                        {
                            dqkv[(bi * t + i) * ld + hi * dh + d] += scale * ds * K(j, d);
                            dqkv[(bi * t + j) * ld + c + hi * dh + d] += scale * ds * Q(i, d);
                            dqkv[(bi * t + j) * ld + 2 * c + hi * dh + d] += p[i, j] * DO(i, d);
                        }
                    }
                }
            }
        return (o, dqkv);
    }

    [Theory]
    [InlineData(true, 17, 64)]
    [InlineData(true, 49, 64)]
    [InlineData(true, 70, 64)]
    [InlineData(false, 49, 64)]
    [InlineData(true, 24, 32)]
    [InlineData(true, 70, 32)]
    [InlineData(false, 24, 32)]
    public void ForwardAndBackwardMatchDoublePrecision(bool tiles, int t, int dh)
    {
        if (tiles && !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) return;
        const int b = 2, h = 2;
        float scale = 1f / MathF.Sqrt(dh);
        var qkv = TestData.Uniform(b * t * 3 * h * dh, t, 1.5f);
        var dout = TestData.Uniform(b * t * h * dh, t + 1);
        var (expectedOut, expectedGrad) = Naive(qkv, dout, b, t, h, dh, scale);
        bool saved = AttentionKernels.UseTiles;
        AttentionKernels.UseTiles = tiles;
        try
        {
            var output = new float[b * t * h * dh];
            var probs = new float[b * h * t * t];
            var grad = TestData.Uniform(qkv.Length, 99);
            var accumulated = (float[])grad.Clone();
            var inPlace = (float[])qkv.Clone();
            fixed (float* o = output, p = probs, x = qkv, dO = dout, g = grad, acc = accumulated, own = inPlace)
            {
                AttentionKernels.Forward(o, p, x, b, t, h, dh, scale);
                AttentionKernels.Backward(g, dO, x, p, b, t, h, dh, scale, overwrite: true);
                AttentionKernels.Backward(acc, dO, x, p, b, t, h, dh, scale);
                AttentionKernels.Backward(own, dO, own, p, b, t, h, dh, scale, overwrite: true);
            }
            Assert.Equal(grad, inPlace); // dqkv written over qkv itself: the same values, bit for bit
            Assert.Throws<ArgumentException>(() =>
            {
                fixed (float* own = inPlace, p = probs, dO = dout) AttentionKernels.Backward(own, dO, own, p, b, t, h, dh, scale);
            });
            TestData.AssertClose(expectedOut, output, 1e-5, 1e-4, $"attention out (tiles={tiles}, T={t}, dh={dh})");
            TestData.AssertClose(expectedGrad, grad, 1e-5, 1e-4, $"attention dqkv (tiles={tiles}, T={t})");
            var initial = TestData.Uniform(qkv.Length, 99);
            TestData.AssertClose(expectedGrad.Select((e, i) => e + initial[i]).ToArray(), accumulated, 1e-5, 1e-4, $"attention dqkv accumulated (tiles={tiles}, T={t})");
        }
        finally
        {
            AttentionKernels.UseTiles = saved;
        }
    }
}
