using System.Runtime.Intrinsics;
using JepaSharp.Engine.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace JepaSharp.Tests.Kernels;

public unsafe class FastMathTests(ITestOutputHelper output)
{
    // The bounds FastMath documents (measured maxima are printed; see the header of FastMath.cs).
    private const double ExpMaxUlp = 1.0;           // measured 0.981 ulp on [-87, 88]
    private const double ErfMaxAbs = 3.5e-7;        // measured 3.0e-7 on [-6, 6] (2.5 ulp of 1)
    private const double ErfSmallMaxRel = 3e-7;     // |x| ≤ 0.92, where erf keeps relative accuracy; measured 2.3e-7
    private const double NormalCdfMaxAbs = 2e-7;    // |x| ≤ 9, as PyTorch's ½(1 + erf(x/√2)); measured 1.7e-7

    private static float[] Grid(float lo, float hi, int n)
    {
        var g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float)(lo + (hi - lo) * (double)i / (n - 1));
        return g;
    }

    [Fact]
    public void ExpIsWithinItsUlpBoundOverTheNormalRange()
    {
        double worst = 0;
        float worstAt = 0;
        var rng = new Random(7);
        for (int i = 0; i < 2_000_000; i++)
        {
            float x = i < 1_000_000 ? (float)(-87 + 175 * (double)i / 999_999) : (float)(-87 + 175 * rng.NextDouble());
            double exact = Math.Exp(x);
            double err = Math.Abs(FastMath.Exp(x) - exact) / ReferenceMath.Ulp(exact);
            if (err > worst) (worst, worstAt) = (err, x);
        }
        output.WriteLine($"exp: max error {worst:F3} ulp at x={worstAt:R}");
        Assert.True(worst <= ExpMaxUlp, $"exp error {worst} ulp at {worstAt:R}");
    }

    [Fact]
    public void ExpHandlesTheEdgesOfTheFloatRange()
    {
        Assert.Equal(1f, FastMath.Exp(0f));
        Assert.Equal(0f, FastMath.Exp(-104f));
        Assert.Equal(0f, FastMath.Exp(-1000f));
        Assert.Equal(0f, FastMath.Exp(float.NegativeInfinity));
        Assert.Equal(0f, FastMath.Exp(float.MinValue));
        Assert.Equal(float.PositiveInfinity, FastMath.Exp(88.8f));
        Assert.Equal(float.PositiveInfinity, FastMath.Exp(float.PositiveInfinity));
        Assert.True(float.IsNaN(FastMath.Exp(float.NaN)));
        // Just below overflow and in the subnormal range the value is still right to a few ulp of the spacing there.
        Assert.Equal(Math.Exp(88.72f), FastMath.Exp(88.72f), Math.Exp(88.72f) * 3e-7);
        foreach (float x in new[] { -88f, -95.5f, -100f, -103f })
            Assert.Equal(Math.Exp(x), FastMath.Exp(x), 2 * (double)float.Epsilon + Math.Exp(x) * 3e-7);
    }

    [Fact]
    public void ErfIsWithinItsAbsoluteBoundAndKeepsRelativeAccuracyNearZero()
    {
        double worstAbs = 0, worstRel = 0;
        float absAt = 0, relAt = 0;
        foreach (float x in Grid(-6f, 6f, 240_001))
        {
            double exact = ReferenceMath.Erf(x);
            float got = FastMath.Erf(x);
            double abs = Math.Abs(got - exact);
            if (abs > worstAbs) (worstAbs, absAt) = (abs, x);
            if (Math.Abs(x) <= 0.92f && x != 0)
            {
                double rel = abs / Math.Abs(exact);
                if (rel > worstRel) (worstRel, relAt) = (rel, x);
            }
        }
        foreach (float x in new[] { 1e-30f, 1e-10f, 3e-5f, -2e-3f })
        {
            double rel = Math.Abs(FastMath.Erf(x) - ReferenceMath.Erf(x)) / Math.Abs(ReferenceMath.Erf(x));
            if (rel > worstRel) (worstRel, relAt) = (rel, x);
        }
        output.WriteLine($"erf: max abs error {worstAbs:E3} at x={absAt:R}; max relative error on |x|≤0.92 {worstRel:E3} at x={relAt:R}");
        Assert.True(worstAbs <= ErfMaxAbs, $"erf abs error {worstAbs} at {absAt:R}");
        Assert.True(worstRel <= ErfSmallMaxRel, $"erf relative error {worstRel} at {relAt:R}");
        Assert.Equal(0f, FastMath.Erf(0f));
        Assert.Equal(1f, FastMath.Erf(7f));
        Assert.Equal(-1f, FastMath.Erf(float.NegativeInfinity));
        Assert.Equal(1f, FastMath.Erf(float.PositiveInfinity));
        Assert.True(float.IsNaN(FastMath.Erf(float.NaN)));
    }

    [Fact]
    public void ErfIsOdd()
    {
        foreach (float x in Grid(0f, 5f, 50_001))
            Assert.Equal(-FastMath.Erf(x), FastMath.Erf(-x));
    }

    [Fact]
    public void NormalCdfIsWithinItsAbsoluteBoundAndSaturatesExactly()
    {
        double worst = 0;
        float worstAt = 0;
        foreach (float x in Grid(-9f, 9f, 360_001))
        {
            double err = Math.Abs(FastMath.NormalCdf(x) - ReferenceMath.NormalCdf(x));
            if (err > worst) (worst, worstAt) = (err, x);
        }
        output.WriteLine($"Φ: max absolute error on [-9, 9] {worst:E3} at x={worstAt:R}");
        Assert.True(worst <= NormalCdfMaxAbs, $"Φ absolute error {worst} at {worstAt:R}");
        // Where erf is ±1 in float Φ is exactly 0 or 1, so GELU gives exactly 0 and x there.
        foreach (float x in new[] { 5.6f, 15f, 1e30f, float.PositiveInfinity })
        {
            Assert.Equal(1f, FastMath.NormalCdf(x));
            Assert.Equal(0f, FastMath.NormalCdf(-x));
        }
        Assert.Equal(0.5f, FastMath.NormalCdf(0f));
        Assert.True(float.IsNaN(FastMath.NormalCdf(float.NaN)));
    }

    /// <summary>Inputs that hit every branch: the normal range, both clamps, subnormal results, infinities and NaN.</summary>
    private static float[] BranchInputs()
    {
        var xs = new List<float>(Grid(-110f, 95f, 40_000));
        xs.AddRange(Grid(-12f, 12f, 40_000));
        xs.AddRange(new[] { 0f, -0f, 3.92f, -3.92f, 3.9199998f, 5.5437f, -5.5437f, 10.5f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.MaxValue, float.MinValue, 1e-40f });
        while (xs.Count % 16 != 0) xs.Add(1f);
        return xs.ToArray();
    }

    private static void AssertBitEqual(float expected, float actual, string what, float x)
    {
        if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(actual) && !(float.IsNaN(expected) && float.IsNaN(actual)))
            Assert.Fail($"{what}({x:R}): vector {actual:R} differs from scalar {expected:R}");
    }

    [Fact]
    public void VectorPathsAgreeBitForBitWithTheScalarPath()
    {
        var xs = BranchInputs();
        var v = new float[16];
        for (int i = 0; i < xs.Length; i += 16)
        {
            fixed (float* p = xs, pv = v)
            {
                if (Vector512.IsHardwareAccelerated)
                {
                    var x = Vector512.Load(p + i);
                    Vector512.Store(FastMath.Exp(x), pv);
                    for (int j = 0; j < 16; j++) AssertBitEqual(FastMath.Exp(xs[i + j]), v[j], "Exp512", xs[i + j]);
                    Vector512.Store(FastMath.Erf(x), pv);
                    for (int j = 0; j < 16; j++) AssertBitEqual(FastMath.Erf(xs[i + j]), v[j], "Erf512", xs[i + j]);
                    Vector512.Store(FastMath.NormalCdf(x), pv);
                    for (int j = 0; j < 16; j++) AssertBitEqual(FastMath.NormalCdf(xs[i + j]), v[j], "NormalCdf512", xs[i + j]);
                }
                if (Vector256.IsHardwareAccelerated)
                {
                    for (int h = 0; h < 16; h += 8)
                    {
                        var x = Vector256.Load(p + i + h);
                        Vector256.Store(FastMath.Exp(x), pv);
                        for (int j = 0; j < 8; j++) AssertBitEqual(FastMath.Exp(xs[i + h + j]), v[j], "Exp256", xs[i + h + j]);
                        Vector256.Store(FastMath.Erf(x), pv);
                        for (int j = 0; j < 8; j++) AssertBitEqual(FastMath.Erf(xs[i + h + j]), v[j], "Erf256", xs[i + h + j]);
                        Vector256.Store(FastMath.NormalCdf(x), pv);
                        for (int j = 0; j < 8; j++) AssertBitEqual(FastMath.NormalCdf(xs[i + h + j]), v[j], "NormalCdf256", xs[i + h + j]);
                    }
                }
            }
        }
    }

    [Fact]
    public void SpanExpMatchesScalarAndWorksInPlace()
    {
        foreach (int n in new[] { 0, 1, 7, 17, 64, 197, 385 })
        {
            var x = TestDataFor(n);
            var y = new float[n];
            FastMath.Exp(x, y);
            for (int i = 0; i < n; i++) Assert.Equal(FastMath.Exp(x[i]), y[i]);
            var inPlace = (float[])x.Clone();
            FastMath.Exp(inPlace, inPlace);
            Assert.Equal(y, inPlace);
        }
        Assert.Throws<ArgumentException>(() => FastMath.Exp(new float[3], new float[2]));
    }

    private static float[] TestDataFor(int n) => Support.TestData.Uniform(n, n + 1, 30f);
}
