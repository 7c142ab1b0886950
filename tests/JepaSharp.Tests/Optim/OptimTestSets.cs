using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;
using Xunit;

namespace JepaSharp.Tests.Optim;

/// <summary>Optimizer tests switch <c>OptimKernels.Path</c>, so none of them may run beside another.</summary>
[CollectionDefinition(nameof(OptimKernelState), DisableParallelization = true)]
public sealed class OptimKernelState;

/// <summary>Parameter sets shaped like a ViT's groups, with odd lengths so every slot is followed by padding.</summary>
internal static class OptimTestSets
{
    /// <summary>
    /// A 2-D weight (decay), a bias and a 1-D norm weight (no decay), a fixed table, and one large
    /// weight so the set is long enough for the passes to run on several threads.
    /// </summary>
    public static ParameterSet Vit(int weightRows = 5) => new(new[]
    {
        ("blocks.0.attn.qkv.weight", Tensor.Declare(new Shape(weightRows, 7)), true),
        ("blocks.0.attn.qkv.bias", Tensor.Declare(new Shape(33)), true),
        ("pos_embed", Tensor.Declare(new Shape(1, 3, 7)), false),
        ("blocks.0.norm1.weight", Tensor.Declare(new Shape(197)), true),
        ("blocks.0.mlp.fc1.weight", Tensor.Declare(new Shape(197, 199)), true),
        ("blocks.0.mlp.fc1.bias", Tensor.Declare(new Shape(199)), true),
    });

    /// <summary>Fills every slot's values and every trainable slot's gradient; padding stays zero.</summary>
    public static void Fill(ParameterSet ps, int seed, float gradScale = 1f)
    {
        foreach (var s in ps.Slots)
        {
            TestDataCopy(s.Tensor.Span, Support.TestData.Uniform(s.Length, seed * 1000 + s.Name.Length * 7 + (int)s.Offset));
            if (s.Trainable) TestDataCopy(s.Tensor.GradSpan, Support.TestData.Uniform(s.Length, seed * 1000 + 500 + (int)s.Offset, gradScale));
        }
    }

    public static void FillGrads(ParameterSet ps, int seed, float scale = 1f)
    {
        foreach (var s in ps.Slots.Where(s => s.Trainable))
            TestDataCopy(s.Tensor.GradSpan, Support.TestData.Uniform(s.Length, seed * 1000 + 500 + (int)s.Offset, scale));
    }

    private static void TestDataCopy(Span<float> dst, float[] src) => src.CopyTo(dst);

    /// <summary>Asserts that every float of <paramref name="flat"/> outside the slots is zero.</summary>
    public static void AssertPaddingZero(ParameterSet ps, ReadOnlySpan<float> flat, string what)
    {
        long next = 0;
        foreach (var s in ps.Slots.OrderBy(s => s.Offset).Append(null))
        {
            long end = s?.Offset ?? flat.Length;
            for (long i = next; i < end; i++)
                if (flat[(int)i] != 0) Assert.Fail($"{what}: padding float {i} is {flat[(int)i]}");
            if (s is not null) next = s.Offset + s.Length;
        }
    }

    public static void AssertBitwiseEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} bit for bit");
    }
}
