using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace JepaSharp.Engine.Kernels.Gemm;

/// <summary>
/// Copies GEMM operands into micro-panel order. A block [mc x kc] becomes ceil(mc/MR) panels laid
/// out [kc][MR] (scaled by alpha); a B block [kc x nc] becomes ceil(nc/NR) panels laid out
/// [kc][NR]. Rows and columns past the edge are zero so edge tiles need no special kernel.
/// </summary>
internal static unsafe class Packing
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(bool transA, float* A, int lda, int i0, int mc, int k0, int kc, int mr, float alpha, float* dst)
    {
        for (int p = 0; p < mc; p += mr)
        {
            int rows = Math.Min(mr, mc - p);
            float* panel = dst + (long)p * kc;
            if (transA)
            {
                // op(A)[i,k] = A[k*lda + i]: the MR values of one k are contiguous.
                for (int k = 0; k < kc; k++)
                {
                    float* src = A + (long)(k0 + k) * lda + i0 + p;
                    float* d = panel + k * mr;
                    if (rows == 12 && mr == 12 && alpha == 1f)
                    {
                        Vector256.Store(Vector256.Load(src), d);
                        Vector128.Store(Vector128.Load(src + 8), d + 8);
                        continue;
                    }
                    int r = 0;
                    for (; r < rows; r++) d[r] = alpha * src[r];
                    for (; r < mr; r++) d[r] = 0f;
                }
            }
            else
            {
                // op(A)[i,k] = A[i*lda + k]: MR rows of 16 k values are transposed in registers.
                float* rowsStart = A + (long)(i0 + p) * lda + k0;
                int k = 0;
                if (Transpose16.IsSupported && mr <= 16 && alpha == 1f)
                    for (; k + 16 <= kc; k += 16) Transpose16.Run(rowsStart + k, lda, rows, panel + k * mr, mr);
                for (int r = 0; r < mr; r++)
                {
                    float* src = rowsStart + (long)r * lda;
                    float* d = panel + r;
                    if (r < rows) for (int kk = k; kk < kc; kk++) d[kk * mr] = alpha * src[kk];
                    else for (int kk = k; kk < kc; kk++) d[kk * mr] = 0f;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(bool transB, float* B, int ldb, int k0, int kc, int j0, int nc, int nr, float* dst)
    {
        for (int p = 0; p < nc; p += nr)
        {
            int cols = Math.Min(nr, nc - p);
            float* panel = dst + (long)p * kc;
            if (!transB)
            {
                // op(B)[k,j] = B[k*ldb + j]: NR contiguous values per k.
                for (int k = 0; k < kc; k++)
                {
                    float* src = B + (long)(k0 + k) * ldb + j0 + p;
                    float* d = panel + k * nr;
                    if (cols == nr && nr % Vector256<float>.Count == 0)
                    {
                        for (int j = 0; j < nr; j += Vector256<float>.Count)
                            Vector256.Store(Vector256.Load(src + j), d + j);
                    }
                    else
                    {
                        int j = 0;
                        for (; j < cols; j++) d[j] = src[j];
                        for (; j < nr; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                // op(B)[k,j] = B[j*ldb + k]: 16 source rows (output columns) at a time, transposed in registers.
                float* colsStart = B + (long)(j0 + p) * ldb + k0;
                int k = 0;
                if (Transpose16.IsSupported && nr % 16 == 0)
                    for (; k + 16 <= kc; k += 16)
                        for (int h = 0; h < nr; h += 16)
                            Transpose16.Run(colsStart + (long)h * ldb + k, ldb, Math.Max(0, Math.Min(16, cols - h)), panel + k * nr + h, nr);
                for (int j = 0; j < nr; j++)
                {
                    float* src = colsStart + (long)j * ldb;
                    float* d = panel + j;
                    if (j < cols) for (int kk = k; kk < kc; kk++) d[kk * nr] = src[kk];
                    else for (int kk = k; kk < kc; kk++) d[kk * nr] = 0f;
                }
            }
        }
    }
}
