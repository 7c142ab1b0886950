using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Ops;

/// <summary>Elementwise regression losses, all reduced by the mean over every element.</summary>
public enum RegressionLoss
{
    /// <summary>Huber-style smooth L1 with threshold beta (I-JEPA's default, beta = 1).</summary>
    SmoothL1,
    /// <summary>Mean squared error.</summary>
    Mse,
    /// <summary>Mean absolute error.</summary>
    L1,
}

public static unsafe partial class Ops
{
    /// <summary>Mean regression loss between prediction and target (same shapes), as a scalar tensor.</summary>
    public static Tensor Loss(RegressionLoss kind, Tensor prediction, Tensor target, float beta = 1f)
    {
        string op = kind switch { RegressionLoss.SmoothL1 => "smooth_l1_loss", RegressionLoss.Mse => "mse_loss", _ => "l1_loss" };
        RequireSameShape(op, prediction, target);
        if (kind == RegressionLoss.SmoothL1 && !(beta >= 0)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "smooth_l1_loss: beta must be ≥ 0");
        var g = GraphOf(op, prediction, target);
        var y = g.NewTensor(new Shape());
        long n = prediction.Numel;
        y.Data[0] = (float)(kind switch
        {
            RegressionLoss.SmoothL1 => LossKernels.SmoothL1(prediction.Data, target.Data, n, beta),
            RegressionLoss.Mse => LossKernels.Mse(prediction.Data, target.Data, n),
            _ => LossKernels.L1(prediction.Data, target.Data, n),
        });
        if (g.NeedsGrad(prediction, target))
        {
            g.Record(y, RegressionLossBackward.Instance, prediction, target);
            y.Arg0 = (int)kind;
            y.FArg0 = beta;
        }
        return y;
    }

    private sealed class RegressionLossBackward : OpBackward
    {
        public static readonly RegressionLossBackward Instance = new();
        public override string Name => "regression_loss";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor p = y.Src0!, t = y.Src1!;
            float scale = y.Grad[0];
            // Each loss depends on p − t symmetrically, so the target's gradient is the same rule with the roles swapped.
            float* dp = g.GradOf(p), dt = g.GradOf(t);
            if (dp != null) Apply((RegressionLoss)y.Arg0, dp, p.Data, t.Data, p.Numel, y.FArg0, scale);
            if (dt != null) Apply((RegressionLoss)y.Arg0, dt, t.Data, p.Data, p.Numel, y.FArg0, scale);
        }

        private static void Apply(RegressionLoss kind, float* grad, float* a, float* b, long n, float beta, float scale)
        {
            switch (kind)
            {
                case RegressionLoss.SmoothL1: LossKernels.SmoothL1Backward(grad, a, b, n, beta, scale); break;
                case RegressionLoss.Mse: LossKernels.MseBackward(grad, a, b, n, scale); break;
                default: LossKernels.L1Backward(grad, a, b, n, scale); break;
            }
        }
    }

    /// <summary>Mean softmax cross-entropy of logits [N, classes] against integer labels [N].</summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> labels)
    {
        const string op = "cross_entropy";
        RequireRank(op, logits, 2, "logits");
        int rows = logits.Shape[0], classes = logits.Shape[1];
        if (labels.Length != rows) throw ShapeError(op, $"{labels.Length} labels for logits {logits.Shape}");
        var g = GraphOf(op, logits);
        int* lab = g.ScratchInts(rows);
        labels.CopyTo(new Span<int>(lab, rows));
        float* probs = g.Scratch((long)rows * classes);
        var y = g.NewTensor(new Shape());
        y.Data[0] = (float)LossKernels.SoftmaxCrossEntropy(logits.Data, lab, probs, rows, classes);
        if (g.NeedsGrad(logits))
        {
            g.Record(y, CrossEntropyBackward.Instance, logits);
            y.Saved0 = lab;
            y.Saved1 = probs;
        }
        return y;
    }

    private sealed class CrossEntropyBackward : OpBackward
    {
        public static readonly CrossEntropyBackward Instance = new();
        public override string Name => "cross_entropy";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor z = y.Src0!;
            LossKernels.SoftmaxCrossEntropyBackward(g.GradOf(z), (float*)y.Saved1, (int*)y.Saved0, z.Shape[0], z.Shape[1], y.Grad[0]);
        }
    }
}

public static unsafe partial class Ops
{
    /// <summary>
    /// VICReg's variance hinge and off-diagonal covariance penalty over the rows of z (last axis = features, every
    /// other axis = samples), as a scalar: w_var·mean_j relu(γ − std_j) + w_cov·Σ_{j≠k} C_jk² / D.
    /// </summary>
    public static Tensor VarianceCovariance(Tensor z, float gamma, float varWeight, float covWeight, float eps = 1e-4f)
    {
        const string op = "variance_covariance";
        if (z.Shape.Rank < 2) throw ShapeError(op, $"needs samples and features, got {z.Shape}");
        int d = z.Shape[z.Shape.Rank - 1];
        int n = (int)(z.Numel / d);
        if (n < 2) throw ShapeError(op, $"needs at least 2 samples, got {z.Shape}");
        var g = GraphOf(op, z);
        float* centered = g.Scratch((long)n * d), std = g.Scratch(d), covariance = g.Scratch((long)d * d);
        var y = g.NewTensor(new Shape());
        y.Data[0] = (float)RegularizerKernels.VarianceCovariance(z.Data, n, d, gamma, varWeight, covWeight, eps, centered, std, covariance);
        if (g.NeedsGrad(z))
        {
            g.Record(y, VarianceCovarianceBackward.Instance, z);
            y.Saved0 = centered;
            y.Saved1 = std;
            y.Saved2 = covariance;
            y.FArg0 = gamma;
            y.FArg1 = varWeight;
            y.Arg0 = BitConverter.SingleToInt32Bits(covWeight);
        }
        return y;
    }

    private sealed class VarianceCovarianceBackward : OpBackward
    {
        public static readonly VarianceCovarianceBackward Instance = new();
        public override string Name => "variance_covariance";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor z = y.Src0!;
            int d = z.Shape[z.Shape.Rank - 1], n = (int)(z.Numel / d);
            float* scratch = g.Scratch((long)d * d);
            RegularizerKernels.VarianceCovarianceBackward(g.GradOf(z), (float*)y.Saved0, (float*)y.Saved1, (float*)y.Saved2, n, d,
                y.FArg0, y.FArg1, BitConverter.Int32BitsToSingle(y.Arg0), y.Grad[0], scratch);
        }
    }

    /// <summary>
    /// VICReg's invariance term over augmented views: m is [views·N, D] with row v·N + i = view v of image i; the scalar
    /// is w · the mean squared difference between every pair of views of one image (the MSE of two views when views = 2).
    /// </summary>
    public static Tensor ViewInvariance(Tensor m, int views, float weight)
    {
        const string op = "view_invariance";
        RequireRank(op, m, 2, "input");
        if (views < 2 || m.Shape[0] % views != 0) throw ShapeError(op, $"{m.Shape} does not split into {views} views (at least 2) of equal size");
        var g = GraphOf(op, m);
        var y = g.NewTensor(new Shape());
        y.Data[0] = (float)RegularizerKernels.ViewInvariance(m.Data, views, m.Shape[0] / views, m.Shape[1], weight);
        if (g.NeedsGrad(m))
        {
            g.Record(y, ViewInvarianceBackward.Instance, m);
            y.Arg0 = views;
            y.FArg0 = weight;
        }
        return y;
    }

    private sealed class ViewInvarianceBackward : OpBackward
    {
        public static readonly ViewInvarianceBackward Instance = new();
        public override string Name => "view_invariance";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor m = y.Src0!;
            int views = y.Arg0;
            RegularizerKernels.ViewInvarianceBackward(g.GradOf(m), m.Data, views, m.Shape[0] / views, m.Shape[1], y.FArg0, y.Grad[0]);
        }
    }
}
