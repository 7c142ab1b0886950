using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Kernels;

// Row softmax over the last dim of a row-major [rows, C]: y[r,c] = e^(x[r,c] − m_r) / Σ_c' e^(x[r,c'] − m_r), m_r = max_c x[r,c].
// Backward: dx[r,c] += y[r,c]·(dy[r,c] − Σ_c' y[r,c']·dy[r,c']) (accumulates; callers pre-zero).
// Saved for backward: the output y itself (no statistics). Rows run in parallel; each row is computed the same way
// whatever the thread count, so results are bit-identical for any pool. A row of all −inf (or with a NaN) gives NaN.
/// <summary>Numerically stable row softmax and its backward.</summary>
public static unsafe class SoftmaxKernels
{
    private const long SerialElements = 1 << 14;

    /// <summary>output[r,:] = softmax(input[r,:]) for a row-major [rows, C]; output may equal input (in place).</summary>
    public static void Forward(float* output, float* input, int rows, int C, WorkerPool? pool = null)
    {
        ElementwiseKernels.CheckShape(rows, C);
        if (rows == 0 || C == 0) return;
        var job = new ForwardJob { Output = output, Input = input, C = C };
        Run(ref job, rows, C, pool);
    }

    /// <summary>dinput[r,:] += y∘(dy − Σ y·dy) for a row-major [rows, C], y = the forward output.</summary>
    public static void Backward(float* dinput, float* output, float* doutput, int rows, int C, WorkerPool? pool = null)
    {
        ElementwiseKernels.CheckShape(rows, C);
        if (rows == 0 || C == 0) return;
        var job = new BackwardJob { DInput = dinput, Output = output, DOutput = doutput, C = C };
        Run(ref job, rows, C, pool);
    }

    private static void Run<TJob>(ref TJob job, int rows, int C, WorkerPool? pool) where TJob : unmanaged, IParallelJob
    {
        pool ??= WorkerPool.Shared;
        if (pool.Threads == 1 || rows == 1 || (long)rows * C < SerialElements) job.Execute(0, rows, 0);
        else pool.For(rows, ref job);
    }

    private struct ForwardJob : IParallelJob
    {
        public float* Output, Input;
        public int C;

        public void Execute(int begin, int end, int thread)
        {
            for (int r = begin; r < end; r++)
            {
                float* src = Input + (long)r * C, dst = Output + (long)r * C;
                if (src != dst) Buffer.MemoryCopy(src, dst, (long)C * sizeof(float), (long)C * sizeof(float));
                SoftmaxRow(dst, C);
            }
        }
    }

    /// <summary>Softmax of one row of <paramref name="C"/> floats, in place (no threading: for use inside a job).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxRow(float* row, int C)
    {
        if (C <= 0) return;
        float max = ElementwiseKernels.Max(row, C);
        float sum = ExpShiftedInPlace(row, C, max);
        ElementwiseKernels.Scale(row, row, 1f / sum, C);
    }

    /// <summary>
    /// Softmax of the first <paramref name="valid"/> floats of each of <paramref name="count"/> rows (row stride
    /// <paramref name="ld"/>) padded to <paramref name="padded"/> (a multiple of 16, Vector512 only), in place; the
    /// padding is written as 0. Every column is vector work: lanes past <paramref name="valid"/> are masked out of the
    /// max and the sum instead of running scalar tails. Rows go four at a time: a row's max, exp and sum form one long
    /// dependency chain, and four independent chains keep the core busy. Each row's result does not depend on the others.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxRowsPadded(float* rows, int count, long ld, int valid, int padded)
    {
        int r = 0;
        for (; r + 4 <= count; r += 4) SoftmaxFourRowsPadded(rows + r * ld, ld, valid, padded);
        for (; r < count; r++) SoftmaxRowPadded(rows + r * ld, valid, padded);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxRowPadded(float* row, int valid, int padded)
    {
        var limit = Vector512.Create((float)valid);
        var max = Vector512.Create(float.NegativeInfinity);
        for (int c = 0; c < padded; c += 16) max = Vector512.Max(max, MaskedLoad(row, c, limit, float.NegativeInfinity));
        var shift = AllLanesMax(max);
        var sum = Vector512<float>.Zero;
        for (int c = 0; c < padded; c += 16) sum += StoreShiftedExp(row, c, limit, shift);
        var scale = Vector512.Create(1f / Vector512.Sum(sum));
        for (int c = 0; c < padded; c += 16) Vector512.Store(Vector512.Load(row + c) * scale, row + c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxFourRowsPadded(float* r0, long ld, int valid, int padded)
    {
        float* r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
        var limit = Vector512.Create((float)valid);
        Vector512<float> m0 = Vector512.Create(float.NegativeInfinity), m1 = m0, m2 = m0, m3 = m0;
        for (int c = 0; c < padded; c += 16)
        {
            m0 = Vector512.Max(m0, MaskedLoad(r0, c, limit, float.NegativeInfinity));
            m1 = Vector512.Max(m1, MaskedLoad(r1, c, limit, float.NegativeInfinity));
            m2 = Vector512.Max(m2, MaskedLoad(r2, c, limit, float.NegativeInfinity));
            m3 = Vector512.Max(m3, MaskedLoad(r3, c, limit, float.NegativeInfinity));
        }
        m0 = AllLanesMax(m0);
        m1 = AllLanesMax(m1);
        m2 = AllLanesMax(m2);
        m3 = AllLanesMax(m3);
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int c = 0; c < padded; c += 16)
        {
            s0 += StoreShiftedExp(r0, c, limit, m0);
            s1 += StoreShiftedExp(r1, c, limit, m1);
            s2 += StoreShiftedExp(r2, c, limit, m2);
            s3 += StoreShiftedExp(r3, c, limit, m3);
        }
        var k0 = Vector512.Create(1f / Vector512.Sum(s0));
        var k1 = Vector512.Create(1f / Vector512.Sum(s1));
        var k2 = Vector512.Create(1f / Vector512.Sum(s2));
        var k3 = Vector512.Create(1f / Vector512.Sum(s3));
        for (int c = 0; c < padded; c += 16)
        {
            Vector512.Store(Vector512.Load(r0 + c) * k0, r0 + c);
            Vector512.Store(Vector512.Load(r1 + c) * k1, r1 + c);
            Vector512.Store(Vector512.Load(r2 + c) * k2, r2 + c);
            Vector512.Store(Vector512.Load(r3 + c) * k3, r3 + c);
        }
    }

    /// <summary>row[c..c+16), with <paramref name="outside"/> in the lanes at or past <paramref name="limit"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> MaskedLoad(float* row, int c, Vector512<float> limit, float outside)
    {
        var lane = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + Vector512.Create((float)c);
        return Vector512.ConditionalSelect(Vector512.LessThan(lane, limit), Vector512.Load(row + c), Vector512.Create(outside));
    }

    /// <summary>Stores e^(row − shift) over row[c..c+16), 0 in the lanes at or past <paramref name="limit"/>, and returns it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> StoreShiftedExp(float* row, int c, Vector512<float> limit, Vector512<float> shift)
    {
        var lane = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + Vector512.Create((float)c);
        var e = Vector512.ConditionalSelect(Vector512.LessThan(lane, limit), FastMath.Exp(Vector512.Load(row + c) - shift), Vector512<float>.Zero);
        Vector512.Store(e, row + c);
        return e;
    }

    /// <summary>The maximum of the lanes of <paramref name="v"/>, in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> AllLanesMax(Vector512<float> v)
    {
        v = Vector512.Max(v, Vector512.Shuffle(v, Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
        v = Vector512.Max(v, Vector512.Shuffle(v, Vector512.Create(4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11)));
        v = Vector512.Max(v, Vector512.Shuffle(v, Vector512.Create(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)));
        return Vector512.Max(v, Vector512.Shuffle(v, Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14)));
    }

    /// <summary>row[c] = e^(row[c] − shift); returns Σ row[c] (four vector accumulators, fixed order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float ExpShiftedInPlace(float* row, int C, float shift)
    {
        int c = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && C >= 16)
        {
            var m = Vector512.Create(shift);
            Vector512<float> s0 = default, s1 = default;
            for (; c + 32 <= C; c += 32)
            {
                var e0 = FastMath.Exp(Vector512.Load(row + c) - m);
                var e1 = FastMath.Exp(Vector512.Load(row + c + 16) - m);
                Vector512.Store(e0, row + c);
                Vector512.Store(e1, row + c + 16);
                s0 += e0;
                s1 += e1;
            }
            for (; c + 16 <= C; c += 16)
            {
                var e0 = FastMath.Exp(Vector512.Load(row + c) - m);
                Vector512.Store(e0, row + c);
                s0 += e0;
            }
            sum = Vector512.Sum(s0 + s1);
        }
        else if (Vector256.IsHardwareAccelerated && C >= 8)
        {
            var m = Vector256.Create(shift);
            Vector256<float> s0 = default, s1 = default;
            for (; c + 16 <= C; c += 16)
            {
                var e0 = FastMath.Exp(Vector256.Load(row + c) - m);
                var e1 = FastMath.Exp(Vector256.Load(row + c + 8) - m);
                Vector256.Store(e0, row + c);
                Vector256.Store(e1, row + c + 8);
                s0 += e0;
                s1 += e1;
            }
            for (; c + 8 <= C; c += 8)
            {
                var e0 = FastMath.Exp(Vector256.Load(row + c) - m);
                Vector256.Store(e0, row + c);
                s0 += e0;
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; c < C; c++)
        {
            float e = FastMath.Exp(row[c] - shift);
            row[c] = e;
            sum += e;
        }
        return sum;
    }

    private struct BackwardJob : IParallelJob
    {
        public float* DInput, Output, DOutput;
        public int C;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int begin, int end, int thread)
        {
            for (int r = begin; r < end; r++)
            {
                float* y = Output + (long)r * C, dy = DOutput + (long)r * C, dx = DInput + (long)r * C;
                float dot = ElementwiseKernels.Dot(y, dy, C);
                int c = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    var d = Vector512.Create(dot);
                    for (; c + 16 <= C; c += 16)
                        Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(y + c), Vector512.Load(dy + c) - d, Vector512.Load(dx + c)), dx + c);
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    var d = Vector256.Create(dot);
                    for (; c + 8 <= C; c += 8)
                        Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(y + c), Vector256.Load(dy + c) - d, Vector256.Load(dx + c)), dx + c);
                }
                for (; c < C; c++) dx[c] = MathF.FusedMultiplyAdd(y[c], dy[c] - dot, dx[c]);
            }
        }
    }
}
