using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace JepaSharp.Engine.Kernels.Gemm;

/// <summary>Which register tile the packed SGEMM runs on.</summary>
public enum GemmKernelKind
{
    /// <summary>12 x 32 tile, Vector512 FMA (AVX-512).</summary>
    Avx512,
    /// <summary>6 x 16 tile, Vector256 FMA (AVX2 + FMA3).</summary>
    Avx2,
    /// <summary>4 x 8 tile in scalar code, for any CPU.</summary>
    Scalar,
}

/// <summary>
/// One micro-kernel call: C[MR, NR] = Σ_k op(A)[r, k]·op(B)[k, j] (+ Addend[MR, NR]) (+ Bias[NR]), the sums in that
/// order. op(A)[r, k] = A[r·ARowStride + k·AKStride], so the kernel reads a packed panel (row stride 1, k stride MR)
/// or the operand in place (row-major: row stride lda, k stride 1; transposed: row stride 1, k stride lda).
/// op(B)[k, j] = B[k·BKStride + j]: a packed panel (k stride NR) or a row-major operand in place (k stride ldb).
/// Addend is C itself when accumulating, or a residual to add; null adds nothing. Bias null adds nothing.
/// </summary>
internal unsafe struct MicroTile
{
    public int Kc;
    public float* A;
    public nint ARowStride, AKStride;
    public float* B;
    public nint BKStride;
    public float* C;
    public nint Ldc;
    public float* Addend;
    public nint AddendStride;
    public float* Bias;
}

/// <summary>A micro-kernel with its tile size.</summary>
internal readonly unsafe struct MicroKernel(GemmKernelKind kind, int mr, int nr, delegate*<ref MicroTile, void> run)
{
    public readonly GemmKernelKind Kind = kind;
    public readonly int MR = mr;
    public readonly int NR = nr;
    public readonly delegate*<ref MicroTile, void> Run = run;
}

internal static unsafe partial class MicroKernels
{
    public static bool IsSupported(GemmKernelKind kind) => kind switch
    {
        GemmKernelKind.Avx512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        GemmKernelKind.Avx2 => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    public static GemmKernelKind Best =>
        IsSupported(GemmKernelKind.Avx512) ? GemmKernelKind.Avx512
        : IsSupported(GemmKernelKind.Avx2) ? GemmKernelKind.Avx2
        : GemmKernelKind.Scalar;

    /// <summary>Products with at most this many columns run on <see cref="Narrow"/>'s kernel.</summary>
    public const int NarrowColumns = 16;

    /// <summary>The kernel for products of at most <see cref="NarrowColumns"/> columns: a 12 x 16 tile on AVX-512, else <paramref name="kind"/>'s own.</summary>
    public static MicroKernel Narrow(GemmKernelKind kind) => kind == GemmKernelKind.Avx512 && IsSupported(kind) ? new MicroKernel(kind, 12, 16, &Kernel12x16) : Get(kind);

    public static MicroKernel Get(GemmKernelKind kind)
    {
        if (!IsSupported(kind)) throw new PlatformNotSupportedException($"GEMM kernel {kind} is not supported on this CPU");
        return kind switch
        {
            GemmKernelKind.Avx512 => new MicroKernel(kind, 12, 32, &Kernel12x32),
            GemmKernelKind.Avx2 => new MicroKernel(kind, 6, 16, &Kernel6x16),
            _ => new MicroKernel(kind, 4, 8, &KernelScalar4x8),
        };
    }

    // C[4x8] = A[4 x kc]·B[kc x 8] (+ addend) (+ bias) in plain scalar code.
    private static void KernelScalar4x8(ref MicroTile t)
    {
        float* acc = stackalloc float[32];
        for (int i = 0; i < 32; i++) acc[i] = 0f;
        float* a = t.A, b = t.B;
        for (int k = 0; k < t.Kc; k++, a += t.AKStride, b += t.BKStride)
            for (int r = 0; r < 4; r++)
            {
                float ar = a[r * t.ARowStride];
                for (int j = 0; j < 8; j++) acc[r * 8 + j] += ar * b[j];
            }
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < 8; j++)
            {
                float v = acc[r * 8 + j];
                if (t.Addend != null) v += t.Addend[r * t.AddendStride + j];
                if (t.Bias != null) v += t.Bias[j];
                t.C[r * t.Ldc + j] = v;
            }
    }
}
