using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Ops;

public static unsafe partial class Ops
{
    /// <summary>a + b, same shapes.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        RequireSameShape("add", a, b);
        var g = GraphOf("add", a, b);
        var y = g.NewTensor(a.Shape);
        ElementwiseKernels.Add(y.Data, a.Data, b.Data, a.Numel);
        if (g.NeedsGrad(a, b)) g.Record(y, AddBackward.Instance, a, b);
        return y;
    }

    private sealed class AddBackward : OpBackward
    {
        public static readonly AddBackward Instance = new();
        public override string Name => "add";

        internal override void Backward(Tensor y, Graph g)
        {
            // One operand may take over y's gradient buffer; the other gets a copy (two tensors must never share one).
            bool shared = g.TryShareGrad(y.Src0, y.Grad);
            float* da = shared ? null : g.GradOf(y.Src0);
            if (da != null) ElementwiseKernels.AddScaled(da, y.Grad, 1f, y.Numel);
            if (!shared && g.TryShareGrad(y.Src1, y.Grad)) return;
            float* db = g.GradOf(y.Src1);
            if (db != null) ElementwiseKernels.AddScaled(db, y.Grad, 1f, y.Numel);
        }
    }

    /// <summary>
    /// x + row, where row's shape, after dropping leading 1s, equals the trailing dimensions of x
    /// (e.g. [B,T,C] + [1,T,C] for position embeddings, [R,K,C] + [1,1,C] for a mask token).
    /// </summary>
    public static Tensor AddBroadcast(Tensor x, Tensor row)
    {
        const string op = "add_broadcast";
        int lead = 0;
        while (lead < row.Shape.Rank - 1 && row.Shape[lead] == 1) lead++;
        int extra = x.Shape.Rank - (row.Shape.Rank - lead);
        bool fits = extra >= 0;
        for (int i = lead; fits && i < row.Shape.Rank; i++) fits = x.Shape[extra + i - lead] == row.Shape[i];
        if (!fits) throw ShapeError(op, $"{row.Shape} is not the trailing shape of {x.Shape}");
        var g = GraphOf(op, x, row);
        var y = g.NewTensor(x.Shape);
        int width = row.Numel, rows = x.Numel / Math.Max(1, width);
        ElementwiseKernels.AddRowBroadcast(y.Data, x.Data, row.Data, rows, width);
        if (g.NeedsGrad(x, row)) g.Record(y, AddBroadcastBackward.Instance, x, row);
        return y;
    }

    private sealed class AddBroadcastBackward : OpBackward
    {
        public static readonly AddBroadcastBackward Instance = new();
        public override string Name => "add_broadcast";

        internal override void Backward(Tensor y, Graph g)
        {
            float* drow = g.GradOf(y.Src1);
            int width = y.Src1!.Numel;
            if (drow != null) ElementwiseKernels.ColumnSum(drow, y.Grad, y.Numel / Math.Max(1, width), width);
            if (g.TryShareGrad(y.Src0, y.Grad)) return;
            float* dx = g.GradOf(y.Src0);
            if (dx != null) ElementwiseKernels.AddScaled(dx, y.Grad, 1f, y.Numel);
        }
    }

    /// <summary>a ∘ b, same shapes.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        RequireSameShape("mul", a, b);
        var g = GraphOf("mul", a, b);
        var y = g.NewTensor(a.Shape);
        ElementwiseKernels.Mul(y.Data, a.Data, b.Data, a.Numel);
        if (g.NeedsGrad(a, b)) g.Record(y, MulBackward.Instance, a, b);
        return y;
    }

    private sealed class MulBackward : OpBackward
    {
        public static readonly MulBackward Instance = new();
        public override string Name => "mul";

        internal override void Backward(Tensor y, Graph g)
        {
            float* da = g.GradOf(y.Src0), db = g.GradOf(y.Src1);
            if (da != null) ElementwiseKernels.MulAccumulate(da, y.Grad, y.Src1!.Data, y.Numel);
            if (db != null) ElementwiseKernels.MulAccumulate(db, y.Grad, y.Src0!.Data, y.Numel);
        }
    }

    /// <summary>s · x.</summary>
    public static Tensor Scale(Tensor x, float s)
    {
        var g = GraphOf("scale", x);
        var y = g.NewTensor(x.Shape);
        ElementwiseKernels.Scale(y.Data, x.Data, s, x.Numel);
        if (g.NeedsGrad(x))
        {
            g.Record(y, ScaleBackward.Instance, x);
            y.FArg0 = s;
        }
        return y;
    }

    private sealed class ScaleBackward : OpBackward
    {
        public static readonly ScaleBackward Instance = new();
        public override string Name => "scale";

        internal override void Backward(Tensor y, Graph g)
            => ElementwiseKernels.AddScaled(g.GradOf(y.Src0), y.Grad, y.FArg0, y.Numel);
    }

    /// <summary>The sum of all elements, as a scalar tensor.</summary>
    public static Tensor Sum(Tensor x)
    {
        var g = GraphOf("sum", x);
        var y = g.NewTensor(new Shape());
        double s = 0;
        var span = x.Span;
        for (int i = 0; i < span.Length; i++) s += span[i];
        y.Data[0] = (float)s;
        if (g.NeedsGrad(x)) g.Record(y, SumBackward.Instance, x);
        return y;
    }

    private sealed class SumBackward : OpBackward
    {
        public static readonly SumBackward Instance = new();
        public override string Name => "sum";

        internal override void Backward(Tensor y, Graph g)
        {
            float* dx = g.GradOf(y.Src0);
            float d = y.Grad[0];
            for (int i = 0, n = y.Src0!.Numel; i < n; i++) dx[i] += d;
        }
    }
}
