using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
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

    /// <summary>As <see cref="Attention(Tensor,int,float?)"/>, also returning the probabilities [B, heads, T, T] (valid until the graph resets).</summary>
    public static Tensor Attention(Tensor qkv, int heads, float? scale, out Tensor probabilities)
    {
        const string op = "attention";
        RequireRank(op, qkv, 3, "qkv");
        int b = qkv.Shape[0], t = qkv.Shape[1], c3 = qkv.Shape[2];
        if (heads <= 0 || c3 % (3 * heads) != 0)
            throw ShapeError(op, $"qkv {qkv.Shape}: last axis must be 3·heads·head_dim with heads={heads}");
        int c = c3 / 3, dh = c / heads;
        float s = scale ?? 1f / MathF.Sqrt(dh);
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
            float* dqkv = g.GradOf(qkv, out bool fresh);
            AttentionKernels.Backward(dqkv, y.Grad, qkv.Data, (float*)y.Saved0, b, t, heads, c / heads, y.FArg0, overwrite: fresh);
        }
    }
}
