using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Kernels;

// Elementwise passes for autograd ops over flat [n] or row-major [rows, C] buffers: out = a + b, a∘b, s·a;
// dst += s·src, dst += a∘b; out[r,c] = a[r,c] + row[c]; dst[c] += Σ_r src[r,c]; and the row reductions Sum, Dot, Max.
// Vector bodies and scalar tails run the same IEEE operations (FMA where fused), so results do not depend on where a
// vector ends; reductions use a fixed order that depends only on n. Outputs may alias inputs exactly. Nothing saved.
/// <summary>Vectorized elementwise passes and deterministic row reductions.</summary>
public static unsafe class ElementwiseKernels
{
    private const long ColumnSumSerialElements = 1 << 16;

    /// <summary>output[i] = a[i] + b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float* output, float* a, float* b, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(a + i) + Vector512.Load(b + i), output + i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(a + i) + Vector256.Load(b + i), output + i);
        for (; i < n; i++) output[i] = a[i] + b[i];
    }

    /// <summary>output[i] = a[i]·b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Mul(float* output, float* a, float* b, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(a + i) * Vector512.Load(b + i), output + i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(a + i) * Vector256.Load(b + i), output + i);
        for (; i < n; i++) output[i] = a[i] * b[i];
    }

    /// <summary>output[i] = s·a[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(float* output, float* a, float s, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s);
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(a + i) * vs, output + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s);
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(a + i) * vs, output + i);
        }
        for (; i < n; i++) output[i] = a[i] * s;
    }

    /// <summary>dst[i] += s·src[i] (fused multiply-add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled(float* dst, float* src, float s, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s);
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(src + i), vs, Vector512.Load(dst + i)), dst + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s);
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(src + i), vs, Vector256.Load(dst + i)), dst + i);
        }
        for (; i < n; i++) dst[i] = MathF.FusedMultiplyAdd(src[i], s, dst[i]);
    }

    /// <summary>dst[i] += a[i]·b[i] (fused multiply-add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MulAccumulate(float* dst, float* a, float* b, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), Vector512.Load(dst + i)), dst + i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), Vector256.Load(dst + i)), dst + i);
        for (; i < n; i++) dst[i] = MathF.FusedMultiplyAdd(a[i], b[i], dst[i]);
    }

    /// <summary>output[r,c] = a[r,c] + row[c] for a row-major [rows, C] <paramref name="a"/> (output may equal a).</summary>
    public static void AddRowBroadcast(float* output, float* a, float* row, int rows, int C)
    {
        CheckShape(rows, C);
        for (int r = 0; r < rows; r++) Add(output + (long)r * C, a + (long)r * C, row, C);
    }

    /// <summary>
    /// dst[c] += Σ_r src[r,c] over a row-major [rows, C] <paramref name="src"/>. Each column is summed in row order from
    /// zero and then added to dst, so the result is bit-identical for any thread count (threads split the columns).
    /// </summary>
    public static void ColumnSum(float* dst, float* src, int rows, int C, WorkerPool? pool = null)
    {
        CheckShape(rows, C);
        if (rows == 0 || C == 0) return;
        var job = new ColumnSumJob { Dst = dst, Src = src, Rows = rows, C = C };
        int blocks = (C + 15) / 16;
        pool ??= WorkerPool.Shared;
        if (pool.Threads == 1 || (long)rows * C < ColumnSumSerialElements || blocks == 1)
        {
            job.Execute(0, blocks, 0);
            return;
        }
        pool.For(blocks, ref job);
    }

    private struct ColumnSumJob : IParallelJob
    {
        public float* Dst, Src;
        public int Rows, C;

        /// <summary>Sums the columns of 16-column blocks [begin, end).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int begin, int end, int thread)
        {
            int c = begin * 16, cEnd = Math.Min(C, end * 16);
            if (Vector512.IsHardwareAccelerated)
            {
                for (; c + 64 <= cEnd; c += 64)
                {
                    Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                    float* p = Src + c;
                    for (int r = 0; r < Rows; r++, p += C)
                    {
                        s0 += Vector512.Load(p);
                        s1 += Vector512.Load(p + 16);
                        s2 += Vector512.Load(p + 32);
                        s3 += Vector512.Load(p + 48);
                    }
                    Vector512.Store(Vector512.Load(Dst + c) + s0, Dst + c);
                    Vector512.Store(Vector512.Load(Dst + c + 16) + s1, Dst + c + 16);
                    Vector512.Store(Vector512.Load(Dst + c + 32) + s2, Dst + c + 32);
                    Vector512.Store(Vector512.Load(Dst + c + 48) + s3, Dst + c + 48);
                }
                for (; c + 16 <= cEnd; c += 16)
                {
                    Vector512<float> s0 = default;
                    float* p = Src + c;
                    for (int r = 0; r < Rows; r++, p += C) s0 += Vector512.Load(p);
                    Vector512.Store(Vector512.Load(Dst + c) + s0, Dst + c);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; c + 32 <= cEnd; c += 32)
                {
                    Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                    float* p = Src + c;
                    for (int r = 0; r < Rows; r++, p += C)
                    {
                        s0 += Vector256.Load(p);
                        s1 += Vector256.Load(p + 8);
                        s2 += Vector256.Load(p + 16);
                        s3 += Vector256.Load(p + 24);
                    }
                    Vector256.Store(Vector256.Load(Dst + c) + s0, Dst + c);
                    Vector256.Store(Vector256.Load(Dst + c + 8) + s1, Dst + c + 8);
                    Vector256.Store(Vector256.Load(Dst + c + 16) + s2, Dst + c + 16);
                    Vector256.Store(Vector256.Load(Dst + c + 24) + s3, Dst + c + 24);
                }
                for (; c + 8 <= cEnd; c += 8)
                {
                    Vector256<float> s0 = default;
                    float* p = Src + c;
                    for (int r = 0; r < Rows; r++, p += C) s0 += Vector256.Load(p);
                    Vector256.Store(Vector256.Load(Dst + c) + s0, Dst + c);
                }
            }
            for (; c < cEnd; c++)
            {
                float s = 0f;
                float* p = Src + c;
                for (int r = 0; r < Rows; r++, p += C) s += *p;
                Dst[c] += s;
            }
        }
    }

    // ------------------------------------------------------------ reductions (order depends only on n)

    /// <summary>Σ x[i], with four (vector or scalar) accumulators combined in a fixed order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Sum(float* x, int n)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 64 <= n; i += 64)
            {
                a0 += Vector512.Load(x + i);
                a1 += Vector512.Load(x + i + 16);
                a2 += Vector512.Load(x + i + 32);
                a3 += Vector512.Load(x + i + 48);
            }
            for (; i + 16 <= n; i += 16) a0 += Vector512.Load(x + i);
            s = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 32 <= n; i += 32)
            {
                a0 += Vector256.Load(x + i);
                a1 += Vector256.Load(x + i + 8);
                a2 += Vector256.Load(x + i + 16);
                a3 += Vector256.Load(x + i + 24);
            }
            for (; i + 8 <= n; i += 8) a0 += Vector256.Load(x + i);
            s = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        else if (n >= 4)
        {
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
            for (; i + 4 <= n; i += 4)
            {
                a0 += x[i];
                a1 += x[i + 1];
                a2 += x[i + 2];
                a3 += x[i + 3];
            }
            s = (a0 + a1) + (a2 + a3);
        }
        for (; i < n; i++) s += x[i];
        return s;
    }

    /// <summary>Σ a[i]·b[i], with four (vector or scalar) accumulators combined in a fixed order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(float* a, float* b, int n)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 64 <= n; i += 64)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 32), Vector512.Load(b + i + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 48), Vector512.Load(b + i + 48), a3);
            }
            for (; i + 16 <= n; i += 16) a0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), a0);
            s = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 32 <= n; i += 32)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 16), Vector256.Load(b + i + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 24), Vector256.Load(b + i + 24), a3);
            }
            for (; i + 8 <= n; i += 8) a0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), a0);
            s = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        else if (n >= 4)
        {
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
            for (; i + 4 <= n; i += 4)
            {
                a0 = MathF.FusedMultiplyAdd(a[i], b[i], a0);
                a1 = MathF.FusedMultiplyAdd(a[i + 1], b[i + 1], a1);
                a2 = MathF.FusedMultiplyAdd(a[i + 2], b[i + 2], a2);
                a3 = MathF.FusedMultiplyAdd(a[i + 3], b[i + 3], a3);
            }
            s = (a0 + a1) + (a2 + a3);
        }
        for (; i < n; i++) s = MathF.FusedMultiplyAdd(a[i], b[i], s);
        return s;
    }

    /// <summary>max x[i] (n ≥ 1); NaN if any element is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max(float* x, int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "max of an empty row");
        int i = 0;
        float m = float.NegativeInfinity;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var m0 = Vector512.Create(float.NegativeInfinity);
            var m1 = m0;
            for (; i + 32 <= n; i += 32)
            {
                m0 = Vector512.Max(m0, Vector512.Load(x + i));
                m1 = Vector512.Max(m1, Vector512.Load(x + i + 16));
            }
            for (; i + 16 <= n; i += 16) m0 = Vector512.Max(m0, Vector512.Load(x + i));
            m0 = Vector512.Max(m0, m1);
            var h = Vector256.Max(m0.GetLower(), m0.GetUpper());
            var q = Vector128.Max(h.GetLower(), h.GetUpper());
            for (int k = 0; k < 4; k++) m = MathF.Max(m, q.GetElement(k));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var m0 = Vector256.Create(float.NegativeInfinity);
            var m1 = m0;
            for (; i + 16 <= n; i += 16)
            {
                m0 = Vector256.Max(m0, Vector256.Load(x + i));
                m1 = Vector256.Max(m1, Vector256.Load(x + i + 8));
            }
            for (; i + 8 <= n; i += 8) m0 = Vector256.Max(m0, Vector256.Load(x + i));
            m0 = Vector256.Max(m0, m1);
            var q = Vector128.Max(m0.GetLower(), m0.GetUpper());
            for (int k = 0; k < 4; k++) m = MathF.Max(m, q.GetElement(k));
        }
        for (; i < n; i++) m = MathF.Max(m, x[i]);
        return m;
    }

    internal static void CheckShape(int rows, int C)
    {
        if (rows < 0 || C < 0) throw new ArgumentException($"negative shape [{rows}, {C}]");
    }
}
