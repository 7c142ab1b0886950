using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Ops;

/// <summary>
/// The parameters of a pre-norm transformer block (timm / I-JEPA <c>Block</c>) for <see cref="Ops.TransformerBlock"/>:
/// LayerNorm γ/β and eps, the qkv and projection Linears, the MLP's two Linears (weights [out, in], biases may be null).
/// </summary>
public sealed record BlockParameters(
    Tensor Norm1Weight, Tensor Norm1Bias, float Norm1Eps, Tensor QkvWeight, Tensor? QkvBias, int Heads, Tensor ProjWeight, Tensor? ProjBias,
    Tensor Norm2Weight, Tensor Norm2Bias, float Norm2Eps, Tensor Fc1Weight, Tensor? Fc1Bias, Tensor Fc2Weight, Tensor? Fc2Bias);

public static unsafe partial class Ops
{
    /// <summary>
    /// A whole pre-norm transformer block without gradients, x [B, T, C] → x + Attn(LN1(x)) then + MLP(LN2(·)), as one
    /// op (<see cref="BlockKernels"/>): it keeps only its output, and equals NormLinear → AttentionLinear → NormLinear →
    /// GeluLinear bit for bit. For inference: throws when an input needs a gradient.
    /// </summary>
    public static Tensor TransformerBlock(Tensor x, BlockParameters p)
    {
        const string op = "transformer_block";
        RequireRank(op, x, 3, "input");
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2];
        var (qkvOut, _) = RequireLinearShapes(op, x.Shape, p.QkvWeight, p.QkvBias);
        if (qkvOut != 3 * c) throw ShapeError(op, $"qkv weight {p.QkvWeight.Shape} does not map {c} features to {3 * c}");
        if (p.Heads <= 0 || c % p.Heads != 0) throw ShapeError(op, $"input {x.Shape}: width {c} is not divisible by heads={p.Heads}");
        var (projOut, _) = RequireLinearShapes(op, x.Shape, p.ProjWeight, p.ProjBias);
        if (projOut != c) throw ShapeError(op, $"projection weight {p.ProjWeight.Shape} does not map back to the input's {c} features");
        var (hidden, _) = RequireLinearShapes(op, x.Shape, p.Fc1Weight, p.Fc1Bias);
        var (fc2Out, _) = RequireLinearShapes(op, x.Shape.WithLast(hidden), p.Fc2Weight, p.Fc2Bias);
        if (fc2Out != c) throw ShapeError(op, $"fc2 weight {p.Fc2Weight.Shape} does not map back to the input's {c} features");
        RequireNormParameters(op, x.Shape, p.Norm1Weight, p.Norm1Bias, p.Norm1Eps);
        RequireNormParameters(op, x.Shape, p.Norm2Weight, p.Norm2Bias, p.Norm2Eps);
        var g = GraphOf(op, x);
        if (g.NeedsGrad(x, p.Norm1Weight, p.Norm1Bias) || g.NeedsGrad(p.QkvWeight, p.QkvBias, p.ProjWeight) || g.NeedsGrad(p.Norm2Weight, p.Norm2Bias, p.ProjBias)
            || g.NeedsGrad(p.Fc1Weight, p.Fc1Bias, p.Fc2Weight) || (p.Fc2Bias is not null && g.NeedsGrad(p.Fc2Bias)))
            throw new InvalidOperationException($"{op}: computes no gradients; run it under graph.NoGrad() or use the block's ops");
        var y = g.NewTensor(x.Shape);
        float* scratch = g.BeginTemporary(BlockKernels.ScratchFloats(b, t, c, hidden), out var mark);
        var w = new BlockWeights
        {
            Norm1Weight = p.Norm1Weight.Data, Norm1Bias = p.Norm1Bias.Data, Norm1Eps = p.Norm1Eps,
            QkvWeight = p.QkvWeight.Data, QkvBias = DataOrNull(p.QkvBias), ProjWeight = p.ProjWeight.Data, ProjBias = DataOrNull(p.ProjBias),
            Norm2Weight = p.Norm2Weight.Data, Norm2Bias = p.Norm2Bias.Data, Norm2Eps = p.Norm2Eps,
            Fc1Weight = p.Fc1Weight.Data, Fc1Bias = DataOrNull(p.Fc1Bias), Fc2Weight = p.Fc2Weight.Data, Fc2Bias = DataOrNull(p.Fc2Bias),
        };
        BlockKernels.Forward(y.Data, x.Data, b, t, c, p.Heads, hidden, w, scratch);
        g.EndTemporary(mark);
        return y;
    }

    private static float* DataOrNull(Tensor? t) => t is null ? null : t.Data;
}
