using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace JepaSharp.Engine.Kernels.Gemm;

// Register-blocked micro-kernels of the SGEMM (see MicroTile for the operand layouts). Each keeps
// one MR x NR tile of C in registers: per k it loads NR/lanes B vectors, broadcasts MR A scalars
// and issues MR*NR/lanes FMAs. Rows of A are reached from one base pointer per three rows (rows 0, 3,
// 6, 9) plus one or two row strides, so a packed panel and an operand read in place cost the same.
// Accumulators are named locals so the JIT keeps them in registers.
internal static unsafe partial class MicroKernels
{
    // Requests the tile's rows (two cache lines each) before the k loop, so the lines of a C written for the first time
    // arrive while the FMAs run instead of stalling the stores at the end. x86 only, like the AVX-512 kernel that calls it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* p, nint stride, int rows)
    {
        for (int r = 0; r < rows; r++)
        {
            Sse.Prefetch0(p + r * stride);
            Sse.Prefetch0(p + r * stride + 16);
        }
    }

    // C[12x32] = A[12 x kc]·B[kc x 32] (+ addend) (+ bias); 24 zmm accumulators, 2 B vectors, 1 broadcast.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel12x32(ref MicroTile t)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        int kc = t.Kc;
        PrefetchTile(t.C, t.Ldc, 12);
        if (t.Addend != null && t.Addend != t.C) PrefetchTile(t.Addend, t.AddendStride, 12);
        nint r1 = t.ARowStride, r2 = 2 * r1, aStep = t.AKStride, bStep = t.BKStride;
        float* b = t.B;
        float* a0 = t.A, a3 = t.A + 3 * r1, a6 = t.A + 6 * r1, a9 = t.A + 9 * r1;
        for (int k = 0; k < kc; k++)
        {
            // Eight steps ahead: in place, A and B are strided streams the hardware prefetcher follows late.
            Sse.Prefetch0(b + 8 * bStep);
            Sse.Prefetch0(b + 8 * bStep + 16);
            Sse.Prefetch0(a0 + 8 * aStep);
            Sse.Prefetch0(a6 + 8 * aStep);
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0v = Vector512.Create(a0[0]); c00 = Vector512.FusedMultiplyAdd(a0v, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0v, b1, c01);
            var a1v = Vector512.Create(a0[r1]); c10 = Vector512.FusedMultiplyAdd(a1v, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1v, b1, c11);
            var a2v = Vector512.Create(a0[r2]); c20 = Vector512.FusedMultiplyAdd(a2v, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2v, b1, c21);
            var a3v = Vector512.Create(a3[0]); c30 = Vector512.FusedMultiplyAdd(a3v, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3v, b1, c31);
            var a4v = Vector512.Create(a3[r1]); c40 = Vector512.FusedMultiplyAdd(a4v, b0, c40); c41 = Vector512.FusedMultiplyAdd(a4v, b1, c41);
            var a5v = Vector512.Create(a3[r2]); c50 = Vector512.FusedMultiplyAdd(a5v, b0, c50); c51 = Vector512.FusedMultiplyAdd(a5v, b1, c51);
            var a6v = Vector512.Create(a6[0]); c60 = Vector512.FusedMultiplyAdd(a6v, b0, c60); c61 = Vector512.FusedMultiplyAdd(a6v, b1, c61);
            var a7v = Vector512.Create(a6[r1]); c70 = Vector512.FusedMultiplyAdd(a7v, b0, c70); c71 = Vector512.FusedMultiplyAdd(a7v, b1, c71);
            var a8v = Vector512.Create(a6[r2]); c80 = Vector512.FusedMultiplyAdd(a8v, b0, c80); c81 = Vector512.FusedMultiplyAdd(a8v, b1, c81);
            var a9v = Vector512.Create(a9[0]); c90 = Vector512.FusedMultiplyAdd(a9v, b0, c90); c91 = Vector512.FusedMultiplyAdd(a9v, b1, c91);
            var a10v = Vector512.Create(a9[r1]); c100 = Vector512.FusedMultiplyAdd(a10v, b0, c100); c101 = Vector512.FusedMultiplyAdd(a10v, b1, c101);
            var a11v = Vector512.Create(a9[r2]); c110 = Vector512.FusedMultiplyAdd(a11v, b0, c110); c111 = Vector512.FusedMultiplyAdd(a11v, b1, c111);
            a0 += aStep; a3 += aStep; a6 += aStep; a9 += aStep; b += bStep;
        }
        float* c = t.C, add = t.Addend, bias = t.Bias;
        nint ldc = t.Ldc, lda = t.AddendStride;
        if (add != null)
        {
            c00 += Vector512.Load(add + 0 * lda); c01 += Vector512.Load(add + 0 * lda + 16);
            c10 += Vector512.Load(add + 1 * lda); c11 += Vector512.Load(add + 1 * lda + 16);
            c20 += Vector512.Load(add + 2 * lda); c21 += Vector512.Load(add + 2 * lda + 16);
            c30 += Vector512.Load(add + 3 * lda); c31 += Vector512.Load(add + 3 * lda + 16);
            c40 += Vector512.Load(add + 4 * lda); c41 += Vector512.Load(add + 4 * lda + 16);
            c50 += Vector512.Load(add + 5 * lda); c51 += Vector512.Load(add + 5 * lda + 16);
            c60 += Vector512.Load(add + 6 * lda); c61 += Vector512.Load(add + 6 * lda + 16);
            c70 += Vector512.Load(add + 7 * lda); c71 += Vector512.Load(add + 7 * lda + 16);
            c80 += Vector512.Load(add + 8 * lda); c81 += Vector512.Load(add + 8 * lda + 16);
            c90 += Vector512.Load(add + 9 * lda); c91 += Vector512.Load(add + 9 * lda + 16);
            c100 += Vector512.Load(add + 10 * lda); c101 += Vector512.Load(add + 10 * lda + 16);
            c110 += Vector512.Load(add + 11 * lda); c111 += Vector512.Load(add + 11 * lda + 16);
        }
        if (bias != null)
        {
            var bias0 = Vector512.Load(bias);
            var bias1 = Vector512.Load(bias + 16);
            c00 += bias0; c01 += bias1;
            c10 += bias0; c11 += bias1;
            c20 += bias0; c21 += bias1;
            c30 += bias0; c31 += bias1;
            c40 += bias0; c41 += bias1;
            c50 += bias0; c51 += bias1;
            c60 += bias0; c61 += bias1;
            c70 += bias0; c71 += bias1;
            c80 += bias0; c81 += bias1;
            c90 += bias0; c91 += bias1;
            c100 += bias0; c101 += bias1;
            c110 += bias0; c111 += bias1;
        }
        Vector512.Store(c00, c + 0 * ldc); Vector512.Store(c01, c + 0 * ldc + 16);
        Vector512.Store(c10, c + 1 * ldc); Vector512.Store(c11, c + 1 * ldc + 16);
        Vector512.Store(c20, c + 2 * ldc); Vector512.Store(c21, c + 2 * ldc + 16);
        Vector512.Store(c30, c + 3 * ldc); Vector512.Store(c31, c + 3 * ldc + 16);
        Vector512.Store(c40, c + 4 * ldc); Vector512.Store(c41, c + 4 * ldc + 16);
        Vector512.Store(c50, c + 5 * ldc); Vector512.Store(c51, c + 5 * ldc + 16);
        Vector512.Store(c60, c + 6 * ldc); Vector512.Store(c61, c + 6 * ldc + 16);
        Vector512.Store(c70, c + 7 * ldc); Vector512.Store(c71, c + 7 * ldc + 16);
        Vector512.Store(c80, c + 8 * ldc); Vector512.Store(c81, c + 8 * ldc + 16);
        Vector512.Store(c90, c + 9 * ldc); Vector512.Store(c91, c + 9 * ldc + 16);
        Vector512.Store(c100, c + 10 * ldc); Vector512.Store(c101, c + 10 * ldc + 16);
        Vector512.Store(c110, c + 11 * ldc); Vector512.Store(c111, c + 11 * ldc + 16);
    }

    // C[12x16] = A[12 x kc]·B[kc x 16] (+ addend) (+ bias); 12 zmm accumulators, 1 B vector, 1 broadcast. For products
    // with at most 16 columns (a linear probe's ten classes), where the 12x32 tile would compute twice the columns needed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel12x16(ref MicroTile t)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        int kc = t.Kc;
        PrefetchTile(t.C, t.Ldc, 12);
        nint r1 = t.ARowStride, r2 = 2 * r1, aStep = t.AKStride, bStep = t.BKStride;
        float* b = t.B;
        float* a0 = t.A, a3 = t.A + 3 * r1, a6 = t.A + 6 * r1, a9 = t.A + 9 * r1;
        for (int k = 0; k < kc; k++)
        {
            Sse.Prefetch0(b + 8 * bStep);
            Sse.Prefetch0(a0 + 8 * aStep);
            Sse.Prefetch0(a6 + 8 * aStep);
            var b0 = Vector512.Load(b);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[0]), b0, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[r1]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[r2]), b0, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[0]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[r1]), b0, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[r2]), b0, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a6[0]), b0, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a6[r1]), b0, c7);
            c8 = Vector512.FusedMultiplyAdd(Vector512.Create(a6[r2]), b0, c8);
            c9 = Vector512.FusedMultiplyAdd(Vector512.Create(a9[0]), b0, c9);
            c10 = Vector512.FusedMultiplyAdd(Vector512.Create(a9[r1]), b0, c10);
            c11 = Vector512.FusedMultiplyAdd(Vector512.Create(a9[r2]), b0, c11);
            a0 += aStep; a3 += aStep; a6 += aStep; a9 += aStep; b += bStep;
        }
        float* c = t.C, add = t.Addend;
        nint ldc = t.Ldc, lda = t.AddendStride;
        var bias = t.Bias != null ? Vector512.Load(t.Bias) : Vector512<float>.Zero;
        StoreRow(c, add, 0, bias, c0); StoreRow(c + ldc, add, lda, bias, c1); StoreRow(c + 2 * ldc, add, 2 * lda, bias, c2);
        StoreRow(c + 3 * ldc, add, 3 * lda, bias, c3); StoreRow(c + 4 * ldc, add, 4 * lda, bias, c4); StoreRow(c + 5 * ldc, add, 5 * lda, bias, c5);
        StoreRow(c + 6 * ldc, add, 6 * lda, bias, c6); StoreRow(c + 7 * ldc, add, 7 * lda, bias, c7); StoreRow(c + 8 * ldc, add, 8 * lda, bias, c8);
        StoreRow(c + 9 * ldc, add, 9 * lda, bias, c9); StoreRow(c + 10 * ldc, add, 10 * lda, bias, c10); StoreRow(c + 11 * ldc, add, 11 * lda, bias, c11);
    }

    // One row of a 16-wide tile: (accumulator + addend row) + bias, the wide kernel's order of sums (bias zero when absent).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, float* add, nint addOffset, Vector512<float> bias, Vector512<float> sum)
    {
        if (add != null) sum += Vector512.Load(add + addOffset);
        Vector512.Store(sum + bias, c);
    }

    // C[6x16] = A[6 x kc]·B[kc x 16] (+ addend) (+ bias); 12 ymm accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(ref MicroTile t)
    {
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        int kc = t.Kc;
        nint r1 = t.ARowStride, r2 = 2 * r1, aStep = t.AKStride, bStep = t.BKStride;
        float* b = t.B;
        float* a0 = t.A, a3 = t.A + 3 * r1;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0v = Vector256.Create(a0[0]); c00 = Vector256.FusedMultiplyAdd(a0v, b0, c00); c01 = Vector256.FusedMultiplyAdd(a0v, b1, c01);
            var a1v = Vector256.Create(a0[r1]); c10 = Vector256.FusedMultiplyAdd(a1v, b0, c10); c11 = Vector256.FusedMultiplyAdd(a1v, b1, c11);
            var a2v = Vector256.Create(a0[r2]); c20 = Vector256.FusedMultiplyAdd(a2v, b0, c20); c21 = Vector256.FusedMultiplyAdd(a2v, b1, c21);
            var a3v = Vector256.Create(a3[0]); c30 = Vector256.FusedMultiplyAdd(a3v, b0, c30); c31 = Vector256.FusedMultiplyAdd(a3v, b1, c31);
            var a4v = Vector256.Create(a3[r1]); c40 = Vector256.FusedMultiplyAdd(a4v, b0, c40); c41 = Vector256.FusedMultiplyAdd(a4v, b1, c41);
            var a5v = Vector256.Create(a3[r2]); c50 = Vector256.FusedMultiplyAdd(a5v, b0, c50); c51 = Vector256.FusedMultiplyAdd(a5v, b1, c51);
            a0 += aStep; a3 += aStep; b += bStep;
        }
        float* c = t.C, add = t.Addend, bias = t.Bias;
        nint ldc = t.Ldc, lda = t.AddendStride;
        if (add != null)
        {
            c00 += Vector256.Load(add + 0 * lda); c01 += Vector256.Load(add + 0 * lda + 8);
            c10 += Vector256.Load(add + 1 * lda); c11 += Vector256.Load(add + 1 * lda + 8);
            c20 += Vector256.Load(add + 2 * lda); c21 += Vector256.Load(add + 2 * lda + 8);
            c30 += Vector256.Load(add + 3 * lda); c31 += Vector256.Load(add + 3 * lda + 8);
            c40 += Vector256.Load(add + 4 * lda); c41 += Vector256.Load(add + 4 * lda + 8);
            c50 += Vector256.Load(add + 5 * lda); c51 += Vector256.Load(add + 5 * lda + 8);
        }
        if (bias != null)
        {
            var bias0 = Vector256.Load(bias);
            var bias1 = Vector256.Load(bias + 8);
            c00 += bias0; c01 += bias1;
            c10 += bias0; c11 += bias1;
            c20 += bias0; c21 += bias1;
            c30 += bias0; c31 += bias1;
            c40 += bias0; c41 += bias1;
            c50 += bias0; c51 += bias1;
        }
        Vector256.Store(c00, c + 0 * ldc); Vector256.Store(c01, c + 0 * ldc + 8);
        Vector256.Store(c10, c + 1 * ldc); Vector256.Store(c11, c + 1 * ldc + 8);
        Vector256.Store(c20, c + 2 * ldc); Vector256.Store(c21, c + 2 * ldc + 8);
        Vector256.Store(c30, c + 3 * ldc); Vector256.Store(c31, c + 3 * ldc + 8);
        Vector256.Store(c40, c + 4 * ldc); Vector256.Store(c41, c + 4 * ldc + 8);
        Vector256.Store(c50, c + 5 * ldc); Vector256.Store(c51, c + 5 * ldc + 8);
    }
}
