using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace JepaSharp.Engine.Kernels.Gemm;

/// <summary>
/// In-register 16x16 float transpose for packing: reads up to 16 source rows of 16 contiguous
/// floats (missing rows read as zero) and writes column j as 16 contiguous floats at
/// dst + j*dstStride. Stores are full vectors in ascending j, so when dstStride &lt; 16 each store
/// spills past its row into the next one, which the next store (or a later pack) overwrites;
/// callers keep 16 floats of slack after their buffer.
/// </summary>
internal static unsafe class Transpose16
{
    public static bool IsSupported => Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* src, long srcStride, int rows, float* dst, int dstStride)
    {
        var r0 = Row(src, srcStride, rows, 0); var r1 = Row(src, srcStride, rows, 1);
        var r2 = Row(src, srcStride, rows, 2); var r3 = Row(src, srcStride, rows, 3);
        var r4 = Row(src, srcStride, rows, 4); var r5 = Row(src, srcStride, rows, 5);
        var r6 = Row(src, srcStride, rows, 6); var r7 = Row(src, srcStride, rows, 7);
        var r8 = Row(src, srcStride, rows, 8); var r9 = Row(src, srcStride, rows, 9);
        var r10 = Row(src, srcStride, rows, 10); var r11 = Row(src, srcStride, rows, 11);
        var r12 = Row(src, srcStride, rows, 12); var r13 = Row(src, srcStride, rows, 13);
        var r14 = Row(src, srcStride, rows, 14); var r15 = Row(src, srcStride, rows, 15);

        // Per 4-row group g, u[g,c] holds in 128-bit lane L the 4 rows' values of column 4L+c.
        Group(r0, r1, r2, r3, out var g00, out var g01, out var g02, out var g03);
        Group(r4, r5, r6, r7, out var g10, out var g11, out var g12, out var g13);
        Group(r8, r9, r10, r11, out var g20, out var g21, out var g22, out var g23);
        Group(r12, r13, r14, r15, out var g30, out var g31, out var g32, out var g33);

        Lanes(g00, g10, g20, g30, out var o0, out var o4, out var o8, out var o12);
        Lanes(g01, g11, g21, g31, out var o1, out var o5, out var o9, out var o13);
        Lanes(g02, g12, g22, g32, out var o2, out var o6, out var o10, out var o14);
        Lanes(g03, g13, g23, g33, out var o3, out var o7, out var o11, out var o15);

        // Ascending order matters: each store may spill into the next column's slot.
        Vector512.Store(o0, dst); Vector512.Store(o1, dst + dstStride);
        Vector512.Store(o2, dst + 2 * dstStride); Vector512.Store(o3, dst + 3 * dstStride);
        Vector512.Store(o4, dst + 4 * dstStride); Vector512.Store(o5, dst + 5 * dstStride);
        Vector512.Store(o6, dst + 6 * dstStride); Vector512.Store(o7, dst + 7 * dstStride);
        Vector512.Store(o8, dst + 8 * dstStride); Vector512.Store(o9, dst + 9 * dstStride);
        Vector512.Store(o10, dst + 10 * dstStride); Vector512.Store(o11, dst + 11 * dstStride);
        Vector512.Store(o12, dst + 12 * dstStride); Vector512.Store(o13, dst + 13 * dstStride);
        Vector512.Store(o14, dst + 14 * dstStride); Vector512.Store(o15, dst + 15 * dstStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* src, long stride, int rows, int r)
        => r < rows ? Vector512.Load(src + r * stride) : Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Group(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> u0, out Vector512<float> u1, out Vector512<float> u2, out Vector512<float> u3)
    {
        var t0 = Avx512F.UnpackLow(a, b).AsDouble();
        var t1 = Avx512F.UnpackHigh(a, b).AsDouble();
        var t2 = Avx512F.UnpackLow(c, d).AsDouble();
        var t3 = Avx512F.UnpackHigh(c, d).AsDouble();
        u0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        u1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        u2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        u3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
    }

    // Gathers lane L of the four groups' vectors for one column c into the output for column 4L+c.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3,
        out Vector512<float> lane0, out Vector512<float> lane1, out Vector512<float> lane2, out Vector512<float> lane3)
    {
        var a0 = Avx512F.Shuffle4x128(g0, g1, 0x44);
        var a1 = Avx512F.Shuffle4x128(g0, g1, 0xEE);
        var b0 = Avx512F.Shuffle4x128(g2, g3, 0x44);
        var b1 = Avx512F.Shuffle4x128(g2, g3, 0xEE);
        lane0 = Avx512F.Shuffle4x128(a0, b0, 0x88);
        lane1 = Avx512F.Shuffle4x128(a0, b0, 0xDD);
        lane2 = Avx512F.Shuffle4x128(a1, b1, 0x88);
        lane3 = Avx512F.Shuffle4x128(a1, b1, 0xDD);
    }
}
