namespace JepaSharp.Tests.Kernels;

/// <summary>Assertions and shapes shared by the kernel tests.</summary>
public static class KernelAssert
{
    /// <summary>Odd row/column counts: single rows, sizes below/above one vector, and ViT-like 197 × 385 (parallel path).</summary>
    public static readonly (int Rows, int C)[] Shapes = [(1, 1), (1, 385), (7, 17), (17, 7), (64, 64), (3, 197), (197, 385)];

    public static void BitEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Xunit.Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected bit-identical {expected[i]:R}");
    }

    public static double[] ToDouble(ReadOnlySpan<float> a)
    {
        var d = new double[a.Length];
        for (int i = 0; i < a.Length; i++) d[i] = a[i];
        return d;
    }
}
