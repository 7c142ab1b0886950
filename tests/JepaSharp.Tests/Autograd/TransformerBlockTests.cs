using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using JepaSharp.Engine.Threading;
using Xunit;

namespace JepaSharp.Tests.Autograd;

public unsafe class TransformerBlockTests
{
    [Theory]
    [InlineData(64, 3, 49, 37)] // head_dim 64 (the small-tile attention), several image chunks per thread, a short last chunk
    [InlineData(32, 3, 11, 5)]  // head_dim 32 (the general attention path), fewer images than a chunk
    public void EqualsTheBlocksOpsBitForBitOnAnyThreadCount(int headDim, int heads, int tokens, int images)
    {
        int c = heads * headDim, hidden = 4 * c;
        var shapes = new[]
        {
            new Shape(images, tokens, c), new Shape(c), new Shape(c), new Shape(3 * c, c), new Shape(3 * c), new Shape(c, c), new Shape(c),
            new Shape(c), new Shape(c), new Shape(hidden, c), new Shape(hidden), new Shape(c, hidden), new Shape(c),
        };
        var values = shapes.Select((s, i) => Support.TestData.Uniform(s.Numel, 7 + i, i is 1 or 7 ? 0.5f : i is 3 or 5 or 9 or 11 ? 0.1f : 1f)).ToArray();
        using var g = new Graph();
        using var noGrad = g.NoGrad();
        var t = shapes.Select((s, i) => g.Input(values[i], s)).ToArray();
        var p = new BlockParameters(t[1], t[2], 1e-6f, t[3], t[4], heads, t[5], t[6], t[7], t[8], 1e-6f, t[9], t[10], t[11], t[12]);

        var h = Ops.AttentionLinear(Ops.NormLinear(t[0], t[1], t[2], 1e-6f, t[3], t[4]), heads, t[5], t[6], residual: t[0]);
        var expected = Ops.GeluLinear(Ops.NormLinear(h, t[7], t[8], 1e-6f, t[9], t[10]), t[11], t[12], residual: h).ToArray();
        Assert.Equal(expected, Ops.TransformerBlock(t[0], p).ToArray());

        var w = new BlockWeights
        {
            Norm1Weight = t[1].Data, Norm1Bias = t[2].Data, Norm1Eps = 1e-6f, QkvWeight = t[3].Data, QkvBias = t[4].Data, ProjWeight = t[5].Data,
            ProjBias = t[6].Data, Norm2Weight = t[7].Data, Norm2Bias = t[8].Data, Norm2Eps = 1e-6f, Fc1Weight = t[9].Data, Fc1Bias = t[10].Data,
            Fc2Weight = t[11].Data, Fc2Bias = t[12].Data,
        };
        foreach (int threads in new[] { 1, 3 })
        {
            using var pool = new WorkerPool(threads);
            var y = new float[expected.Length];
            var scratch = new float[BlockKernels.ScratchFloats(images, tokens, c, hidden, pool)];
            fixed (float* py = y, ps = scratch)
                BlockKernels.Forward(py, t[0].Data, images, tokens, c, heads, hidden, w, ps, pool);
            Assert.True(expected.AsSpan().SequenceEqual(y), $"threads={threads}");
        }
    }

    [Fact]
    public void RefusesInputsThatNeedGradients()
    {
        using var g = new Graph();
        int c = 8;
        Tensor P(params int[] dims) => g.Input(new float[new Shape(dims).Numel], new Shape(dims), requiresGrad: true);
        var x = g.Input(new float[2 * 3 * c], new Shape(2, 3, c), requiresGrad: true);
        var p = new BlockParameters(P(c), P(c), 1e-6f, P(3 * c, c), null, 2, P(c, c), null, P(c), P(c), 1e-6f, P(4 * c, c), null, P(c, 4 * c), null);
        var ex = Assert.Throws<InvalidOperationException>(() => Ops.TransformerBlock(x, p));
        Assert.Contains("transformer_block: computes no gradients", ex.Message);
        // A bias alone that wants a gradient is refused too.
        var frozen = g.Input(new float[2 * 3 * c], new Shape(2, 3, c));
        Tensor F(params int[] dims) => g.Input(new float[new Shape(dims).Numel], new Shape(dims));
        var onlyBias = new BlockParameters(F(c), F(c), 1e-6f, F(3 * c, c), null, 2, F(c, c), null, F(c), F(c), 1e-6f, F(4 * c, c), null, F(c, 4 * c), P(c));
        Assert.Throws<InvalidOperationException>(() => Ops.TransformerBlock(frozen, onlyBias));
    }
}
