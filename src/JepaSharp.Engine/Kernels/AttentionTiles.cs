using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace JepaSharp.Engine.Kernels;

// Small unpacked matrix products for one attention head, 64 (or a last 32) output columns at a time:
//   C[r, j..j+64) (+)= alpha · Σ_{k<kc} A(r, k) · B[k·ldb + j..j+64),   A(r, k) = a[r·ars + k·aks]
// (aks = 1 reads A row-major, ars = 1 reads it transposed), for head_dim 32 or 64 and sequences
// padded to multiples of 64. Four rows share each B load: 16 zmm accumulators, 4 loads, 4
// broadcasts and 16 FMAs per k (8 and 8 on a 32-column strip). No packing: at T ≈ 50 the generic
// GEMM's packing and edge tiles cost more than the arithmetic.
internal static unsafe class AttentionTiles
{
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <summary>C[rows, columns] for all rows (columns a multiple of 32), tiling by four rows then single rows.</summary>
    public static void Product(int rows, int columns, int kc, float* a, long ars, long aks, float* b, long ldb, float* c, long ldc, float alpha, bool accumulate)
    {
        int j = 0;
        for (; j + 64 <= columns; j += 64)
        {
            float* bc = b + j, cc = c + j;
            int r = 0;
            for (; r + 4 <= rows; r += 4) Tile4(kc, a + r * ars, ars, aks, bc, ldb, cc + r * ldc, ldc, alpha, accumulate);
            for (; r < rows; r++) Tile1(kc, a + r * ars, aks, bc, ldb, cc + r * ldc, alpha, accumulate);
        }
        if (j == columns) return;
        if (columns - j != 32) throw new ArgumentException($"attention tiles: {columns} columns is not a multiple of 32");
        float* bn = b + j, cn = c + j;
        int rn = 0;
        for (; rn + 4 <= rows; rn += 4) Tile4Narrow(kc, a + rn * ars, ars, aks, bn, ldb, cn + rn * ldc, ldc, alpha, accumulate);
        for (; rn < rows; rn++) Tile1Narrow(kc, a + rn * ars, aks, bn, ldb, cn + rn * ldc, alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4Narrow(int kc, float* a, long ars, long aks, float* b, long ldb, float* c, long ldc, float alpha, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        float* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
        for (int k = 0; k < kc; k++, b += ldb)
        {
            long o = k * aks;
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a0[o]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[o]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[o]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[o]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
        }
        Store(c, c00, c01, alpha, accumulate);
        Store(c + ldc, c10, c11, alpha, accumulate);
        Store(c + 2 * ldc, c20, c21, alpha, accumulate);
        Store(c + 3 * ldc, c30, c31, alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1Narrow(int kc, float* a, long aks, float* b, long ldb, float* c, float alpha, bool accumulate)
    {
        Vector512<float> c0 = default, c1 = default;
        for (int k = 0; k < kc; k++, b += ldb)
        {
            var x = Vector512.Create(a[k * aks]);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 16), c1);
        }
        Store(c, c0, c1, alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4(int kc, float* a, long ars, long aks, float* b, long ldb, float* c, long ldc, float alpha, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        float* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
        for (int k = 0; k < kc; k++, b += ldb)
        {
            long o = k * aks;
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 16); var b2 = Vector512.Load(b + 32); var b3 = Vector512.Load(b + 48);
            var x = Vector512.Create(a0[o]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01); c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(a1[o]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11); c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(a2[o]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21); c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(a3[o]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31); c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
        }
        Store(c, c00, c01, c02, c03, alpha, accumulate);
        Store(c + ldc, c10, c11, c12, c13, alpha, accumulate);
        Store(c + 2 * ldc, c20, c21, c22, c23, alpha, accumulate);
        Store(c + 3 * ldc, c30, c31, c32, c33, alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1(int kc, float* a, long aks, float* b, long ldb, float* c, float alpha, bool accumulate)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int k = 0; k < kc; k++, b += ldb)
        {
            var x = Vector512.Create(a[k * aks]);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 16), c1);
            c2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 32), c2);
            c3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 48), c3);
        }
        Store(c, c0, c1, c2, c3, alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, float alpha, bool accumulate)
    {
        Store(c, v0, v1, alpha, accumulate);
        Store(c + 32, v2, v3, alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, float alpha, bool accumulate)
    {
        var s = Vector512.Create(alpha);
        if (accumulate)
        {
            Vector512.Store(Vector512.FusedMultiplyAdd(v0, s, Vector512.Load(c)), c);
            Vector512.Store(Vector512.FusedMultiplyAdd(v1, s, Vector512.Load(c + 16)), c + 16);
            return;
        }
        Vector512.Store(v0 * s, c);
        Vector512.Store(v1 * s, c + 16);
    }

    /// <summary>
    /// dst[d·ldd + j] = src[j·lds + d] for j &lt; rows, d &lt; dims; columns rows..ldd of dst are zero. 16×16 blocks are
    /// transposed in registers (dims and ldd multiples of 16), anything else element by element.
    /// </summary>
    public static void TransposeRows(float* src, long lds, int rows, int dims, float* dst, int ldd)
    {
        if (Gemm.Transpose16.IsSupported && dims % 16 == 0 && ldd % 16 == 0)
        {
            for (int j = 0; j < ldd; j += 16)
                for (int d = 0; d < dims; d += 16)
                    Gemm.Transpose16.Run(src + j * lds + d, lds, Math.Clamp(rows - j, 0, 16), dst + d * ldd + j, ldd);
            return;
        }
        for (int d = 0; d < dims; d++)
        {
            float* row = dst + d * ldd;
            for (int j = 0; j < rows; j++) row[j] = src[j * lds + d];
            for (int j = rows; j < ldd; j++) row[j] = 0f;
        }
    }
}
