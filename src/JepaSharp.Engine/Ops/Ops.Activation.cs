using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Ops;

public static unsafe partial class Ops
{
    /// <summary>Exact GELU, x·Φ(x) (PyTorch's nn.GELU default, used by I-JEPA's MLPs).</summary>
    public static Tensor Gelu(Tensor x)
    {
        var g = GraphOf("gelu", x);
        var y = g.NewTensor(x.Shape);
        GeluKernels.Forward(y.Data, x.Data, x.Numel);
        if (g.NeedsGrad(x)) g.Record(y, GeluBackward.Instance, x);
        return y;
    }

    private sealed class GeluBackward : OpBackward
    {
        public static readonly GeluBackward Instance = new();
        public override string Name => "gelu";

        internal override void Backward(Tensor y, Graph g)
            => GeluKernels.Backward(g.GradOf(y.Src0), y.Src0!.Data, y.Grad, y.Numel);
    }

    /// <summary>
    /// Linear(GELU(h)) = GELU(h)·Wᵀ + b for h [..., K], W [N, K], b [N]: an MLP's activation and second layer in one op
    /// that saves only h. GELU(h) is never stored: the product applies it to each packed panel of h, and backward
    /// recomputes it, which saves the [..., K] activation (the largest of a transformer block) and its gradient buffer. With
    /// <paramref name="residual"/>, y = residual + Linear(GELU(h)) as in <see cref="Linear"/>.
    /// </summary>
    public static Tensor GeluLinear(Tensor h, Tensor weight, Tensor? bias, Tensor? residual = null)
    {
        const string op = "gelu_linear";
        var (n, k) = RequireLinearShapes(op, h.Shape, weight, bias);
        int m = h.Shape.Rows;
        var g = GraphOf(op, h, weight, bias);
        var y = g.NewTensor(h.Shape.WithLast(n));
        float* skip = ResidualData(op, y, residual);
        Sgemm.Run(false, true, m, n, k, 1f, h.Data, k, weight.Data, k, 0f, y.Data, n, bias: bias is null ? null : bias.Data, residual: skip, aRows: RowTransform.Gelu);
        if (g.NeedsGrad(h, weight, bias) || (residual is not null && g.NeedsGrad(residual)))
            g.Record(y, GeluLinearBackward.Instance, h, weight, bias, residual);
        return y;
    }

    private sealed class GeluLinearBackward : OpBackward
    {
        public static readonly GeluLinearBackward Instance = new();
        public override string Name => "gelu_linear";
        internal override bool ReadsOutput => false;

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor h = y.Src0!, w = y.Src1!;
            int k = h.Shape.Last, n = w.Shape[0], m = h.Shape.Rows;
            float* dh = g.GradOverwritingData(h, out bool fresh), dw = g.GradOf(w), db = g.GradOf(y.Src2);
            float* buffer = g.BeginTemporary((long)m * k, out var mark);
            // A fresh dH (the usual case, often h's own memory) parks GELU'(h) until dA is known: one Φ per element serves
            // dW and dH.
            if (fresh) GeluKernels.ForwardWithDerivative(buffer, dh, h.Data, (long)m * k);
            else if (dw != null) GeluKernels.Forward(buffer, h.Data, (long)m * k);
            if (dw != null) Sgemm.Run(true, false, n, k, m, 1f, y.Grad, n, buffer, k, 1f, dw, k); // dW += dYᵀ·GELU(h)
            if (db != null) ElementwiseKernels.ColumnSum(db, y.Grad, m, n);                         // db += Σ_rows dY
            if (dh != null)
            {
                Sgemm.Run(false, false, m, k, n, 1f, y.Grad, n, w.Data, k, 0f, buffer, k);          // dA = dY·W
                if (fresh) GeluKernels.ApplyDerivative(dh, dh, buffer, (long)m * k);                 // dH = GELU'(h)·dA
                else GeluKernels.Backward(dh, h.Data, buffer, (long)m * k);                         // dH += GELU'(h)·dA
            }
            g.EndTemporary(mark);
            ResidualBackward(y, g);
        }
    }

    /// <summary>Softmax over the last axis.</summary>
    public static Tensor Softmax(Tensor x)
    {
        var g = GraphOf("softmax", x);
        var y = g.NewTensor(x.Shape);
        SoftmaxKernels.Forward(y.Data, x.Data, x.Shape.Rows, x.Shape.Last);
        if (g.NeedsGrad(x)) g.Record(y, SoftmaxBackward.Instance, x);
        return y;
    }

    private sealed class SoftmaxBackward : OpBackward
    {
        public static readonly SoftmaxBackward Instance = new();
        public override string Name => "softmax";

        internal override void Backward(Tensor y, Graph g)
            => SoftmaxKernels.Backward(g.GradOf(y.Src0), y.Data, y.Grad, y.Shape.Rows, y.Shape.Last);
    }
}
