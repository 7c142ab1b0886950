using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Kernels;

// LayerNorm over the last dim of a row-major [rows, C]: μ = mean(x), σ² = mean((x − μ)²) (biased), rstd = 1/√(σ² + eps),
// y = (x − μ)·rstd·γ + β (γ, β [C], optional). Saved for backward: mean and rstd [rows] (and the input x).
// Backward (accumulates): with x̂ = (x − μ)·rstd, g = γ∘dy: dx += rstd·(g − mean(g) − x̂·mean(g∘x̂)); dγ += Σ_rows dy∘x̂;
// dβ += Σ_rows dy. Rows run in parallel (bit-identical for any thread count); dγ/dβ are summed per part into
// per-thread partials, then added in part order, so they are deterministic for a fixed thread count.
/// <summary>LayerNorm forward and backward (llm.c layout).</summary>
public static unsafe class LayerNormKernels
{
    private const long SerialElements = 1 << 14;

    [ThreadStatic] private static float* _partials;
    [ThreadStatic] private static long _partialsCapacity;

    /// <summary>
    /// output[r,:] = LayerNorm(input[r,:]); <paramref name="weight"/>/<paramref name="bias"/> may be null (no affine
    /// part); <paramref name="mean"/>/<paramref name="rstd"/> [rows] receive the statistics and may be null (inference).
    /// </summary>
    public static void Forward(float* output, float* mean, float* rstd, float* input, float* weight, float* bias,
        int rows, int C, float eps, WorkerPool? pool = null)
    {
        ElementwiseKernels.CheckShape(rows, C);
        if (rows == 0) return;
        if (C == 0) throw new ArgumentException("LayerNorm over an empty last dimension");
        var job = new ForwardJob { Output = output, Mean = mean, Rstd = rstd, Input = input, Weight = weight, Bias = bias, C = C, Eps = eps };
        pool ??= WorkerPool.Shared;
        if (pool.Threads == 1 || rows == 1 || (long)rows * C < SerialElements) job.Execute(0, rows, 0);
        else pool.For(rows, ref job);
    }

    /// <summary>
    /// output[r,:] = (input[r,:] − mean[r])·rstd[r]·γ + β from saved statistics: the forward's output again,
    /// bit for bit, for ops that recompute the normalised rows in backward instead of keeping them.
    /// </summary>
    public static void Apply(float* output, float* input, float* weight, float* bias, float* mean, float* rstd,
        int rows, int C, WorkerPool? pool = null)
    {
        ElementwiseKernels.CheckShape(rows, C);
        if (rows == 0) return;
        var job = new ApplyJob { Output = output, Input = input, Weight = weight, Bias = bias, Mean = mean, Rstd = rstd, C = C };
        pool ??= WorkerPool.Shared;
        if (pool.Threads == 1 || rows == 1 || (long)rows * C < SerialElements) job.Execute(0, rows, 0);
        else pool.For(rows, ref job);
    }

    /// <summary>
    /// Accumulates the LayerNorm gradients: <paramref name="dinput"/> [rows, C], <paramref name="dweight"/> and
    /// <paramref name="dbias"/> [C]; each may be null when not needed. <paramref name="weight"/> null means γ = 1.
    /// </summary>
    public static void Backward(float* dinput, float* dweight, float* dbias, float* doutput, float* input, float* weight,
        float* mean, float* rstd, int rows, int C, WorkerPool? pool = null)
    {
        ElementwiseKernels.CheckShape(rows, C);
        if (rows == 0 || C == 0) return;
        if (dinput == null && dweight == null && dbias == null) return;
        pool ??= WorkerPool.Shared;
        bool reduce = dweight != null || dbias != null;
        int parts = pool.Threads == 1 || (long)rows * C < SerialElements ? 1 : Math.Min(pool.Threads, rows);
        int stride = (C + 15) & ~15; // each part's dγ and dβ partials start on a 64-byte boundary
        float* partials = null;
        if (reduce)
        {
            long need = 2L * stride * parts;
            if (_partialsCapacity < need)
            {
                if (_partials != null) NativeMemory.AlignedFree(_partials);
                _partials = (float*)NativeMemory.AlignedAlloc((nuint)need * sizeof(float), 64);
                _partialsCapacity = need;
            }
            partials = _partials;
        }
        var job = new BackwardJob
        {
            DInput = dinput, DOutput = doutput, Input = input, Weight = weight, Mean = mean, Rstd = rstd,
            Partials = partials, HasDWeight = dweight != null, HasDBias = dbias != null,
            Rows = rows, C = C, Stride = stride, Parts = parts,
        };
        if (parts == 1) job.Execute(0, 1, 0);
        else pool.For(parts, ref job);
        if (!reduce) return;
        if (dweight != null) AddPartials(dweight, partials, parts, 2L * stride, C);
        if (dbias != null) AddPartials(dbias, partials + stride, parts, 2L * stride, C);
    }

    /// <summary>dst[c] += ((p0[c] + p1[c]) + p2[c]) + … over the parts, in part order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddPartials(float* dst, float* partials, int parts, long partStride, int C)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c + 16 <= C; c += 16)
            {
                var s = Vector512.Load(partials + c);
                for (int p = 1; p < parts; p++) s += Vector512.Load(partials + p * partStride + c);
                Vector512.Store(Vector512.Load(dst + c) + s, dst + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= C; c += 8)
            {
                var s = Vector256.Load(partials + c);
                for (int p = 1; p < parts; p++) s += Vector256.Load(partials + p * partStride + c);
                Vector256.Store(Vector256.Load(dst + c) + s, dst + c);
            }
        }
        for (; c < C; c++)
        {
            float s = partials[c];
            for (int p = 1; p < parts; p++) s += partials[p * partStride + c];
            dst[c] += s;
        }
    }

    private struct ForwardJob : IParallelJob
    {
        public float* Output, Mean, Rstd, Input, Weight, Bias;
        public int C;
        public float Eps;

        public void Execute(int begin, int end, int thread)
            => ForwardRows(Output + (long)begin * C, C, Mean, Rstd, Input, C, Weight, Bias, begin, end, C, Eps);
    }

    /// <summary>
    /// The forward of rows [r0, r1): row r is read at input + r·ldInput and written at output + (r − r0)·ldOutput;
    /// mean[r] and rstd[r] receive its statistics when not null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardRows(float* output, long ldOutput, float* mean, float* rstd, float* input, long ldInput, float* weight, float* bias,
        int r0, int r1, int C, float eps)
    {
        for (int r = r0; r < r1; r++)
        {
            float* x = input + r * ldInput, y = output + (r - r0) * ldOutput;
            float m = ElementwiseKernels.Sum(x, C) / C;
            float v = SumSquaredDeviation(x, m, C) / C;
            float s = 1f / MathF.Sqrt(v + eps);
            if (mean != null) mean[r] = m;
            if (rstd != null) rstd[r] = s;
            Normalize(y, x, m, s, weight, bias, C);
        }
    }

    private struct ApplyJob : IParallelJob
    {
        public float* Output, Input, Weight, Bias, Mean, Rstd;
        public int C;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int begin, int end, int thread)
        {
            for (int r = begin; r < end; r++)
                Normalize(Output + (long)r * C, Input + (long)r * C, Mean[r], Rstd[r], Weight, Bias, C);
        }
    }

    /// <summary>Σ (x[i] − m)², four vector accumulators in a fixed order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float SumSquaredDeviation(float* x, float m, int n)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vm = Vector512.Create(m);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 64 <= n; i += 64)
            {
                var d0 = Vector512.Load(x + i) - vm; a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                var d1 = Vector512.Load(x + i + 16) - vm; a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
                var d2 = Vector512.Load(x + i + 32) - vm; a2 = Vector512.FusedMultiplyAdd(d2, d2, a2);
                var d3 = Vector512.Load(x + i + 48) - vm; a3 = Vector512.FusedMultiplyAdd(d3, d3, a3);
            }
            for (; i + 16 <= n; i += 16)
            {
                var d0 = Vector512.Load(x + i) - vm; a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
            }
            s = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var vm = Vector256.Create(m);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 32 <= n; i += 32)
            {
                var d0 = Vector256.Load(x + i) - vm; a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
                var d1 = Vector256.Load(x + i + 8) - vm; a1 = Vector256.FusedMultiplyAdd(d1, d1, a1);
                var d2 = Vector256.Load(x + i + 16) - vm; a2 = Vector256.FusedMultiplyAdd(d2, d2, a2);
                var d3 = Vector256.Load(x + i + 24) - vm; a3 = Vector256.FusedMultiplyAdd(d3, d3, a3);
            }
            for (; i + 8 <= n; i += 8)
            {
                var d0 = Vector256.Load(x + i) - vm; a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
            }
            s = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++)
        {
            float d = x[i] - m;
            s = MathF.FusedMultiplyAdd(d, d, s);
        }
        return s;
    }

    /// <summary>y = (x − m)·s·γ + β, with γ = 1 / β = 0 where null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Normalize(float* y, float* x, float m, float s, float* w, float* b, int C)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m);
            var vs = Vector512.Create(s);
            for (; c + 16 <= C; c += 16)
            {
                var n = (Vector512.Load(x + c) - vm) * vs;
                if (w != null) n *= Vector512.Load(w + c);
                if (b != null) n += Vector512.Load(b + c);
                Vector512.Store(n, y + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var vs = Vector256.Create(s);
            for (; c + 8 <= C; c += 8)
            {
                var n = (Vector256.Load(x + c) - vm) * vs;
                if (w != null) n *= Vector256.Load(w + c);
                if (b != null) n += Vector256.Load(b + c);
                Vector256.Store(n, y + c);
            }
        }
        for (; c < C; c++)
        {
            float n = (x[c] - m) * s;
            if (w != null) n *= w[c];
            if (b != null) n += b[c];
            y[c] = n;
        }
    }

    private struct BackwardJob : IParallelJob
    {
        public float* DInput, DOutput, Input, Weight, Mean, Rstd, Partials;
        public bool HasDWeight, HasDBias;
        public int Rows, C, Stride, Parts;

        public void Execute(int begin, int end, int thread)
        {
            for (int part = begin; part < end; part++)
            {
                var (r0, r1) = WorkerPool.Slice(Rows, part, Parts);
                float* pw = null, pb = null;
                if (Partials != null)
                {
                    float* p = Partials + 2L * Stride * part;
                    new Span<float>(p, 2 * Stride).Clear();
                    if (HasDWeight) pw = p;
                    if (HasDBias) pb = p + Stride;
                }
                for (int r = r0; r < r1; r++)
                {
                    long o = (long)r * C;
                    BackwardRow(DInput == null ? null : DInput + o, pw, pb, DOutput + o, Input + o, Weight, Mean[r], Rstd[r], C);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow(float* dx, float* pw, float* pb, float* dy, float* x, float* w, float m, float s, int C)
    {
        // Pass 1: mean(g) and mean(g∘x̂), g = γ∘dy (only dx needs them).
        float mg = 0f, mgx = 0f;
        if (dx != null)
        {
            float sg = 0f, sgx = 0f;
            int i = 0;
            if (Vector512.IsHardwareAccelerated && C >= 16)
            {
                var vm = Vector512.Create(m);
                var vs = Vector512.Create(s);
                Vector512<float> ag0 = default, ag1 = default, agx0 = default, agx1 = default;
                for (; i + 32 <= C; i += 32)
                {
                    var g0 = Vector512.Load(dy + i);
                    var g1 = Vector512.Load(dy + i + 16);
                    if (w != null) { g0 *= Vector512.Load(w + i); g1 *= Vector512.Load(w + i + 16); }
                    ag0 += g0;
                    ag1 += g1;
                    agx0 = Vector512.FusedMultiplyAdd(g0, (Vector512.Load(x + i) - vm) * vs, agx0);
                    agx1 = Vector512.FusedMultiplyAdd(g1, (Vector512.Load(x + i + 16) - vm) * vs, agx1);
                }
                for (; i + 16 <= C; i += 16)
                {
                    var g0 = Vector512.Load(dy + i);
                    if (w != null) g0 *= Vector512.Load(w + i);
                    ag0 += g0;
                    agx0 = Vector512.FusedMultiplyAdd(g0, (Vector512.Load(x + i) - vm) * vs, agx0);
                }
                sg = Vector512.Sum(ag0 + ag1);
                sgx = Vector512.Sum(agx0 + agx1);
            }
            else if (Vector256.IsHardwareAccelerated && C >= 8)
            {
                var vm = Vector256.Create(m);
                var vs = Vector256.Create(s);
                Vector256<float> ag0 = default, ag1 = default, agx0 = default, agx1 = default;
                for (; i + 16 <= C; i += 16)
                {
                    var g0 = Vector256.Load(dy + i);
                    var g1 = Vector256.Load(dy + i + 8);
                    if (w != null) { g0 *= Vector256.Load(w + i); g1 *= Vector256.Load(w + i + 8); }
                    ag0 += g0;
                    ag1 += g1;
                    agx0 = Vector256.FusedMultiplyAdd(g0, (Vector256.Load(x + i) - vm) * vs, agx0);
                    agx1 = Vector256.FusedMultiplyAdd(g1, (Vector256.Load(x + i + 8) - vm) * vs, agx1);
                }
                for (; i + 8 <= C; i += 8)
                {
                    var g0 = Vector256.Load(dy + i);
                    if (w != null) g0 *= Vector256.Load(w + i);
                    ag0 += g0;
                    agx0 = Vector256.FusedMultiplyAdd(g0, (Vector256.Load(x + i) - vm) * vs, agx0);
                }
                sg = Vector256.Sum(ag0 + ag1);
                sgx = Vector256.Sum(agx0 + agx1);
            }
            for (; i < C; i++)
            {
                float g = w != null ? dy[i] * w[i] : dy[i];
                sg += g;
                sgx = MathF.FusedMultiplyAdd(g, (x[i] - m) * s, sgx);
            }
            mg = sg / C;
            mgx = sgx / C;
        }

        // Pass 2: dx += rstd·(g − mean(g) − x̂·mean(g∘x̂)); dγ partial += dy∘x̂; dβ partial += dy.
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m);
            var vs = Vector512.Create(s);
            var vmg = Vector512.Create(mg);
            var vmgx = Vector512.Create(-mgx);
            for (; c + 16 <= C; c += 16)
            {
                var d = Vector512.Load(dy + c);
                var xh = (Vector512.Load(x + c) - vm) * vs;
                if (dx != null)
                {
                    var g = w != null ? d * Vector512.Load(w + c) : d;
                    var t = Vector512.FusedMultiplyAdd(xh, vmgx, g - vmg);
                    Vector512.Store(Vector512.FusedMultiplyAdd(t, vs, Vector512.Load(dx + c)), dx + c);
                }
                if (pw != null) Vector512.Store(Vector512.FusedMultiplyAdd(d, xh, Vector512.Load(pw + c)), pw + c);
                if (pb != null) Vector512.Store(Vector512.Load(pb + c) + d, pb + c);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var vs = Vector256.Create(s);
            var vmg = Vector256.Create(mg);
            var vmgx = Vector256.Create(-mgx);
            for (; c + 8 <= C; c += 8)
            {
                var d = Vector256.Load(dy + c);
                var xh = (Vector256.Load(x + c) - vm) * vs;
                if (dx != null)
                {
                    var g = w != null ? d * Vector256.Load(w + c) : d;
                    var t = Vector256.FusedMultiplyAdd(xh, vmgx, g - vmg);
                    Vector256.Store(Vector256.FusedMultiplyAdd(t, vs, Vector256.Load(dx + c)), dx + c);
                }
                if (pw != null) Vector256.Store(Vector256.FusedMultiplyAdd(d, xh, Vector256.Load(pw + c)), pw + c);
                if (pb != null) Vector256.Store(Vector256.Load(pb + c) + d, pb + c);
            }
        }
        for (; c < C; c++)
        {
            float d = dy[c];
            float xh = (x[c] - m) * s;
            if (dx != null)
            {
                float g = w != null ? d * w[c] : d;
                float t = MathF.FusedMultiplyAdd(xh, -mgx, g - mg);
                dx[c] = MathF.FusedMultiplyAdd(t, s, dx[c]);
            }
            if (pw != null) pw[c] = MathF.FusedMultiplyAdd(d, xh, pw[c]);
            if (pb != null) pb[c] += d;
        }
    }
}
