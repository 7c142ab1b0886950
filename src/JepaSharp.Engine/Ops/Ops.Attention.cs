using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Ops;

public static unsafe partial class Ops
{
    /// <summary>
    /// Fused multi-head self-attention core: qkv [B, T, 3·C] (the qkv Linear's output, laid out
    /// [3, heads, head_dim] per token) → softmax(q·kᵀ·scale)·v as [B, T, C]. The attention
    /// probabilities [B, heads, T, T] are kept for backward, and can be returned for visualisation.
    /// </summary>
    public static Tensor Attention(Tensor qkv, int heads, float? scale = null)
        => Attention(qkv, heads, scale, out _);

    /// <summary>
    /// y = Attention(qkv)·Wᵀ + b (+ residual): the attention core and the output projection in one op that saves
    /// only qkv. The probabilities and the attention output live in temporary buffers and are recomputed in backward
    /// (the same kernel, so the same values bit for bit): for short sequences that costs a few percent of the block's
    /// products and saves a [B, T, C] and a [B, heads, T, T] activation. W is [N, C] for qkv [B, T, 3·C]; the
    /// residual, when given, is shaped like y.
    /// </summary>
    public static Tensor AttentionLinear(Tensor qkv, int heads, Tensor weight, Tensor? bias, Tensor? residual = null)
    {
        const string op = "attention_linear";
        var (b, t, c, dh, scale) = RequireAttentionShapes(op, qkv, heads, null);
        var (n, k) = RequireLinearShapes(op, new Shape(b, t, c), weight, bias);
        var g = GraphOf(op, qkv, weight, bias);
        var y = g.NewTensor(new Shape(b, t, n));
        float* skip = ResidualData(op, y, residual);
        float* attention = g.BeginTemporary((long)b * t * c, out var mark);
        AttentionKernels.Forward(attention, null, qkv.Data, b, t, heads, dh, scale);
        Sgemm.Run(false, true, b * t, n, k, 1f, attention, k, weight.Data, k, 0f, y.Data, n, bias: bias is null ? null : bias.Data, residual: skip);
        g.EndTemporary(mark);
        if (g.NeedsGrad(qkv, weight, bias) || (residual is not null && g.NeedsGrad(residual)))
        {
            g.Record(y, AttentionLinearBackward.Instance, qkv, weight, bias, residual);
            y.Arg0 = heads;
            y.FArg0 = scale;
        }
        return y;
    }

    private sealed class AttentionLinearBackward : OpBackward
    {
        public static readonly AttentionLinearBackward Instance = new();
        public override string Name => "attention_linear";
        internal override bool ReadsOutput => false;

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor qkv = y.Src0!, w = y.Src1!;
            int heads = y.Arg0, b = qkv.Shape[0], t = qkv.Shape[1], c = qkv.Shape[2] / 3, n = w.Shape[0], m = b * t;
            float* dqkv = g.GradOverwritingData(qkv, out bool fresh), dw = g.GradOf(w), db = g.GradOf(y.Src2);
            float* attention = g.BeginTemporary((long)m * c + (long)b * heads * t * t, out var mark);
            AttentionProjectionBackward(y.Grad, qkv.Data, w.Data, dw, db, dqkv, fresh, b, t, c, heads, n, y.FArg0, attention);
            g.EndTemporary(mark);
            ResidualBackward(y, g);
        }
    }

    /// <summary>
    /// The backward of y = Attention(qkv)·Wᵀ + b (qkv [b, t, 3c], W [n, c]): the attention output A and the probabilities are
    /// recomputed into <paramref name="scratch"/> ([b·t, c] then [b, heads, t, t]), dW += dYᵀ·A, db += Σ_rows dY, and when
    /// dqkv is wanted, dA = dY·W goes back through the attention into dqkv (written when <paramref name="overwrite"/>,
    /// which lets dqkv be qkv itself; accumulated otherwise).
    /// </summary>
    private static void AttentionProjectionBackward(float* dy, float* qkv, float* weight, float* dw, float* db, float* dqkv, bool overwrite,
        int b, int t, int c, int heads, int n, float scale, float* scratch)
    {
        int m = b * t;
        float* attention = scratch, probabilities = scratch + (long)m * c;
        AttentionKernels.Forward(attention, probabilities, qkv, b, t, heads, c / heads, scale);
        if (dw != null) Sgemm.Run(true, false, n, c, m, 1f, dy, n, attention, c, 1f, dw, c);  // dW += dYᵀ·A
        if (db != null) ElementwiseKernels.ColumnSum(db, dy, m, n);                            // db += Σ_rows dY
        if (dqkv == null) return;
        Sgemm.Run(false, false, m, c, n, 1f, dy, n, weight, c, 0f, attention, c);             // dA = dY·W
        AttentionKernels.Backward(dqkv, attention, qkv, probabilities, b, t, heads, c / heads, scale, overwrite: overwrite);
    }

    /// <summary>
    /// y = x + Attention(LayerNorm(x)·Wqkvᵀ + bqkv)·Wprojᵀ + bproj: a pre-norm block's attention half in one op that saves
    /// only x and the norm's row statistics. qkv, the attention output and the probabilities live in temporary buffers and
    /// are recomputed in backward: one more qkv product, about a ninth of the half's products, for 3·C fewer floats kept
    /// per token. Values and gradients equal NormLinear → AttentionLinear's bit for bit. x is [B, T, C], Wqkv [3C, C],
    /// Wproj [C, C]; normWeight/normBias [C] are the LayerNorm's affine parameters.
    /// </summary>
    public static Tensor NormAttentionLinear(Tensor x, Tensor normWeight, Tensor normBias, float eps, Tensor qkvWeight, Tensor? qkvBias, int heads,
        Tensor projWeight, Tensor? projBias)
    {
        const string op = "norm_attention_linear";
        RequireRank(op, x, 3, "input");
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2], m = b * t;
        var (n3, _) = RequireLinearShapes(op, x.Shape, qkvWeight, qkvBias);
        if (n3 != 3 * c) throw ShapeError(op, $"qkv weight {qkvWeight.Shape} does not map {c} features to {3 * c}");
        if (heads <= 0 || c % heads != 0) throw ShapeError(op, $"input {x.Shape}: width {c} is not divisible by heads={heads}");
        int dh = c / heads;
        float scale = 1f / MathF.Sqrt(dh);
        var (n, _) = RequireLinearShapes(op, x.Shape, projWeight, projBias);
        if (n != c) throw ShapeError(op, $"projection weight {projWeight.Shape} does not map back to the residual's {c} features");
        RequireNormParameters(op, x.Shape, normWeight, normBias, eps);
        var g = GraphOf(op, x, qkvWeight, qkvBias);
        var y = g.NewTensor(x.Shape);
        bool record = g.NeedsGrad(x, normWeight, normBias) || g.NeedsGrad(qkvWeight, qkvBias) || g.NeedsGrad(projWeight, projBias);
        float* mean = record ? g.Scratch(m) : null, rstd = record ? g.Scratch(m) : null;
        float* qkv = g.BeginTemporary(4L * m * c, out var mark);
        float* attention = qkv + 3L * m * c;
        Sgemm.Run(false, true, m, 3 * c, c, 1f, x.Data, c, qkvWeight.Data, c, 0f, qkv, 3 * c, bias: qkvBias is null ? null : qkvBias.Data,
            aRows: RowTransform.LayerNorm(normWeight.Data, normBias.Data, eps, mean, rstd));
        AttentionKernels.Forward(attention, null, qkv, b, t, heads, dh, scale);
        Sgemm.Run(false, true, m, c, c, 1f, attention, c, projWeight.Data, c, 0f, y.Data, c, bias: projBias is null ? null : projBias.Data, residual: x.Data);
        g.EndTemporary(mark);
        if (record)
        {
            g.Record(y, NormAttentionLinearBackward.Instance, x, qkvWeight, qkvBias, normWeight, normBias, projWeight, projBias);
            y.Saved0 = mean;
            y.Saved1 = rstd;
            y.Arg0 = heads;
            y.FArg0 = scale;
        }
        return y;
    }

    private sealed class NormAttentionLinearBackward : OpBackward
    {
        public static readonly NormAttentionLinearBackward Instance = new();
        public override string Name => "norm_attention_linear";
        internal override bool ReadsOutput => false;

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor x = y.Src0!, qkvWeight = y.Src1!, normWeight = y.Src3!, projWeight = y.Src5!;
            int heads = y.Arg0, b = x.Shape[0], t = x.Shape[1], c = x.Shape[2], m = b * t;
            float* dQkvWeight = g.GradOf(qkvWeight), dQkvBias = g.GradOf(y.Src2), dNormWeight = g.GradOf(normWeight), dNormBias = g.GradOf(y.Src4);
            float* dProjWeight = g.GradOf(projWeight), dProjBias = g.GradOf(y.Src6);
            float* mean = (float*)y.Saved0, rstd = (float*)y.Saved1;
            float* normed = g.BeginTemporary(5L * m * c + (long)b * heads * t * t, out var mark);
            float* qkv = normed + (long)m * c;
            LayerNormKernels.Apply(normed, x.Data, normWeight.Data, y.Src4!.Data, mean, rstd, m, c);
            Sgemm.Run(false, true, m, 3 * c, c, 1f, normed, c, qkvWeight.Data, c, 0f, qkv, 3 * c, bias: y.Src2 is null ? null : y.Src2.Data);
            bool upstream = x.RequiresGrad || dNormWeight != null || dNormBias != null || dQkvWeight != null || dQkvBias != null;
            // dQKV lands over the recomputed qkv, which nothing reads after the attention backward.
            AttentionProjectionBackward(y.Grad, qkv, projWeight.Data, dProjWeight, dProjBias, upstream ? qkv : null, overwrite: true,
                b, t, c, heads, c, y.FArg0, qkv + 3L * m * c);
            ResidualBackward(y, x, g);
            if (upstream)
                NormedLinearBackward(qkv, qkvWeight.Data, dQkvWeight, dQkvBias, normed, x.Data, normWeight.Data, mean, rstd, g.GradOf(x),
                    dNormWeight, dNormBias, m, c, 3 * c);
            g.EndTemporary(mark);
        }
    }

    /// <summary>Checks qkv [B, T, 3·heads·head_dim]; returns B, T, C = heads·head_dim, head_dim and the scale (1/√head_dim unless given).</summary>
    private static (int B, int T, int C, int HeadDim, float Scale) RequireAttentionShapes(string op, Tensor qkv, int heads, float? scale)
    {
        RequireRank(op, qkv, 3, "qkv");
        int b = qkv.Shape[0], t = qkv.Shape[1], c3 = qkv.Shape[2];
        if (heads <= 0 || c3 % (3 * heads) != 0)
            throw ShapeError(op, $"qkv {qkv.Shape}: last axis must be 3·heads·head_dim with heads={heads}");
        int c = c3 / 3, dh = c / heads;
        return (b, t, c, dh, scale ?? 1f / MathF.Sqrt(dh));
    }

    /// <summary>As <see cref="Attention(Tensor,int,float?)"/>, also returning the probabilities [B, heads, T, T] (valid until the graph resets).</summary>
    public static Tensor Attention(Tensor qkv, int heads, float? scale, out Tensor probabilities)
    {
        const string op = "attention";
        var (b, t, c, dh, s) = RequireAttentionShapes(op, qkv, heads, scale);
        var g = GraphOf(op, qkv);
        var y = g.NewTensor(new Shape(b, t, c));
        probabilities = g.NewTensor(new Shape(b, heads, t, t));
        AttentionKernels.Forward(y.Data, probabilities.Data, qkv.Data, b, t, heads, dh, s);
        if (g.NeedsGrad(qkv))
        {
            g.Record(y, AttentionBackward.Instance, qkv);
            y.Saved0 = probabilities.Data;
            y.Arg0 = heads;
            y.FArg0 = s;
        }
        return y;
    }

    private sealed class AttentionBackward : OpBackward
    {
        public static readonly AttentionBackward Instance = new();
        public override string Name => "attention";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor qkv = y.Src0!;
            int heads = y.Arg0, b = y.Shape[0], t = y.Shape[1], c = y.Shape[2];
            float* dqkv = g.GradOverwritingData(qkv, out bool fresh);
            AttentionKernels.Backward(dqkv, y.Grad, qkv.Data, (float*)y.Saved0, b, t, heads, c / heads, y.FArg0, overwrite: fresh);
        }
    }
}
