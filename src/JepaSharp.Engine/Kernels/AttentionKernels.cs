using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Kernels;

// Multi-head self-attention core on the packed qkv projection (timm / I-JEPA layout):
//   qkv [B, T, 3, H, Dh] (= the qkv Linear's [B·T, 3C], C = H·Dh)  →  out [B, T, H, Dh] (= [B·T, C])
//   per (b, h): S = scale·Q·Kᵀ [T, T];  P = softmax_rows(S);  O = P·V.   Saved for backward: P [B, H, T, T].
// Backward per (b, h): dV = Pᵀ·dO;  dP = dO·Vᵀ;  dS = P∘(dP − rowsum(dP∘P));  dQ = scale·dS·K;  dK = scale·dSᵀ·Q.
// Q, K, V and O are addressed in place with row strides 3C and C, so no permute copies are made. dqkv may be qkv
// itself: each (b, h) reads only its own Q, K, V, and writes dV after its last read of V and dK, dQ from a copy of K.
public static unsafe class AttentionKernels
{
    private const int TileMaxTokens = 256;

    /// <summary>Whether the unpacked small-tile path runs (head_dim 32 or 64, up to 256 tokens, AVX-512); settable for tests.</summary>
    internal static bool UseTiles { get; set; } = AttentionTiles.IsSupported;

    private static bool Tiled(int T, int Dh) => UseTiles && Dh is 32 or 64 && T <= TileMaxTokens;

    private static int Padded(int T) => (T + 31) / 32 * 32;

    [ThreadStatic] private static float* _scratch;
    [ThreadStatic] private static long _scratchCapacity;

    /// <summary>Computes out from qkv; <paramref name="probs"/> receives P, or may be null (inference).</summary>
    public static void Forward(float* output, float* probs, float* qkv, int B, int T, int H, int Dh, float scale, WorkerPool? pool = null)
    {
        var job = new ForwardJob { Output = output, Probs = probs, Qkv = qkv, T = T, H = H, Dh = Dh, Scale = scale };
        (pool ?? WorkerPool.Shared).For(B * H, ref job);
    }

    /// <summary>
    /// Accumulates into <paramref name="dqkv"/> the gradient of qkv given dOut and the saved P, or,
    /// with <paramref name="overwrite"/>, writes it (every element of dqkv is produced exactly once); an overwritten
    /// dqkv may be qkv's own memory.
    /// </summary>
    public static void Backward(float* dqkv, float* doutput, float* qkv, float* probs, int B, int T, int H, int Dh, float scale, WorkerPool? pool = null, bool overwrite = false)
    {
        if (dqkv == qkv && !overwrite) throw new ArgumentException("attention backward: accumulating into qkv's own memory");
        var job = new BackwardJob { DQkv = dqkv, DOutput = doutput, Qkv = qkv, Probs = probs, T = T, H = H, Dh = Dh, Scale = scale, Beta = overwrite ? 0f : 1f };
        (pool ?? WorkerPool.Shared).For(B * H, ref job);
    }

    private static float* Scratch(long floats)
    {
        if (_scratchCapacity < floats)
        {
            if (_scratch != null) NativeMemory.AlignedFree(_scratch);
            _scratch = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
            _scratchCapacity = floats;
        }
        return _scratch;
    }

    private struct ForwardJob : IParallelJob
    {
        public float* Output, Probs, Qkv;
        public int T, H, Dh;
        public float Scale;

        public void Execute(int begin, int end, int thread)
        {
            int C = H * Dh, ld = 3 * C;
            if (Tiled(T, Dh))
            {
                ExecuteTiled(begin, end);
                return;
            }
            float* local = Probs == null ? Scratch((long)T * T) : null;
            for (int task = begin; task < end; task++)
            {
                int b = task / H, h = task % H;
                float* q = Qkv + (long)b * T * ld + h * Dh;
                float* k = q + C;
                float* v = q + 2 * C;
                float* p = Probs != null ? Probs + (long)task * T * T : local;
                Sgemm.Run(false, true, T, T, Dh, Scale, q, ld, k, ld, 0f, p, T);
                for (int i = 0; i < T; i++) SoftmaxKernels.SoftmaxRow(p + (long)i * T, T);
                Sgemm.Run(false, false, T, Dh, T, 1f, p, T, v, ld, 0f, Output + (long)b * T * C + h * Dh, C);
            }
        }

        // S = scale·Q·Kᵀ into a [T, Tp] scratch against Kᵀ [Dh, Tp]; softmax over the first T columns (masked,
        // the padding becomes 0); O = P·V.
        private void ExecuteTiled(int begin, int end)
        {
            int C = H * Dh, ld = 3 * C, tp = Padded(T);
            float* kt = Scratch((long)Dh * tp + (long)T * tp);
            float* s = kt + (long)Dh * tp;
            for (int task = begin; task < end; task++)
            {
                int b = task / H, h = task % H;
                float* q = Qkv + (long)b * T * ld + h * Dh;
                float* nextQ = task + 1 < end ? Qkv + (long)((task + 1) / H) * T * ld + (task + 1) % H * Dh : null;
                AttentionTiles.TransposeRows(q + C, ld, T, Dh, kt, tp);
                AttentionTiles.Product(T, tp, Dh, q, ld, 1, kt, tp, s, tp, Scale, accumulate: false);
                for (int i = 0; i < T; i += 4)
                {
                    int rows = Math.Min(4, T - i);
                    if (nextQ != null)
                        for (int r = i; r < i + rows; r++) PrefetchHeadRow(nextQ + (long)r * ld, C, Dh);
                    SoftmaxKernels.SoftmaxRowsPadded(s + (long)i * tp, rows, tp, T, tp);
                }
                if (Probs != null)
                    for (int i = 0; i < T; i++) new ReadOnlySpan<float>(s + (long)i * tp, T).CopyTo(new Span<float>(Probs + ((long)task * T + i) * T, T));
                AttentionTiles.Product(T, Dh, T, s, tp, 1, q + 2 * C, ld, Output + (long)b * T * C + h * Dh, C, 1f, accumulate: false);
            }
        }
    }

    private struct BackwardJob : IParallelJob
    {
        public float* DQkv, DOutput, Qkv, Probs;
        public int T, H, Dh;
        public float Scale, Beta;

        public void Execute(int begin, int end, int thread)
        {
            int C = H * Dh, ld = 3 * C;
            if (Tiled(T, Dh))
            {
                ExecuteTiled(begin, end);
                return;
            }
            float* dp = Scratch((long)T * T + (long)T * Dh), keys = dp + (long)T * T;
            for (int task = begin; task < end; task++)
            {
                Head(task, out float* q, out float* p, out float* dO, out float* dq);
                float* v = q + 2 * C, dk = dq + C, dv = dq + 2 * C;
                float* k = CopyKeysIfOverwritten(q + C, ld, keys);
                int ldk = k == keys ? Dh : ld;

                Sgemm.Run(false, true, T, T, Dh, 1f, dO, C, v, ld, 0f, dp, T);    // dP = dO·Vᵀ
                for (int i = 0; i < T; i++) SoftmaxGradRow(p + (long)i * T, dp + (long)i * T, T);
                Sgemm.Run(true, false, T, Dh, T, 1f, p, T, dO, C, Beta, dv, ld);   // dV (+)= Pᵀ·dO
                Sgemm.Run(true, false, T, Dh, T, Scale, dp, T, q, ld, Beta, dk, ld);  // dK (+)= scale·dSᵀ·Q
                Sgemm.Run(false, false, T, Dh, T, Scale, dp, T, k, ldk, Beta, dq, ld); // dQ (+)= scale·dS·K
            }
        }

        /// <summary>K itself, or when dqkv overwrites qkv a copy in <paramref name="keys"/> [T, Dh]: dK lands on K before dQ reads it.</summary>
        private readonly float* CopyKeysIfOverwritten(float* k, int ld, float* keys)
        {
            if (DQkv != Qkv) return k;
            for (int t = 0; t < T; t++) Buffer.MemoryCopy(k + (long)t * ld, keys + (long)t * Dh, Dh * sizeof(float), Dh * sizeof(float));
            return keys;
        }

        /// <summary>Head <paramref name="task"/> = b·H + h: its Q (K and V follow at +C, +2C), saved P, dOut and dQ.</summary>
        private readonly void Head(int task, out float* q, out float* p, out float* dOut, out float* dq)
        {
            int b = task / H, h = task % H, C = H * Dh;
            long qOffset = (long)b * T * 3 * C + h * Dh;
            q = Qkv + qOffset;
            p = Probs + (long)task * T * T;
            dOut = DOutput + (long)b * T * C + h * Dh;
            dq = DQkv + qOffset;
        }

        private void ExecuteTiled(int begin, int end)
        {
            int C = H * Dh, ld = 3 * C, tp = Padded(T);
            bool accumulate = Beta != 0f;
            float* vt = Scratch((long)Dh * tp + (long)T * tp + (long)T * Dh);
            float* dp = vt + (long)Dh * tp, keys = dp + (long)T * tp;
            float* nextQ = null, nextP = null, nextDOut = null;
            for (int task = begin; task < end; task++)
            {
                Head(task, out float* q, out float* p, out float* dO, out float* dq);
                float* v = q + 2 * C, dk = dq + C, dv = dq + 2 * C;
                float* k = CopyKeysIfOverwritten(q + C, ld, keys);
                int ldk = k == keys ? Dh : ld;

                AttentionTiles.TransposeRows(v, ld, T, Dh, vt, tp);
                AttentionTiles.Product(T, tp, Dh, dO, C, 1, vt, tp, dp, tp, 1f, accumulate: false);   // dP = dO·Vᵀ
                bool ahead = task + 1 < end;
                if (ahead) Head(task + 1, out nextQ, out nextP, out nextDOut, out _);
                for (int i = 0; i < T; i++)
                {
                    if (ahead)
                    {
                        PrefetchHeadRow(nextQ + (long)i * ld, C, Dh);
                        PrefetchLines(nextDOut + (long)i * C, Dh);
                        PrefetchLines(nextP + (long)i * T, T);
                    }
                    SoftmaxGradRow(p + (long)i * T, dp + (long)i * tp, T);
                }
                AttentionTiles.Product(T, Dh, T, p, 1, T, dO, C, dv, ld, 1f, accumulate);             // dV (+)= Pᵀ·dO
                AttentionTiles.Product(T, Dh, T, dp, 1, tp, q, ld, dk, ld, Scale, accumulate);       // dK (+)= scale·dSᵀ·Q
                AttentionTiles.Product(T, Dh, T, dp, tp, 1, k, ldk, dq, ld, Scale, accumulate);      // dQ (+)= scale·dS·K
            }
        }
    }

    /// <summary>Asks for one token's Q, K and V slices of a head (at q, q + C, q + 2C; dh floats each) ahead of use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchHeadRow(float* q, int C, int dh)
    {
        PrefetchLines(q, dh);
        PrefetchLines(q + C, dh);
        PrefetchLines(q + 2 * C, dh);
    }

    /// <summary>Asks for the cache lines of <paramref name="floats"/> contiguous floats ahead of use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchLines(float* start, int floats)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        for (int f = 0; f < floats; f += 16) System.Runtime.Intrinsics.X86.Sse.Prefetch0(start + f);
    }

    // dS = P∘(dP − Σ P∘dP), in place over the dP row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxGradRow(float* p, float* dp, int n)
    {
        float dot = 0f;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(p + i), Vector512.Load(dp + i), acc);
            dot = Vector512.Sum(acc);
        }
        for (; i < n; i++) dot += p[i] * dp[i];
        i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var d = Vector512.Create(dot);
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(p + i) * (Vector512.Load(dp + i) - d), dp + i);
        }
        for (; i < n; i++) dp[i] = p[i] * (dp[i] - dot);
    }
}
