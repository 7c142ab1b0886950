using JepaSharp.Engine.Memory;

namespace JepaSharp.Tests.Support;

/// <summary>Seeded random data and tolerance checks shared by the numerical tests.</summary>
public static class TestData
{
    public static float[] Uniform(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return a;
    }

    public static NativeBuffer Buffer(ReadOnlySpan<float> values)
    {
        var b = new NativeBuffer(values.Length);
        values.CopyTo(b.AsSpan());
        return b;
    }

    /// <summary>Asserts |actual - expected| ≤ atol + rtol·|expected| elementwise, naming the first offender.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]) - (atol + rtol * Math.Abs(expected[i]));
            if (double.IsNaN(actual[i]) || err > worst)
            {
                worst = double.IsNaN(actual[i]) ? double.PositiveInfinity : err;
                worstAt = i;
            }
        }
        if (worstAt >= 0)
            Xunit.Assert.Fail($"{what}: element {worstAt} is {actual[worstAt]}, expected {expected[worstAt]} (atol {atol}, rtol {rtol})");
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        var e = new double[expected.Length];
        for (int i = 0; i < e.Length; i++) e[i] = expected[i];
        AssertClose(e, actual, atol, rtol, what);
    }
}
