using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
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
