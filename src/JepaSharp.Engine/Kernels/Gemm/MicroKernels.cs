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

/// <summary>A micro-kernel with its tile size; packing is laid out for (MR, NR).</summary>
internal readonly unsafe struct MicroKernel(GemmKernelKind kind, int mr, int nr, delegate*<int, float*, float*, float*, int, bool, void> run)
{
    public readonly GemmKernelKind Kind = kind;
    public readonly int MR = mr;
    public readonly int NR = nr;
    public readonly delegate*<int, float*, float*, float*, int, bool, void> Run = run;
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

    // C[4x8] (+)= A-panel[kc x 4] * B-panel[kc x 8] in plain scalar code.
    private static void KernelScalar4x8(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        float* acc = stackalloc float[32];
        for (int i = 0; i < 32; i++) acc[i] = 0f;
        for (int k = 0; k < kc; k++, a += 4, b += 8)
            for (int r = 0; r < 4; r++)
            {
                float ar = a[r];
                for (int j = 0; j < 8; j++) acc[r * 8 + j] += ar * b[j];
            }
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < 8; j++)
                c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r * 8 + j] : acc[r * 8 + j];
    }
}
