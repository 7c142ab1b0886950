using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Kernels;

// Exact (erf) GELU, PyTorch nn.GELU's default: y = x·Φ(x), Φ(x) = ½(1 + erf(x/√2)), over n floats.
// Backward: dx += dy·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/√(2π) (accumulates; callers pre-zero). A backward that needs
// GELU(x) too gets both from one Φ (ForwardWithDerivative) and multiplies by dy later (ApplyDerivative).
// Saved for backward: the input x (recomputing Φ is one division, φ one exp). Φ = ½ + ½·erf(x/√2) from FastMath, to
// 2e-7 absolute like PyTorch's own erf form. Elementwise, split into 16-aligned chunks: bit-identical for any thread count.
/// <summary>Exact-erf GELU forward and backward.</summary>
public static unsafe class GeluKernels
{
    private const long SerialElements = 1 << 15;

    /// <summary>output[i] = GELU(input[i]); output may equal input.</summary>
    public static void Forward(float* output, float* input, long n, WorkerPool? pool = null)
    {
        var job = new Job { Output = output, Input = input, N = n, Mode = JobMode.Forward };
        Run(ref job, n, pool);
    }

    /// <summary>dinput[i] += doutput[i]·GELU'(input[i]).</summary>
    public static void Backward(float* dinput, float* input, float* doutput, long n, WorkerPool? pool = null)
    {
        var job = new Job { Output = dinput, Input = input, DOutput = doutput, N = n, Mode = JobMode.Backward };
        Run(ref job, n, pool);
    }

    /// <summary>output[i] = GELU(input[i]) and derivative[i] = GELU'(input[i]), from one Φ(input[i]); derivative may equal input.</summary>
    public static void ForwardWithDerivative(float* output, float* derivative, float* input, long n, WorkerPool? pool = null)
    {
        var job = new Job { Output = output, Input = input, DOutput = derivative, N = n, Mode = JobMode.ForwardWithDerivative };
        Run(ref job, n, pool);
    }

    /// <summary>dinput[i] = derivative[i]·doutput[i] (dinput may be the derivative's buffer): the backward after <see cref="ForwardWithDerivative"/>.</summary>
    public static void ApplyDerivative(float* dinput, float* derivative, float* doutput, long n, WorkerPool? pool = null)
    {
        var job = new Job { Output = dinput, Input = derivative, DOutput = doutput, N = n, Mode = JobMode.ApplyDerivative };
        Run(ref job, n, pool);
    }

    private static void Run(ref Job job, long n, WorkerPool? pool)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "negative length");
        if (n == 0) return;
        pool ??= WorkerPool.Shared;
        if (pool.Threads == 1 || n < SerialElements)
        {
            job.Parts = 1;
            job.Execute(0, 1, 0);
            return;
        }
        job.Parts = pool.Threads;
        pool.For(job.Parts, ref job);
    }

    private enum JobMode { Forward, Backward, ForwardWithDerivative, ApplyDerivative }

    private struct Job : IParallelJob
    {
        public float* Output, Input, DOutput;
        public long N;
        public int Parts;
        public JobMode Mode;

        public void Execute(int begin, int end, int thread)
        {
            long blocks = (N + 15) / 16;
            long i0 = blocks * begin / Parts * 16, i1 = Math.Min(N, blocks * end / Parts * 16);
            if (i0 >= i1) return;
            long n = i1 - i0;
            switch (Mode)
            {
                case JobMode.Forward: ForwardRange(Output + i0, Input + i0, n); break;
                case JobMode.Backward: BackwardRange(Output + i0, Input + i0, DOutput + i0, n); break;
                case JobMode.ForwardWithDerivative: ForwardWithDerivativeRange(Output + i0, DOutput + i0, Input + i0, n); break;
                default: ElementwiseKernels.Mul(Output + i0, Input + i0, DOutput + i0, n); break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardRange(float* y, float* x, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.Load(x + i);
                Vector512.Store(v * FastMath.NormalCdf(v), y + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                Vector256.Store(v * FastMath.NormalCdf(v), y + i);
            }
        }
        for (; i < n; i++) y[i] = x[i] * FastMath.NormalCdf(x[i]);
    }

    // GELU'(x) = Φ(x) + x·φ(x), with Φ(x) returned in cdf for callers that also need GELU(x) = x·Φ(x).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Derivative(Vector512<float> x, out Vector512<float> cdf)
    {
        cdf = FastMath.NormalCdf(x);
        var gauss = FastMath.Exp(x * x * Vector512.Create(-0.5f));
        return Vector512.FusedMultiplyAdd(x * Vector512.Create(FastMath.InvSqrt2Pi), gauss, cdf);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Derivative(Vector256<float> x, out Vector256<float> cdf)
    {
        cdf = FastMath.NormalCdf(x);
        var gauss = FastMath.Exp(x * x * Vector256.Create(-0.5f));
        return Vector256.FusedMultiplyAdd(x * Vector256.Create(FastMath.InvSqrt2Pi), gauss, cdf);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Derivative(float x, out float cdf)
    {
        cdf = FastMath.NormalCdf(x);
        float gauss = FastMath.Exp(x * x * -0.5f);
        return MathF.FusedMultiplyAdd(x * FastMath.InvSqrt2Pi, gauss, cdf);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardWithDerivativeRange(float* y, float* d, float* x, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.Load(x + i);
                Vector512.Store(Derivative(v, out var cdf), d + i);
                Vector512.Store(v * cdf, y + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                Vector256.Store(Derivative(v, out var cdf), d + i);
                Vector256.Store(v * cdf, y + i);
            }
        }
        for (; i < n; i++)
        {
            float v = x[i];
            d[i] = Derivative(v, out float cdf);
            y[i] = v * cdf;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRange(float* dx, float* x, float* dy, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(dy + i), Derivative(Vector512.Load(x + i), out _), Vector512.Load(dx + i)), dx + i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
                Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(dy + i), Derivative(Vector256.Load(x + i), out _), Vector256.Load(dx + i)), dx + i);
        for (; i < n; i++) dx[i] = MathF.FusedMultiplyAdd(dy[i], Derivative(x[i], out _), dx[i]);
    }
}
