using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Threading;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Kernels;

public unsafe class GeluKernelsTests
{
    private static readonly int[] Lengths = [1, 7, 17, 64, 197, 385, 75_853];

    /// <summary>Uniform on ±7 plus the point where erf saturates (|x|/√2 = 3.92), the zero of GELU' and the far tails.</summary>
    private static float[] Inputs(int n, int seed)
    {
        var x = TestData.Uniform(n, seed, 7f);
        float[] special = [0f, -0f, 5.5437f, -5.5437f, -0.75179f, -8f, -12f, -13.5f, -20f, 10f, 30f, 1e-20f];
        for (int i = 0; i < Math.Min(n, special.Length); i++) x[(i * 7919) % n] = special[i];
        return x;
    }

    [Fact]
    public void ReferenceGradientMatchesFiniteDifferences()
    {
        foreach (double x in new[] { -6.0, -3.2, -0.7, -0.1, 0.0, 0.4, 1.3, 2.5, 5.0 })
        {
            double fd = (ReferenceMath.Gelu(x + 1e-6) - ReferenceMath.Gelu(x - 1e-6)) / 2e-6;
            Assert.Equal(fd, ReferenceMath.GeluGrad(x), 1e-8);
        }
    }

    [Fact]
    public void ForwardMatchesDoubleReferenceInPlaceAndAcrossThreadCounts()
    {
        using var pool1 = new WorkerPool(1);
        using var pool2 = new WorkerPool(2);
        foreach (int n in Lengths)
        {
            var x = Inputs(n, n);
            var expected = x.Select(v => ReferenceMath.Gelu(v)).ToArray();
            float[]? first = null;
            foreach (var pool in new[] { pool1, pool2 })
            {
                var y = new float[n];
                var inPlace = (float[])x.Clone();
                fixed (float* py = y, px = x, pi = inPlace)
                {
                    GeluKernels.Forward(py, px, n, pool);
                    GeluKernels.Forward(pi, pi, n, pool);
                }
                string what = $"gelu n={n} threads={pool.Threads}";
                // x·Φ(x) with Φ to 2e-7 absolute (as PyTorch's erf form): the error scales with |x|, not with the value.
                for (int i = 0; i < n; i++)
                    Assert.True(Math.Abs(y[i] - expected[i]) <= 2e-7 * Math.Abs(x[i]) + 1e-7 * Math.Abs(expected[i]),
                        $"{what} element {i}: GELU({x[i]:R}) = {y[i]:R}, expected {expected[i]:R}");
                KernelAssert.BitEqual(y, inPlace, what + " in place");
                if (first == null) first = y;
                else KernelAssert.BitEqual(first, y, what + " vs 1 thread");
            }
        }
    }

    [Fact]
    public void ForwardLimits()
    {
        var x = new[] { 30f, 1000f, -1000f, float.NegativeInfinity, 0f };
        var y = new float[x.Length];
        fixed (float* px = x, py = y) GeluKernels.Forward(py, px, x.Length);
        Assert.Equal(30f, y[0]);
        Assert.Equal(1000f, y[1]);
        Assert.Equal(0f, y[2]);
        Assert.Equal(0f, y[4]);
    }

    [Fact]
    public void ValueAndDerivativeFromOnePassEqualTheSeparateKernelsBitForBit()
    {
        using var pool = new WorkerPool(2);
        foreach (int n in Lengths)
        {
            var x = Inputs(n, n + 5);
            var dy = TestData.Uniform(n, n + 6);
            var y = new float[n];
            var dx = new float[n];
            var value = new float[n];
            var derivative = new float[n];
            fixed (float* px = x, pdy = dy, py = y, pdx = dx, pv = value, pd = derivative)
            {
                GeluKernels.Forward(py, px, n, pool);
                GeluKernels.Backward(pdx, px, pdy, n, pool); // into zeros: dy·GELU'(x)
                GeluKernels.ForwardWithDerivative(pv, pd, px, n, pool);
                GeluKernels.ApplyDerivative(pd, pd, pdy, n, pool);
            }
            KernelAssert.BitEqual(y, value, $"gelu value n={n}");
            // Equal values (the accumulating kernel turns −0 into +0, the product keeps it).
            for (int i = 0; i < n; i++) Assert.True(dx[i] == derivative[i], $"gelu derivative·dy n={n} element {i}: {derivative[i]} vs {dx[i]}");
        }
    }

    [Fact]
    public void BackwardAccumulatesTheReferenceGradient()
    {
        using var pool1 = new WorkerPool(1);
        using var pool2 = new WorkerPool(2);
        foreach (int n in Lengths)
        {
            var x = Inputs(n, n + 1);
            var dy = TestData.Uniform(n, n + 2);
            var init = TestData.Uniform(n, n + 3);
            var expected = new double[n];
            for (int i = 0; i < n; i++) expected[i] = init[i] + dy[i] * ReferenceMath.GeluGrad(x[i]);
            float[]? first = null;
            foreach (var pool in new[] { pool1, pool2 })
            {
                var dx = (float[])init.Clone();
                fixed (float* pdx = dx, px = x, pdy = dy) GeluKernels.Backward(pdx, px, pdy, n, pool);
                string what = $"gelu backward n={n} threads={pool.Threads}";
                TestData.AssertClose(expected, dx, 2e-7, 1e-6, what); // |dy| ≤ 1, GELU' to Φ's 2e-7
                if (first == null) first = dx;
                else KernelAssert.BitEqual(first, dx, what + " vs 1 thread");
            }
            // Without the accumulator: GELU' = Φ + x·φ is as accurate as Φ, 2e-7 absolute (relative away from its zero at x ≈ −0.7518).
            var g = new float[n];
            var ones = Enumerable.Repeat(1f, n).ToArray();
            fixed (float* pg = g, px = x, po = ones) GeluKernels.Backward(pg, px, po, n, pool2);
            TestData.AssertClose(x.Select(v => ReferenceMath.GeluGrad(v)).ToArray(), g, 2e-7, 2e-6, $"gelu' n={n}");
        }
    }
}
