using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace JepaSharp.Engine.Optim;

/// <summary>Vector width of the optimizer kernels. The elementwise kernels give the same bits on every path.</summary>
public enum OptimKernelPath
{
    Scalar,
    Vector256,
    Vector512,
}

/// <summary>
/// The per-step scalars of one AdamW update. They are computed in double from the double
/// hyper-parameters and rounded to float once, which is what PyTorch does when it passes Python
/// floats to its float32 kernels; this keeps our updates within an ulp of torch.optim.AdamW.
/// </summary>
public readonly struct AdamWCoefficients
{
    /// <summary>1 − lr·wd (exactly 1 for parameters without weight decay).</summary>
    public readonly float DecayFactor;
    /// <summary>1 − β1, the weight of torch's <c>exp_avg.lerp_(grad, 1 − β1)</c>.</summary>
    public readonly float OneMinusBeta1;
    public readonly float Beta2;
    public readonly float OneMinusBeta2;
    /// <summary>−lr / (1 − β1^t).</summary>
    public readonly float NegStepSize;
    /// <summary>√(1 − β2^t).</summary>
    public readonly float BiasCorrection2Sqrt;
    public readonly float Eps;

    public AdamWCoefficients(float decayFactor, float oneMinusBeta1, float beta2, float oneMinusBeta2,
        float negStepSize, float biasCorrection2Sqrt, float eps)
    {
        DecayFactor = decayFactor;
        OneMinusBeta1 = oneMinusBeta1;
        Beta2 = beta2;
        OneMinusBeta2 = oneMinusBeta2;
        NegStepSize = negStepSize;
        BiasCorrection2Sqrt = biasCorrection2Sqrt;
        Eps = eps;
    }

    /// <summary>The coefficients of step <paramref name="step"/> (1-based, as PyTorch counts after its increment).</summary>
    public static AdamWCoefficients Create(double lr, double weightDecay, double beta1, double beta2, double eps, long step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "AdamW steps are counted from 1");
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2 = 1 - Math.Pow(beta2, step);
        return new AdamWCoefficients(
            (float)(1 - lr * weightDecay), (float)(1 - beta1), (float)beta2, (float)(1 - beta2),
            (float)(-(lr / bc1)), (float)Math.Sqrt(bc2), (float)eps);
    }

    /// <summary>The same step for a parameter group with weight decay 0.</summary>
    public AdamWCoefficients WithoutDecay()
        => new(1f, OneMinusBeta1, Beta2, OneMinusBeta2, NegStepSize, BiasCorrection2Sqrt, Eps);
}

/// <summary>
/// Optimizer kernels over contiguous ranges of the flat parameter, gradient and moment buffers.
/// Each kernel has a Vector512 and a Vector256 body and a scalar tail that performs the same
/// float operations in the same order (FMA where the vector body uses FMA), so an element's
/// result never depends on where a range was split between threads or on the vector width.
/// None of them allocates.
/// </summary>
public static unsafe class OptimKernels
{
    private static OptimKernelPath Best =>
        Vector512.IsHardwareAccelerated ? OptimKernelPath.Vector512
        : Vector256.IsHardwareAccelerated ? OptimKernelPath.Vector256
        : OptimKernelPath.Scalar;

    /// <summary>The path in use; settable so tests and benchmarks can run the narrower ones on an AVX-512 machine.</summary>
    public static OptimKernelPath Path
    {
        get => _path;
        set => _path = IsSupported(value) ? value : throw new PlatformNotSupportedException($"optimizer kernel path {value} is not supported on this CPU");
    }

    private static OptimKernelPath _path = Best;

    public static bool IsSupported(OptimKernelPath path) => path switch
    {
        OptimKernelPath.Vector512 => Vector512.IsHardwareAccelerated,
        OptimKernelPath.Vector256 => Vector256.IsHardwareAccelerated,
        _ => true,
    };

    // AdamW on n elements, PyTorch's single-tensor torch.optim.AdamW step in its float32 op order:
    //   p ← p·(1 − lr·wd)                                decoupled decay, before the moments
    //   m ← m + (1−β1)·(g − m)                           = β1·m + (1−β1)·g, one FMA as torch's lerp_
    //   v ← β2·v + ((1−β2)·g)·g
    //   p ← p + (−lr/(1−β1^t))·m / (√v/√(1−β2^t) + eps)  = p − lr·m̂/(√v̂ + eps)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AdamWUpdate(float* p, float* g, float* m, float* v, long n, in AdamWCoefficients c)
    {
        long i = 0;
        var path = Path;
        if (path == OptimKernelPath.Vector512)
        {
            var decay = Vector512.Create(c.DecayFactor);
            var w1 = Vector512.Create(c.OneMinusBeta1);
            var b2 = Vector512.Create(c.Beta2);
            var w2 = Vector512.Create(c.OneMinusBeta2);
            var step = Vector512.Create(c.NegStepSize);
            var bc2 = Vector512.Create(c.BiasCorrection2Sqrt);
            var eps = Vector512.Create(c.Eps);
            for (; i <= n - 16; i += 16)
            {
                var pv = Vector512.Load(p + i) * decay;
                var gv = Vector512.Load(g + i);
                var mv = Vector512.Load(m + i);
                mv = Vector512.FusedMultiplyAdd(w1, gv - mv, mv);
                var vv = Vector512.Load(v + i) * b2 + w2 * gv * gv;
                var denom = Vector512.Sqrt(vv) / bc2 + eps;
                (pv + step * mv / denom).Store(p + i);
                mv.Store(m + i);
                vv.Store(v + i);
            }
        }
        else if (path == OptimKernelPath.Vector256)
        {
            var decay = Vector256.Create(c.DecayFactor);
            var w1 = Vector256.Create(c.OneMinusBeta1);
            var b2 = Vector256.Create(c.Beta2);
            var w2 = Vector256.Create(c.OneMinusBeta2);
            var step = Vector256.Create(c.NegStepSize);
            var bc2 = Vector256.Create(c.BiasCorrection2Sqrt);
            var eps = Vector256.Create(c.Eps);
            for (; i <= n - 8; i += 8)
            {
                var pv = Vector256.Load(p + i) * decay;
                var gv = Vector256.Load(g + i);
                var mv = Vector256.Load(m + i);
                mv = Vector256.FusedMultiplyAdd(w1, gv - mv, mv);
                var vv = Vector256.Load(v + i) * b2 + w2 * gv * gv;
                var denom = Vector256.Sqrt(vv) / bc2 + eps;
                (pv + step * mv / denom).Store(p + i);
                mv.Store(m + i);
                vv.Store(v + i);
            }
        }
        for (; i < n; i++)
        {
            float pi = p[i] * c.DecayFactor;
            float gi = g[i];
            float mi = MathF.FusedMultiplyAdd(c.OneMinusBeta1, gi - m[i], m[i]);
            float vi = v[i] * c.Beta2 + c.OneMinusBeta2 * gi * gi;
            float denom = MathF.Sqrt(vi) / c.BiasCorrection2Sqrt + c.Eps;
            p[i] = pi + c.NegStepSize * mi / denom;
            m[i] = mi;
            v[i] = vi;
        }
    }

    // Σ x[i]² over n elements, each square and sum in double (a float square can neither
    // overflow nor lose bits there). Lanes, accumulators and tail are fixed by n and the path,
    // so the same range always sums to the same bits.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares(float* x, long n)
    {
        long i = 0;
        double total = 0;
        var path = Path;
        if (path == OptimKernelPath.Vector512)
        {
            Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 32; i += 32)
            {
                var (l0, h0) = Vector512.Widen(Vector512.Load(x + i));
                var (l1, h1) = Vector512.Widen(Vector512.Load(x + i + 16));
                a0 = Vector512.FusedMultiplyAdd(l0, l0, a0);
                a1 = Vector512.FusedMultiplyAdd(h0, h0, a1);
                a2 = Vector512.FusedMultiplyAdd(l1, l1, a2);
                a3 = Vector512.FusedMultiplyAdd(h1, h1, a3);
            }
            total = Vector512.Sum(a0 + a1 + (a2 + a3));
        }
        else if (path == OptimKernelPath.Vector256)
        {
            Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 16; i += 16)
            {
                var (l0, h0) = Vector256.Widen(Vector256.Load(x + i));
                var (l1, h1) = Vector256.Widen(Vector256.Load(x + i + 8));
                a0 = Vector256.FusedMultiplyAdd(l0, l0, a0);
                a1 = Vector256.FusedMultiplyAdd(h0, h0, a1);
                a2 = Vector256.FusedMultiplyAdd(l1, l1, a2);
                a3 = Vector256.FusedMultiplyAdd(h1, h1, a3);
            }
            total = Vector256.Sum(a0 + a1 + (a2 + a3));
        }
        for (; i < n; i++)
        {
            double d = x[i];
            total = Math.FusedMultiplyAdd(d, d, total);
        }
        return total;
    }

    // x ← s·x on n elements: the rescale of gradient clipping. One rounding per element, so
    // every path and any split of the range between threads give the same bits.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(float* x, long n, float s)
    {
        long i = 0;
        var path = Path;
        if (path == OptimKernelPath.Vector512)
        {
            var sv = Vector512.Create(s);
            for (; i <= n - 16; i += 16) (Vector512.Load(x + i) * sv).Store(x + i);
        }
        else if (path == OptimKernelPath.Vector256)
        {
            var sv = Vector256.Create(s);
            for (; i <= n - 8; i += 8) (Vector256.Load(x + i) * sv).Store(x + i);
        }
        for (; i < n; i++) x[i] *= s;
    }

    // EMA on n elements: target ← m·target + (1−m)·source, with m and 1−m rounded to float from
    // double and a rounding after each product and after the sum, the order of I-JEPA's
    // param_k.mul_(m).add_((1 - m) * param_q); m = 1 keeps target, m = 0 copies source exactly.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EmaLerp(float* target, float* source, long n, double momentum)
    {
        float keep = (float)momentum, take = (float)(1 - momentum);
        long i = 0;
        var path = Path;
        if (path == OptimKernelPath.Vector512)
        {
            var kv = Vector512.Create(keep);
            var tv = Vector512.Create(take);
            for (; i <= n - 16; i += 16)
                (Vector512.Load(target + i) * kv + Vector512.Load(source + i) * tv).Store(target + i);
        }
        else if (path == OptimKernelPath.Vector256)
        {
            var kv = Vector256.Create(keep);
            var tv = Vector256.Create(take);
            for (; i <= n - 8; i += 8)
                (Vector256.Load(target + i) * kv + Vector256.Load(source + i) * tv).Store(target + i);
        }
        for (; i < n; i++) target[i] = target[i] * keep + source[i] * take;
    }
}
