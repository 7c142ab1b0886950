using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Ops;

public static unsafe partial class Ops
{
    /// <summary>LayerNorm over the last axis (biased variance); weight and bias are [C] or both null (no affine).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps)
    {
        const string op = "layer_norm";
        int c = x.Shape.Last;
        RequireNormParameters(op, x.Shape, weight, bias, eps);
        var g = GraphOf(op, x, weight, bias);
        var y = g.NewTensor(x.Shape);
        int rows = x.Shape.Rows;
        bool record = g.NeedsGrad(x, weight, bias);
        float* mean = record ? g.Scratch(rows) : null, rstd = record ? g.Scratch(rows) : null;
        LayerNormKernels.Forward(y.Data, mean, rstd, x.Data, weight is null ? null : weight.Data, bias is null ? null : bias.Data, rows, c, eps);
        if (record)
        {
            g.Record(y, LayerNormBackward.Instance, x, weight, bias);
            y.Saved0 = mean;
            y.Saved1 = rstd;
        }
        return y;
    }

    /// <summary>Checks a LayerNorm's affine weight and bias ([C] for input [..., C], or both null) and its eps (> 0).</summary>
    private static void RequireNormParameters(string op, Shape x, Tensor? weight, Tensor? bias, float eps)
    {
        if ((weight is null) != (bias is null)) throw ShapeError(op, "weight and bias must both be given or both be null");
        if (weight is not null && (weight.Shape.Rank != 1 || weight.Shape[0] != x.Last || bias!.Shape != weight.Shape))
            throw ShapeError(op, $"weight {weight.Shape} / bias {bias!.Shape} do not match the last axis of input {x}");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{op}: eps must be positive");
    }

    private sealed class LayerNormBackward : OpBackward
    {
        public static readonly LayerNormBackward Instance = new();
        public override string Name => "layer_norm";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor x = y.Src0!;
            Tensor? w = y.Src1;
            LayerNormKernels.Backward(g.GradOf(x), g.GradOf(w), g.GradOf(y.Src2), y.Grad, x.Data, w is null ? null : w.Data,
                (float*)y.Saved0, (float*)y.Saved1, x.Shape.Rows, x.Shape.Last);
        }
    }
}
