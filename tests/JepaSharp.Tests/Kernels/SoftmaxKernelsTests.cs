using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Threading;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Kernels;

public unsafe class SoftmaxKernelsTests
{
    private static double[] ReferenceForward(float[] x, int rows, int C)
    {
        var y = new double[rows * C];
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (int c = 0; c < C; c++) m = Math.Max(m, x[r * C + c]);
            for (int c = 0; c < C; c++) s += Math.Exp(x[r * C + c] - m);
            for (int c = 0; c < C; c++) y[r * C + c] = Math.Exp(x[r * C + c] - m) / s;
        }
        return y;
    }

    private static double[] ReferenceBackward(float[] y, float[] dy, int rows, int C)
    {
        var dx = new double[rows * C];
        for (int r = 0; r < rows; r++)
        {
            double dot = 0;
            for (int c = 0; c < C; c++) dot += (double)y[r * C + c] * dy[r * C + c];
            for (int c = 0; c < C; c++) dx[r * C + c] = y[r * C + c] * (dy[r * C + c] - dot);
        }
        return dx;
    }

    /// <summary>Logits spread over ±12 with a large per-row offset: a softmax without the max shift overflows.</summary>
    private static float[] Logits(int rows, int C, int seed)
    {
        var x = TestData.Uniform(rows * C, seed, 12f);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < C; c++) x[r * C + c] += 100f * (r % 4) - 50f;
        return x;
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(20, 32)]
    [InlineData(49, 64)]
    [InlineData(64, 64)]
    public void PaddedRowsMatchDoublePrecisionAndZeroThePadding(int valid, int padded)
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) return;
        const int rows = 7; // a group of four rows and three single ones
        var x = Logits(rows, padded, valid);
        for (int r = 0; r < rows; r++)
            for (int c = valid; c < padded; c++) x[r * padded + c] = 1e4f; // must not win the max or enter the sum
        var inside = new float[rows * valid];
        for (int r = 0; r < rows; r++) Array.Copy(x, r * padded, inside, r * valid, valid);
        var expected = ReferenceForward(inside, rows, valid);
        var y = (float[])x.Clone();
        var alone = (float[])x.Clone();
        fixed (float* p = y, q = alone)
        {
            SoftmaxKernels.SoftmaxRowsPadded(p, rows, padded, valid, padded);
            for (int r = 0; r < rows; r++) SoftmaxKernels.SoftmaxRowsPadded(q + r * padded, 1, padded, valid, padded);
        }
        Assert.True(y.AsSpan().SequenceEqual(alone), "rows in a group of four differ from rows done one at a time");
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < padded; c++)
                if (c < valid) Assert.True(Math.Abs(y[r * padded + c] - expected[r * valid + c]) <= 1e-6 + 1e-5 * expected[r * valid + c], $"row {r} column {c}");
                else Assert.Equal(0f, y[r * padded + c]);
    }

    [Fact]
    public void ReferenceBackwardMatchesFiniteDifferences()
    {
        const int C = 7;
        var x = TestData.Uniform(C, 1, 3f);
        var dy = TestData.Uniform(C, 2);
        var xd = KernelAssert.ToDouble(x);
        double Loss()
        {
            double m = xd.Max(), s = xd.Sum(v => Math.Exp(v - m)), l = 0;
            for (int c = 0; c < C; c++) l += dy[c] * Math.Exp(xd[c] - m) / s;
            return l;
        }
        var y = ReferenceForward(x, 1, C).Select(v => (float)v).ToArray();
        var dx = ReferenceBackward(y, dy, 1, C);
        for (int i = 0; i < C; i++)
        {
            double keep = xd[i];
            xd[i] = keep + 1e-6; double lp = Loss();
            xd[i] = keep - 1e-6; double lm = Loss();
            xd[i] = keep;
            Assert.Equal(dx[i], (lp - lm) / 2e-6, 1e-6);
        }
    }

    [Fact]
    public void ForwardMatchesDoubleReferenceInPlaceAndAcrossThreadCounts()
    {
        using var pool1 = new WorkerPool(1);
        using var pool2 = new WorkerPool(2);
        int seed = 0;
        foreach (var (rows, C) in KernelAssert.Shapes)
        {
            var x = Logits(rows, C, ++seed);
            var expected = ReferenceForward(x, rows, C);
            float[]? first = null;
            foreach (var pool in new[] { pool1, pool2 })
            {
                var y = new float[rows * C];
                var inPlace = (float[])x.Clone();
                fixed (float* py = y, px = x, pi = inPlace)
                {
                    SoftmaxKernels.Forward(py, px, rows, C, pool);
                    SoftmaxKernels.Forward(pi, pi, rows, C, pool);
                }
                string what = $"softmax [{rows},{C}] threads={pool.Threads}";
                TestData.AssertClose(expected, y, 1e-30, 2e-6, what);
                KernelAssert.BitEqual(y, inPlace, what + " in place");
                if (first == null) first = y;
                else KernelAssert.BitEqual(first, y, what + " vs 1 thread");
            }
            var row = x.AsSpan(0, C).ToArray();
            fixed (float* pr = row) SoftmaxKernels.SoftmaxRow(pr, C);
            KernelAssert.BitEqual(first.AsSpan(0, C), row, $"SoftmaxRow C={C}");
        }
    }

    [Fact]
    public void ForwardHandlesExtremeLogits()
    {
        // A dominant logit, −inf entries (masked) and values whose unshifted exp would overflow or underflow.
        var x = new[] { 1000f, 0f, float.NegativeInfinity, 999f, -1000f, float.NegativeInfinity, 1000f };
        var y = new float[x.Length];
        fixed (float* px = x, py = y) SoftmaxKernels.Forward(py, px, 1, x.Length);
        TestData.AssertClose(ReferenceForward(x, 1, x.Length), y, 1e-30, 2e-6, "extreme logits");
        Assert.Equal(0f, y[2]);
        Assert.Equal(0f, y[1]);
    }

    [Fact]
    public void BackwardAccumulatesTheReferenceGradient()
    {
        using var pool1 = new WorkerPool(1);
        using var pool2 = new WorkerPool(2);
        int seed = 50;
        foreach (var (rows, C) in KernelAssert.Shapes)
        {
            var x = TestData.Uniform(rows * C, ++seed, 4f);
            var y = new float[rows * C];
            fixed (float* py = y, px = x) SoftmaxKernels.Forward(py, px, rows, C, pool1);
            var dy = TestData.Uniform(rows * C, ++seed);
            var init = TestData.Uniform(rows * C, ++seed);
            var expected = ReferenceBackward(y, dy, rows, C);
            for (int i = 0; i < expected.Length; i++) expected[i] += init[i];
            float[]? first = null;
            foreach (var pool in new[] { pool1, pool2 })
            {
                var dx = (float[])init.Clone();
                fixed (float* pdx = dx, py = y, pdy = dy) SoftmaxKernels.Backward(pdx, py, pdy, rows, C, pool);
                string what = $"softmax backward [{rows},{C}] threads={pool.Threads}";
                TestData.AssertClose(expected, dx, 1e-6, 1e-5, what);
                if (first == null) first = dx;
                else KernelAssert.BitEqual(first, dx, what + " vs 1 thread");
            }
        }
    }
}
