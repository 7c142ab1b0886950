using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using Xunit;

namespace JepaSharp.Tests.Autograd;

/// <summary>Every autograd op's backward against finite differences.</summary>
public class OpGradientTests
{
    [Fact]
    public void Linear() => GradCheck.Check("linear", t => Ops.Linear(t[0], t[1], t[2]),
        [new Shape(2, 5, 7), new Shape(9, 7), new Shape(9)]);

    [Fact]
    public void LinearWithoutBias() => GradCheck.Check("linear/no bias", t => Ops.Linear(t[0], t[1]),
        [new Shape(6, 4), new Shape(3, 4)]);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void BatchedMatMul(bool ta, bool tb) => GradCheck.Check($"matmul ta={ta} tb={tb}", t => Ops.MatMul(t[0], t[1], ta, tb),
        [ta ? new Shape(2, 4, 3) : new Shape(2, 3, 4), tb ? new Shape(2, 5, 4) : new Shape(2, 4, 5)]);

    [Fact]
    public void AddMulScale() => GradCheck.Check("add/mul/scale", t => Ops.Scale(Ops.Mul(Ops.Add(t[0], t[1]), t[0]), 0.7f),
        [new Shape(3, 11), new Shape(3, 11)]);

    [Fact]
    public void AddBroadcastOverBatch() => GradCheck.Check("add_broadcast", t => Ops.AddBroadcast(t[0], t[1]),
        [new Shape(3, 4, 5), new Shape(4, 5)]);

    [Fact]
    public void LayerNormAffine() => GradCheck.Check("layer_norm", t => Ops.LayerNorm(t[0], t[1], t[2], 1e-6f),
        [new Shape(4, 19), new Shape(19), new Shape(19)]);

    [Fact]
    public void LayerNormWithoutAffine() => GradCheck.Check("layer_norm/no affine", t => Ops.LayerNorm(t[0], null, null, 1e-5f),
        [new Shape(3, 17)]);

    [Fact]
    public void Gelu() => GradCheck.Check("gelu", t => Ops.Gelu(t[0]), [new Shape(5, 13)], values: _ => Support.TestData.Uniform(65, 3, 4f));

    [Fact]
    public void Softmax() => GradCheck.Check("softmax", t => Ops.Softmax(t[0]), [new Shape(4, 9)], values: _ => Support.TestData.Uniform(36, 4, 3f));

    [Fact]
    public void Attention() => GradCheck.Check("attention", t => Ops.Attention(t[0], heads: 2),
        [new Shape(2, 5, 3 * 2 * 4)], values: _ => Support.TestData.Uniform(2 * 5 * 24, 9, 1.5f));

    [Fact]
    public void GatherTokensAcrossStackedMasks() => GradCheck.Check("gather_tokens",
        t => Ops.GatherTokens(t[0], [0, 2, 3, 1, 4, 4, 2, 2, 0, 3, 3, 1], keep: 3), [new Shape(2, 5, 3)]);

    [Fact]
    public void ScatterTokens() => GradCheck.Check("scatter_tokens",
        t => Ops.ScatterTokens(t[0], [1, 3, 1, 0, 2, 4], tokens: 5), [new Shape(2, 3, 4)]);

    [Fact]
    public void ConcatTokens() => GradCheck.Check("concat_tokens", t => Ops.ConcatTokens(t[0], t[1]),
        [new Shape(2, 3, 4), new Shape(2, 2, 4)]);

    [Fact]
    public void TileBatch() => GradCheck.Check("tile_batch", t => Ops.TileBatch(t[0], 6), [new Shape(2, 3, 2)]);

    [Fact]
    public void SliceTokens() => GradCheck.Check("slice_tokens", t => Ops.SliceTokens(t[0], 1, 3), [new Shape(2, 5, 3)]);

    [Fact]
    public void MeanTokens() => GradCheck.Check("mean_tokens", t => Ops.MeanTokens(t[0]), [new Shape(3, 5, 4)]);

    [Fact]
    public void ReshapeOfActivation() => GradCheck.Check("reshape", t => Ops.Reshape(Ops.Scale(t[0], 2f), new Shape(6, 2)), [new Shape(3, 4)]);

    [Fact]
    public void PatchEmbedIncludingImageGradient() => GradCheck.Check("patch_embed", t => Ops.PatchEmbed(t[0], t[1], t[2]),
        [new Shape(2, 2, 4, 6), new Shape(5, 2, 2, 2), new Shape(5)]);

    [Theory]
    [InlineData(RegressionLoss.SmoothL1, 1f)]
    [InlineData(RegressionLoss.SmoothL1, 0.5f)]
    [InlineData(RegressionLoss.Mse, 1f)]
    [InlineData(RegressionLoss.L1, 1f)]
    public void RegressionLosses(RegressionLoss kind, float beta)
    {
        // Keep |prediction − target| away from the kinks at 0 and beta, where finite differences are meaningless.
        var pred = Support.TestData.Uniform(24, 11);
        var rng = new Random(12);
        var target = pred.Select(p =>
        {
            double d = rng.Next(2) == 0 ? 0.1 + 0.25 * rng.NextDouble() : 0.7 + rng.NextDouble();
            return (float)(p + (rng.Next(2) == 0 ? d : -d) * beta);
        }).ToArray();
        GradCheck.Check($"{kind} beta={beta}", t => Ops.Loss(kind, t[0], t[1], beta), [new Shape(4, 6), new Shape(4, 6)],
            eps: 1e-3f, values: i => i == 0 ? pred : target);
    }

    [Fact]
    public void CrossEntropy() => GradCheck.Check("cross_entropy", t => Ops.CrossEntropy(t[0], [2, 0, 4, 4, 1]),
        [new Shape(5, 6)], values: _ => Support.TestData.Uniform(30, 13, 3f));

    [Fact]
    public void PreNormBlockEndToEnd()
    {
        // The whole block through its ops with every parameter as an input: x, ln1 w/b, qkv w/b, proj w/b, ln2 w/b, fc1 w/b, fc2 w/b.
        const int d = 8, heads = 2, hidden = 16;
        Shape[] shapes =
        [
            new(2, 5, d), new(d), new(d), new(3 * d, d), new(3 * d), new(d, d), new(d),
            new(d), new(d), new(hidden, d), new(hidden), new(d, hidden), new(d),
        ];
        GradCheck.Check("block", t =>
        {
            var x = Ops.Add(t[0], Ops.Linear(Ops.Attention(Ops.Linear(Ops.LayerNorm(t[0], t[1], t[2], 1e-6f), t[3], t[4]), heads), t[5], t[6]));
            return Ops.Add(x, Ops.Linear(Ops.Gelu(Ops.Linear(Ops.LayerNorm(x, t[7], t[8], 1e-6f), t[9], t[10])), t[11], t[12]));
        }, shapes, values: i => Support.TestData.Uniform(shapes[i].Numel, 40 + i, i is 1 or 7 ? 0.5f : 0.6f).Select(v => i is 1 or 7 ? 1 + v : v).ToArray());
    }

    [Fact]
    public void VarianceCovariance()
    {
        // Feature scales on both sides of gamma = 1, so the hinge is active for some features and not for others.
        var z = Support.TestData.Uniform(3 * 5 * 4, 21);
        float[] scales = [0.4f, 3f, 0.8f, 2.5f];
        for (int i = 0; i < z.Length; i++) z[i] *= scales[i % 4];
        GradCheck.Check("variance_covariance", t => Ops.VarianceCovariance(t[0], 1f, 1f, 0.5f), [new Shape(3, 5, 4)], eps: 1e-3f, values: _ => z);
    }

    [Fact]
    public void ViewInvariance() => GradCheck.Check("view_invariance", t => Ops.ViewInvariance(t[0], 3, 0.8f), [new Shape(6, 5)]);

    [Fact]
    public void GeluLinear() => GradCheck.Check("gelu_linear", t => Ops.GeluLinear(t[0], t[1], t[2]), [new Shape(2, 3, 5), new Shape(4, 5), new Shape(4)]);

    [Fact]
    public void GeluLinearWithResidual()
        => GradCheck.Check("gelu_linear+residual", t => Ops.GeluLinear(t[0], t[1], t[2], t[3]), [new Shape(2, 3, 5), new Shape(4, 5), new Shape(4), new Shape(2, 3, 4)]);

    [Fact]
    public void LinearWithResidual()
        => GradCheck.Check("linear+residual", t => Ops.Linear(t[0], t[1], t[2], t[3]), [new Shape(3, 5), new Shape(4, 5), new Shape(4), new Shape(3, 4)]);

    [Fact]
    public void AResidualUsedTwiceGetsBothGradients()
        // The block's pattern: h = x + f(LN(x)), where x also feeds the branch.
        => GradCheck.Check("residual fan-out", t => Ops.Linear(Ops.LayerNorm(t[0], null, null, 1e-5f), t[1], null, t[0]), [new Shape(3, 4), new Shape(4, 4)]);

    private static readonly Shape[] NormLinearShapes = [new(2, 3, 6), new(6), new(6), new(5, 6), new(5)];

    [Fact]
    public void NormLinear() => GradCheck.Check("norm_linear", t => Ops.NormLinear(t[0], t[1], t[2], 1e-6f, t[3], t[4]),
        NormLinearShapes, values: Values(NormLinearShapes, gammaAt: 1));

    [Fact]
    public void NormLinearWithoutBias() => GradCheck.Check("norm_linear/no bias", t => Ops.NormLinear(t[0], t[1], t[2], 1e-5f, t[3], null),
        NormLinearShapes[..4], values: Values(NormLinearShapes, gammaAt: 1));

    private static readonly Shape[] AttentionLinearShapes = [new(2, 5, 3 * 2 * 4), new(6, 8), new(6), new(2, 5, 6)];

    [Fact]
    public void AttentionLinearWithResidual() => GradCheck.Check("attention_linear+residual", t => Ops.AttentionLinear(t[0], 2, t[1], t[2], t[3]),
        AttentionLinearShapes, values: Values(AttentionLinearShapes, gammaAt: -1));

    private static readonly Shape[] NormAttentionLinearShapes = [new(2, 5, 8), new(8), new(8), new(3 * 8, 8), new(3 * 8), new(8, 8), new(8)];

    [Fact]
    public void NormAttentionLinear() => GradCheck.Check("norm_attention_linear",
        t => Ops.NormAttentionLinear(t[0], t[1], t[2], 1e-6f, t[3], t[4], 2, t[5], t[6]),
        NormAttentionLinearShapes, values: Values(NormAttentionLinearShapes, gammaAt: 1));

    /// <summary>Uniform values per input, seeded by position; the input at <paramref name="gammaAt"/> (a LayerNorm γ) lies around 1.</summary>
    private static Func<int, float[]> Values(Shape[] shapes, int gammaAt) => i =>
    {
        var v = Support.TestData.Uniform(shapes[i].Numel, 60 + i);
        return i == gammaAt ? v.Select(x => 1 + 0.5f * x).ToArray() : v;
    };

    [Fact]
    public void GeluLinearEqualsLinearOfGeluBitForBit()
        => AssertSameOutputsAndGradients([new Shape(37, 40), new Shape(24, 40), new Shape(24)],
            t => Ops.GeluLinear(t[0], t[1], t[2]), t => Ops.Linear(Ops.Gelu(t[0]), t[1], t[2]), scale: i => i == 0 ? 2f : i == 1 ? 0.3f : 1f);

    [Fact]
    public void NormLinearEqualsLinearOfLayerNormBitForBit()
        => AssertSameOutputsAndGradients([new Shape(3, 37, 40), new Shape(40), new Shape(40), new Shape(24, 40), new Shape(24)],
            t => Ops.NormLinear(t[0], t[1], t[2], 1e-6f, t[3], t[4]), t => Ops.Linear(Ops.LayerNorm(t[0], t[1], t[2], 1e-6f), t[3], t[4]),
            scale: i => i == 3 ? 0.3f : 1f);

    [Theory]
    [InlineData(64, 2, 30)]  // head_dim 64: the small-tile path on AVX-512
    [InlineData(32, 3, 11)]  // head_dim 32: the general path
    public void AttentionLinearEqualsLinearOfAttentionBitForBit(int headDim, int heads, int tokens)
    {
        int c = heads * headDim;
        AssertSameOutputsAndGradients([new Shape(3, tokens, 3 * c), new Shape(c, c), new Shape(c), new Shape(3, tokens, c)],
            t => Ops.AttentionLinear(t[0], heads, t[1], t[2], t[3]), t => Ops.Linear(Ops.Attention(t[0], heads), t[1], t[2], t[3]),
            scale: i => i == 1 ? 0.1f : 1f);
    }

    [Theory]
    [InlineData(64, 2, 30, false)] // head_dim 64: the small-tile path on AVX-512
    [InlineData(32, 3, 11, false)] // head_dim 32: the general path
    [InlineData(64, 3, 17, true)]  // as a training step runs it: spent activations and gradients recycled
    public void NormAttentionLinearEqualsNormLinearThenAttentionLinearBitForBit(int headDim, int heads, int tokens, bool recycle)
    {
        int c = heads * headDim;
        AssertSameOutputsAndGradients([new Shape(3, tokens, c), new Shape(c), new Shape(c), new Shape(3 * c, c), new Shape(3 * c), new Shape(c, c), new Shape(c)],
            t => Ops.NormAttentionLinear(t[0], t[1], t[2], 1e-6f, t[3], t[4], heads, t[5], t[6]),
            t => Ops.AttentionLinear(Ops.NormLinear(t[0], t[1], t[2], 1e-6f, t[3], t[4]), heads, t[5], t[6], residual: t[0]),
            scale: i => i is 3 or 5 ? 0.1f : 1f, recycle);
    }

    /// <summary>A fused op and the chain of ops it replaces give identical outputs and input gradients, bit for bit.</summary>
    private static void AssertSameOutputsAndGradients(Shape[] shapes, Func<Tensor[], Tensor> fused, Func<Tensor[], Tensor> unfused, Func<int, float> scale,
        bool recycle = false)
    {
        var values = shapes.Select((s, i) => Support.TestData.Uniform(s.Numel, 3 + i, scale(i))).ToArray();
        float[][] Run(Func<Tensor[], Tensor> f)
        {
            using var g = new Graph { RecycleGradients = recycle };
            var inputs = shapes.Select((s, i) => g.Input(values[i], s, requiresGrad: true)).ToArray();
            var y = f(inputs);
            var output = y.ToArray();
            var weights = Support.TestData.Uniform(y.Numel, 99);
            g.Backward(Ops.Sum(Ops.Mul(y, g.Input(weights, y.Shape))));
            return [output, .. inputs.Select(t => t.GradSpan.ToArray())];
        }
        var expected = Run(unfused);
        var actual = Run(fused);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }
}
