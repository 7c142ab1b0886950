using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace JepaSharp.Engine.Kernels;

// Mean losses over n predictions (d = pred − target): SmoothL1 (0.5·d²/β if |d| < β else |d| − 0.5β; β = 0 is L1),
// MSE (d²), L1 (|d|); and softmax cross-entropy over [rows, classes] logits, mean of −log p[label], saved for backward:
// probs [rows, classes]. Losses are computed and summed in double in index order (deterministic, single-threaded).
// Backwards accumulate dpred += scale·∂mean/∂pred (scale = upstream gradient of the mean): SmoothL1 d/β or sign(d),
// MSE 2d, L1 sign(d) (0 at d = 0), each divided by n; cross-entropy dz += scale·(p − onehot)/rows.
/// <summary>Regression and classification losses with their backward passes.</summary>
public static unsafe class LossKernels
{
    // ------------------------------------------------------------------ SmoothL1

    /// <summary>Mean Smooth-L1 (Huber/β) loss, PyTorch semantics; <paramref name="beta"/> = 0 is the L1 loss.</summary>
    public static double SmoothL1(float* pred, float* target, long n, float beta)
    {
        CheckBeta(beta);
        if (n <= 0) return CheckEmpty(n);
        return beta == 0f ? L1(pred, target, n) : Mean(pred, target, n, new HuberTerm(beta));
    }

    /// <summary>dpred[i] += scale·g(d)/n with g = d/β for |d| &lt; β, else sign(d) (β = 0: sign(d), 0 at d = 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SmoothL1Backward(float* dpred, float* pred, float* target, long n, float beta, float scale)
    {
        CheckBeta(beta);
        if (n <= 0) { CheckEmpty(n); return; }
        if (beta == 0f) { L1Backward(dpred, pred, target, n, scale); return; }
        float k = (float)(scale / (double)n);
        float kOverB = (float)(scale / (double)n / beta);
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vk = Vector512.Create(k);
            var vkb = Vector512.Create(kOverB);
            var vb = Vector512.Create(beta);
            for (; i + 16 <= n; i += 16)
            {
                var d = Vector512.Load(pred + i) - Vector512.Load(target + i);
                var g = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(d), vb), d * vkb, Sign(d) * vk);
                Vector512.Store(Vector512.Load(dpred + i) + g, dpred + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vk = Vector256.Create(k);
            var vkb = Vector256.Create(kOverB);
            var vb = Vector256.Create(beta);
            for (; i + 8 <= n; i += 8)
            {
                var d = Vector256.Load(pred + i) - Vector256.Load(target + i);
                var g = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(d), vb), d * vkb, Sign(d) * vk);
                Vector256.Store(Vector256.Load(dpred + i) + g, dpred + i);
            }
        }
        for (; i < n; i++)
        {
            float d = pred[i] - target[i];
            dpred[i] += Math.Abs(d) < beta ? d * kOverB : Sign(d) * k;
        }
    }

    // ------------------------------------------------------------------ MSE

    /// <summary>Mean squared error mean((pred − target)²).</summary>
    public static double Mse(float* pred, float* target, long n) => n <= 0 ? CheckEmpty(n) : Mean(pred, target, n, new SquaredTerm());

    /// <summary>dpred[i] += scale·2(pred[i] − target[i])/n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MseBackward(float* dpred, float* pred, float* target, long n, float scale)
    {
        if (n <= 0) { CheckEmpty(n); return; }
        float k = (float)(2.0 * scale / n);
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vk = Vector512.Create(k);
            for (; i + 16 <= n; i += 16)
                Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(pred + i) - Vector512.Load(target + i), vk, Vector512.Load(dpred + i)), dpred + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vk = Vector256.Create(k);
            for (; i + 8 <= n; i += 8)
                Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(pred + i) - Vector256.Load(target + i), vk, Vector256.Load(dpred + i)), dpred + i);
        }
        for (; i < n; i++) dpred[i] = MathF.FusedMultiplyAdd(pred[i] - target[i], k, dpred[i]);
    }

    // ------------------------------------------------------------------ L1

    /// <summary>Mean absolute error mean(|pred − target|).</summary>
    public static double L1(float* pred, float* target, long n) => n <= 0 ? CheckEmpty(n) : Mean(pred, target, n, new AbsoluteTerm());

    /// <summary>dpred[i] += scale·sign(pred[i] − target[i])/n, with sign(0) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void L1Backward(float* dpred, float* pred, float* target, long n, float scale)
    {
        if (n <= 0) { CheckEmpty(n); return; }
        float k = (float)(scale / (double)n);
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vk = Vector512.Create(k);
            for (; i + 16 <= n; i += 16)
                Vector512.Store(Vector512.FusedMultiplyAdd(Sign(Vector512.Load(pred + i) - Vector512.Load(target + i)), vk, Vector512.Load(dpred + i)), dpred + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vk = Vector256.Create(k);
            for (; i + 8 <= n; i += 8)
                Vector256.Store(Vector256.FusedMultiplyAdd(Sign(Vector256.Load(pred + i) - Vector256.Load(target + i)), vk, Vector256.Load(dpred + i)), dpred + i);
        }
        for (; i < n; i++) dpred[i] = MathF.FusedMultiplyAdd(Sign(pred[i] - target[i]), k, dpred[i]);
    }

    // ------------------------------------------------------------------ softmax cross-entropy

    /// <summary>
    /// Mean over rows of −log softmax(logits[r,:])[labels[r]] for row-major [rows, classes] logits, computed as
    /// log Σ e^(z − max) − (z[label] − max). Writes the softmax to <paramref name="probs"/> [rows, classes] for the
    /// backward (probs may equal logits). Throws <see cref="ArgumentOutOfRangeException"/> for a label outside [0, classes).
    /// </summary>
    public static double SoftmaxCrossEntropy(float* logits, int* labels, float* probs, int rows, int classes)
    {
        ElementwiseKernels.CheckShape(rows, classes);
        if (rows == 0) throw new ArgumentException("cross-entropy over zero rows has no mean");
        CheckLabels(labels, rows, classes);
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            float* z = logits + (long)r * classes, p = probs + (long)r * classes;
            float max = ElementwiseKernels.Max(z, classes);
            float zLabel = z[labels[r]]; // read before an in-place write over the logits
            if (p != z) Buffer.MemoryCopy(z, p, (long)classes * sizeof(float), (long)classes * sizeof(float));
            float sum = SoftmaxKernels.ExpShiftedInPlace(p, classes, max);
            ElementwiseKernels.Scale(p, p, 1f / sum, classes);
            total += Math.Log(sum) - ((double)zLabel - max);
        }
        return total / rows;
    }

    /// <summary>dlogits[r,c] += scale·(probs[r,c] − [c = labels[r]])/rows.</summary>
    public static void SoftmaxCrossEntropyBackward(float* dlogits, float* probs, int* labels, int rows, int classes, float scale)
    {
        ElementwiseKernels.CheckShape(rows, classes);
        if (rows == 0) return;
        CheckLabels(labels, rows, classes);
        float k = (float)(scale / (double)rows);
        for (int r = 0; r < rows; r++)
        {
            float* dz = dlogits + (long)r * classes;
            ElementwiseKernels.AddScaled(dz, probs + (long)r * classes, k, classes);
            dz[labels[r]] -= k;
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void CheckLabels(int* labels, int rows, int classes)
    {
        for (int r = 0; r < rows; r++)
            if ((uint)labels[r] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[r], $"row {r} has label {labels[r]}, outside [0, {classes})");
    }

    private static void CheckBeta(float beta)
    {
        if (!(beta >= 0f) || float.IsInfinity(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "smooth-L1 beta must be finite and ≥ 0");
    }

    /// <summary>A loss's per-element term of d = pred − target, in double at every vector width.</summary>
    private interface ILossTerm
    {
        Vector512<double> Of(Vector512<double> d);
        Vector256<double> Of(Vector256<double> d);
        double Of(double d);
    }

    private readonly struct SquaredTerm : ILossTerm
    {
        public Vector512<double> Of(Vector512<double> d) => d * d;
        public Vector256<double> Of(Vector256<double> d) => d * d;
        public double Of(double d) => d * d;
    }

    private readonly struct AbsoluteTerm : ILossTerm
    {
        public Vector512<double> Of(Vector512<double> d) => Vector512.Abs(d);
        public Vector256<double> Of(Vector256<double> d) => Vector256.Abs(d);
        public double Of(double d) => Math.Abs(d);
    }

    /// <summary>0.5·d²/β for |d| &lt; β, else |d| − 0.5·β.</summary>
    private readonly struct HuberTerm(double beta) : ILossTerm
    {
        private readonly double _halfOverBeta = 0.5 / beta, _halfBeta = 0.5 * beta;

        public Vector512<double> Of(Vector512<double> d)
        {
            var a = Vector512.Abs(d);
            return Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(beta)), d * d * Vector512.Create(_halfOverBeta), a - Vector512.Create(_halfBeta));
        }

        public Vector256<double> Of(Vector256<double> d)
        {
            var a = Vector256.Abs(d);
            return Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(beta)), d * d * Vector256.Create(_halfOverBeta), a - Vector256.Create(_halfBeta));
        }

        public double Of(double d)
        {
            double a = Math.Abs(d);
            return a < beta ? d * d * _halfOverBeta : a - _halfBeta;
        }
    }

    /// <summary>mean(term(pred − target)), widened to double and summed in a fixed order (two vector accumulators, then the tail).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Mean<TTerm>(float* pred, float* target, long n, TTerm term) where TTerm : struct, ILossTerm
    {
        long i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> a0 = default, a1 = default;
            for (; i + 16 <= n; i += 16)
            {
                var (p0, p1) = Vector512.Widen(Vector512.Load(pred + i));
                var (t0, t1) = Vector512.Widen(Vector512.Load(target + i));
                a0 += term.Of(p0 - t0);
                a1 += term.Of(p1 - t1);
            }
            s = Vector512.Sum(a0 + a1);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> a0 = default, a1 = default;
            for (; i + 8 <= n; i += 8)
            {
                var (p0, p1) = Vector256.Widen(Vector256.Load(pred + i));
                var (t0, t1) = Vector256.Widen(Vector256.Load(target + i));
                a0 += term.Of(p0 - t0);
                a1 += term.Of(p1 - t1);
            }
            s = Vector256.Sum(a0 + a1);
        }
        for (; i < n; i++) s += term.Of((double)pred[i] - target[i]);
        return s / n;
    }

    private static double CheckEmpty(long n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "negative length");
        return double.NaN; // the mean of nothing, as in PyTorch
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sign(float d) => d > 0f ? 1f : d < 0f ? -1f : 0f;

    // sign(d) ∈ {−1, 0, 1}: (d > 0) − (d < 0) from the all-ones comparison masks, as floats.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sign(Vector512<float> d)
    {
        var one = Vector512<float>.One;
        return (Vector512.GreaterThan(d, Vector512<float>.Zero) & one) - (Vector512.LessThan(d, Vector512<float>.Zero) & one);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sign(Vector256<float> d)
    {
        var one = Vector256<float>.One;
        return (Vector256.GreaterThan(d, Vector256<float>.Zero) & one) - (Vector256.LessThan(d, Vector256<float>.Zero) & one);
    }
}
