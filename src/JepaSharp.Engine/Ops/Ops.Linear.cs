using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Ops;

public static unsafe partial class Ops
{
    /// <summary>
    /// y = x·Wᵀ + b over the last axis; W is [out, in] as in PyTorch, b is [out] or null. With
    /// <paramref name="residual"/> (shaped like y), y = residual + x·Wᵀ + b in one pass: a transformer block's skip
    /// connection without a separate output buffer for the projection.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null, Tensor? residual = null)
    {
        const string op = "linear";
        var (n, k) = RequireLinearShapes(op, x.Shape, weight, bias);
        var g = GraphOf(op, x, weight, bias);
        int m = x.Shape.Rows;
        var y = g.NewTensor(x.Shape.WithLast(n));
        float* skip = ResidualData(op, y, residual);
        Sgemm.Run(false, true, m, n, k, 1f, x.Data, k, weight.Data, k, 0f, y.Data, n, bias: bias is null ? null : bias.Data, residual: skip);
        if (g.NeedsGrad(x, weight, bias) || (residual is not null && g.NeedsGrad(residual)))
            g.Record(y, LinearBackward.Instance, x, weight, bias, residual);
        return y;
    }

    /// <summary>
    /// y = LayerNorm(x)·Wᵀ + b: a pre-norm block's norm and the linear layer after it in one op that saves only x and
    /// the row statistics. The product normalises each block of rows as it uses it, and backward recomputes them, which
    /// saves an [..., K] activation per norm. normWeight/normBias [K] are the LayerNorm's affine parameters.
    /// </summary>
    public static Tensor NormLinear(Tensor x, Tensor normWeight, Tensor normBias, float eps, Tensor weight, Tensor? bias)
    {
        const string op = "norm_linear";
        var (n, k) = RequireLinearShapes(op, x.Shape, weight, bias);
        RequireNormParameters(op, x.Shape, normWeight, normBias, eps);
        var g = GraphOf(op, x, weight, bias);
        int m = x.Shape.Rows;
        var y = g.NewTensor(x.Shape.WithLast(n));
        bool record = g.NeedsGrad(x, normWeight, normBias) || g.NeedsGrad(weight, bias);
        float* mean = record ? g.Scratch(m) : null, rstd = record ? g.Scratch(m) : null;
        Sgemm.Run(false, true, m, n, k, 1f, x.Data, k, weight.Data, k, 0f, y.Data, n, bias: bias is null ? null : bias.Data,
            aRows: RowTransform.LayerNorm(normWeight.Data, normBias.Data, eps, mean, rstd));
        if (record)
        {
            g.Record(y, NormLinearBackward.Instance, x, weight, bias, normWeight, normBias);
            y.Saved0 = mean;
            y.Saved1 = rstd;
        }
        return y;
    }

    private sealed class NormLinearBackward : OpBackward
    {
        public static readonly NormLinearBackward Instance = new();
        public override string Name => "norm_linear";
        internal override bool ReadsOutput => false;

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor x = y.Src0!, w = y.Src1!, normWeight = y.Src3!;
            int n = w.Shape[0], k = w.Shape[1], m = x.Shape.Rows;
            float* dx = g.GradOf(x), dw = g.GradOf(w), db = g.GradOf(y.Src2), dNormWeight = g.GradOf(normWeight), dNormBias = g.GradOf(y.Src4);
            float* mean = (float*)y.Saved0, rstd = (float*)y.Saved1;
            float* buffer = g.BeginTemporary((long)m * k, out var mark);
            if (dw != null) LayerNormKernels.Apply(buffer, x.Data, normWeight.Data, y.Src4!.Data, mean, rstd, m, k);
            NormedLinearBackward(y.Grad, w.Data, dw, db, buffer, x.Data, normWeight.Data, mean, rstd, dx, dNormWeight, dNormBias, m, k, n);
            g.EndTemporary(mark);
        }
    }

    /// <summary>
    /// The backward of y = LN(x)·Wᵀ + b (x [m, k], W [n, k]) given LN(x) in <paramref name="normed"/> (needed only when
    /// dW is): dW += dYᵀ·LN(x), db += Σ_rows dY, then normed is overwritten with dLN = dY·W and taken back through the
    /// norm into dx, dγ, dβ (each skipped when null).
    /// </summary>
    private static void NormedLinearBackward(float* dy, float* weight, float* dw, float* db, float* normed, float* x, float* normWeight,
        float* mean, float* rstd, float* dx, float* dNormWeight, float* dNormBias, int m, int k, int n)
    {
        if (dw != null) Sgemm.Run(true, false, n, k, m, 1f, dy, n, normed, k, 1f, dw, k);  // dW += dYᵀ·LN(x)
        if (db != null) ElementwiseKernels.ColumnSum(db, dy, m, n);                          // db += Σ_rows dY
        if (dx == null && dNormWeight == null && dNormBias == null) return;
        Sgemm.Run(false, false, m, k, n, 1f, dy, n, weight, k, 0f, normed, k);               // dLN = dY·W
        LayerNormKernels.Backward(dx, dNormWeight, dNormBias, normed, x, normWeight, mean, rstd, m, k);
    }

    /// <summary>Checks an input shaped x [..., K], weight [N, K] and bias [N] (or null) of a linear layer; returns (N, K).</summary>
    private static (int N, int K) RequireLinearShapes(string op, Shape x, Tensor weight, Tensor? bias)
    {
        RequireRank(op, weight, 2, "weight");
        int n = weight.Shape[0], k = weight.Shape[1];
        if (x.Rank < 1 || x.Last != k)
            throw ShapeError(op, $"input {x} does not end in {k}, the in-features of weight {weight.Shape}");
        if (bias is not null && (bias.Shape.Rank != 1 || bias.Shape[0] != n))
            throw ShapeError(op, $"bias {bias.Shape} does not match out-features {n} of weight {weight.Shape}");
        return (n, k);
    }

    /// <summary>The residual's data for the GEMM to add while the output tile is in registers; null without one.</summary>
    private static float* ResidualData(string op, Tensor y, Tensor? residual)
    {
        if (residual is null) return null;
        if (residual.Shape != y.Shape) throw ShapeError(op, $"residual {residual.Shape} does not match the output {y.Shape}");
        return residual.Data;
    }

    /// <summary>The skip connection's backward: the residual's gradient is the output's, shared when it has none yet.</summary>
    private static void ResidualBackward(Tensor y, Graph g) => ResidualBackward(y, y.Src3, g);

    private static void ResidualBackward(Tensor y, Tensor? residual, Graph g)
    {
        if (residual is null || g.TryShareGrad(residual, y.Grad)) return;
        float* dr = g.GradOf(residual);
        if (dr != null) ElementwiseKernels.AddScaled(dr, y.Grad, 1f, y.Numel);
    }

    private sealed class LinearBackward : OpBackward
    {
        public static readonly LinearBackward Instance = new();
        public override string Name => "linear";
        internal override bool ReadsOutput => false;

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor x = y.Src0!, w = y.Src1!;
            int n = w.Shape[0], k = w.Shape[1], m = x.Shape.Rows;
            float* dx = g.GradOf(x, out bool fresh), dw = g.GradOf(w), db = g.GradOf(y.Src2);
            if (dx != null) Sgemm.Run(false, false, m, k, n, 1f, y.Grad, n, w.Data, k, fresh ? 0f : 1f, dx, k); // dX (+)= dY·W
            if (dw != null) Sgemm.Run(true, false, n, k, m, 1f, y.Grad, n, x.Data, k, 1f, dw, k);  // dW += dYᵀ·X
            if (db != null) ElementwiseKernels.ColumnSum(db, y.Grad, m, n);                        // db += Σ_rows dY
            ResidualBackward(y, g);
        }
    }

    /// <summary>Batched matrix product: a [..., M, K] · b [..., K, N] → [..., M, N] (optionally with a or b transposed in its last two axes).</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        const string op = "matmul";
        if (a.Shape.Rank < 2 || a.Shape.Rank != b.Shape.Rank)
            throw ShapeError(op, $"operands {a.Shape} and {b.Shape} must have the same rank ≥ 2");
        int rank = a.Shape.Rank;
        for (int i = 0; i < rank - 2; i++)
            if (a.Shape[i] != b.Shape[i]) throw ShapeError(op, $"batch dimensions of {a.Shape} and {b.Shape} differ");
        int m = transposeA ? a.Shape[-1] : a.Shape[-2], ka = transposeA ? a.Shape[-2] : a.Shape[-1];
        int kb = transposeB ? b.Shape[-1] : b.Shape[-2], n = transposeB ? b.Shape[-2] : b.Shape[-1];
        if (ka != kb)
            throw ShapeError(op, $"inner dimensions differ: {a.Shape}{(transposeA ? "ᵀ" : "")} · {b.Shape}{(transposeB ? "ᵀ" : "")}");
        var g = GraphOf(op, a, b);
        var y = g.NewTensor(a.Shape.With(-2, m).With(-1, n));
        int batch = a.Shape.Numel / (a.Shape[-1] * a.Shape[-2]);
        long sa = (long)a.Shape[-2] * a.Shape[-1], sb = (long)b.Shape[-2] * b.Shape[-1], sy = (long)m * n;
        for (int i = 0; i < batch; i++)
            Sgemm.Run(transposeA, transposeB, m, n, ka, 1f, a.Data + i * sa, a.Shape[-1], b.Data + i * sb, b.Shape[-1], 0f, y.Data + i * sy, n);
        if (g.NeedsGrad(a, b))
        {
            g.Record(y, MatMulBackward.Instance, a, b);
            y.Arg0 = transposeA ? 1 : 0;
            y.Arg1 = transposeB ? 1 : 0;
        }
        return y;
    }

    private sealed class MatMulBackward : OpBackward
    {
        public static readonly MatMulBackward Instance = new();
        public override string Name => "matmul";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor a = y.Src0!, b = y.Src1!;
            bool ta = y.Arg0 == 1, tb = y.Arg1 == 1;
            int m = y.Shape[-2], n = y.Shape[-1], k = ta ? a.Shape[-2] : a.Shape[-1];
            int lda = a.Shape[-1], ldb = b.Shape[-1];
            int batch = y.Shape.Numel / (m * n);
            long sa = (long)a.Shape[-2] * lda, sb = (long)b.Shape[-2] * ldb, sy = (long)m * n;
            float* da = g.GradOf(a), db = g.GradOf(b);
            for (int i = 0; i < batch; i++)
            {
                float* dy = y.Grad + i * sy;
                if (da != null)
                {
                    // op(A) = dY·op(B)ᵀ; stored A is op(A) or its transpose.
                    if (!ta) Sgemm.Run(false, !tb, m, k, n, 1f, dy, n, b.Data + i * sb, ldb, 1f, da + i * sa, lda);
                    else Sgemm.Run(tb, true, k, m, n, 1f, b.Data + i * sb, ldb, dy, n, 1f, da + i * sa, lda);
                }
                if (db != null)
                {
                    // op(B) = op(A)ᵀ·dY.
                    if (!tb) Sgemm.Run(!ta, false, k, n, m, 1f, a.Data + i * sa, lda, dy, n, 1f, db + i * sb, ldb);
                    else Sgemm.Run(true, ta, n, k, m, 1f, dy, n, a.Data + i * sa, lda, 1f, db + i * sb, ldb);
                }
            }
        }
    }
}
