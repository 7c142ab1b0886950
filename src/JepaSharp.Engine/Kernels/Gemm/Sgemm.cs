using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Kernels.Gemm;

/// <summary>
/// Packed, blocked single-precision GEMM (BLIS loop order), row-major:
///   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C (+ bias[N] on every row, added while the tile is in cache)
/// op(A) = A ([M,K], row stride lda) or Aᵀ (A stored [K,M]); likewise op(B). Both operands are
/// copied into MR/NR micro-panels, so every transpose combination runs the same micro-kernel.
/// Threads split C into contiguous row (or column) ranges, each packing its own operands.
/// </summary>
public static unsafe class Sgemm
{
    private const int KcMax = 384;
    private const int MicroTilesPerMc = 20;
    private const int Nc = 2048;
    private const int PackSlack = 256; // the in-register transposes store whole vectors past a panel's end

    private static MicroKernel _kernel = MicroKernels.Get(MicroKernels.Best);

    /// <summary>The micro-kernel in use; settable so tests and benchmarks can run every path.</summary>
    public static GemmKernelKind Kernel
    {
        get => _kernel.Kind;
        set => _kernel = MicroKernels.Get(value);
    }

    public static bool IsSupported(GemmKernelKind kind) => MicroKernels.IsSupported(kind);

    [ThreadStatic] private static float* _packA;
    [ThreadStatic] private static long _packACapacity;
    [ThreadStatic] private static float* _packB;
    [ThreadStatic] private static long _packBCapacity;
    [ThreadStatic] private static float* _edgeTile;

    /// <summary>C = alpha·op(A)·op(B) + beta·C on the shared pool (serial when called from inside a parallel job).</summary>
    public static void Run(bool transA, bool transB, int M, int N, int K, float alpha,
        float* A, int lda, float* B, int ldb, float beta, float* C, int ldc, WorkerPool? pool = null, float* bias = null)
    {
        Validate(transA, transB, M, N, K, lda, ldb, ldc);
        if (M == 0 || N == 0) return;
        var job = new Job
        {
            Kernel = _kernel, TransA = transA, TransB = transB, M = M, N = N, K = K, Alpha = alpha,
            A = A, Lda = lda, B = B, Ldb = ldb, Beta = beta, C = C, Ldc = ldc, Bias = bias,
        };
        pool ??= WorkerPool.Shared;
        int threads = pool.Threads;
        long flops = 2L * M * N * K;
        if (threads == 1 || flops < 2_000_000)
        {
            job.Block(0, M, 0, N);
            return;
        }
        // Split the longer side of C, in whole micro-tiles, one contiguous range per thread.
        job.SplitRows = (long)M * _kernel.NR >= (long)N * _kernel.MR;
        int tiles = job.SplitRows ? Ceil(M, _kernel.MR) : Ceil(N, _kernel.NR);
        job.Parts = Math.Min(threads, tiles);
        pool.For(job.Parts, ref job);
    }

    private static void Validate(bool transA, bool transB, int M, int N, int K, int lda, int ldb, int ldc)
    {
        if (M < 0 || N < 0 || K < 0) throw new ArgumentException($"sgemm: negative size M={M} N={N} K={K}");
        int aCols = transA ? M : K, bCols = transB ? K : N;
        if (lda < Math.Max(1, aCols)) throw new ArgumentException($"sgemm: lda={lda} < {aCols} (A is {(transA ? $"[{K},{M}]" : $"[{M},{K}]")})");
        if (ldb < Math.Max(1, bCols)) throw new ArgumentException($"sgemm: ldb={ldb} < {bCols} (B is {(transB ? $"[{N},{K}]" : $"[{K},{N}]")})");
        if (ldc < Math.Max(1, N)) throw new ArgumentException($"sgemm: ldc={ldc} < N={N}");
    }

    private static int Ceil(int a, int b) => (a + b - 1) / b;

    private struct Job : IParallelJob
    {
        public MicroKernel Kernel;
        public bool TransA, TransB, SplitRows;
        public int M, N, K, Lda, Ldb, Ldc, Parts;
        public float Alpha, Beta;
        public float* A, B, C, Bias;

        public void Execute(int begin, int end, int thread)
        {
            for (int part = begin; part < end; part++)
            {
                if (SplitRows)
                {
                    var (t0, t1) = WorkerPool.Slice(Ceil(M, Kernel.MR), part, Parts);
                    Block(t0 * Kernel.MR, Math.Min(M, t1 * Kernel.MR), 0, N);
                }
                else
                {
                    var (t0, t1) = WorkerPool.Slice(Ceil(N, Kernel.NR), part, Parts);
                    Block(0, M, t0 * Kernel.NR, Math.Min(N, t1 * Kernel.NR));
                }
            }
        }

        /// <summary>The BLIS loops over C[m0:m1, n0:n1] on the calling thread.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Block(int m0, int m1, int n0, int n1)
        {
            if (m0 >= m1 || n0 >= n1) return;
            int mr = Kernel.MR, nr = Kernel.NR;
            if (K == 0 || Alpha == 0f)
            {
                ScaleC(m0, m1, n0, n1, Beta);
                if (Bias != null)
                    for (int i = m0; i < m1; i++) AddBias(C + (long)i * Ldc + n0, Bias + n0, n1 - n0);
                return;
            }
            if (Beta != 0f && Beta != 1f) ScaleC(m0, m1, n0, n1, Beta);
            bool accumulateFirst = Beta != 0f;

            int kBlocks = Ceil(K, KcMax);
            int kcStep = Ceil(Ceil(K, kBlocks), 8) * 8;
            int mc = mr * MicroTilesPerMc;
            EnsureScratch(mc, kcStep, Math.Min(Nc, Ceil(n1 - n0, nr) * nr), mr, nr);
            float* packA = _packA, packB = _packB, edge = _edgeTile;

            for (int jc = n0; jc < n1; jc += Nc)
            {
                int nc = Math.Min(Nc, n1 - jc);
                for (int pc = 0; pc < K; pc += kcStep)
                {
                    int kc = Math.Min(kcStep, K - pc);
                    bool accumulate = pc > 0 || accumulateFirst;
                    bool lastK = pc + kc >= K;
                    Packing.PackB(TransB, B, Ldb, pc, kc, jc, nc, nr, packB);
                    for (int ic = m0; ic < m1; ic += mc)
                    {
                        int mcCur = Math.Min(mc, m1 - ic);
                        Packing.PackA(TransA, A, Lda, ic, mcCur, pc, kc, mr, Alpha, packA);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int nrCur = Math.Min(nr, nc - jr);
                            float* bPanel = packB + (long)jr * kc;
                            for (int ir = 0; ir < mcCur; ir += mr)
                            {
                                int mrCur = Math.Min(mr, mcCur - ir);
                                float* aPanel = packA + (long)ir * kc;
                                float* cTile = C + (long)(ic + ir) * Ldc + jc + jr;
                                if (mrCur == mr && nrCur == nr)
                                {
                                    Kernel.Run(kc, aPanel, bPanel, cTile, Ldc, accumulate);
                                }
                                else
                                {
                                    Kernel.Run(kc, aPanel, bPanel, edge, nr, false);
                                    for (int r = 0; r < mrCur; r++)
                                    {
                                        float* src = edge + r * nr, dst = cTile + (long)r * Ldc;
                                        if (accumulate) for (int j = 0; j < nrCur; j++) dst[j] += src[j];
                                        else for (int j = 0; j < nrCur; j++) dst[j] = src[j];
                                    }
                                }
                                if (lastK && Bias != null)
                                    for (int r = 0; r < mrCur; r++) AddBias(cTile + (long)r * Ldc, Bias + jc + jr, nrCur);
                            }
                        }
                    }
                }
            }
        }

        private static void AddBias(float* row, float* bias, int n)
        {
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; j + 16 <= n; j += 16) Vector512.Store(Vector512.Load(row + j) + Vector512.Load(bias + j), row + j);
            for (; j < n; j++) row[j] += bias[j];
        }

        private void ScaleC(int m0, int m1, int n0, int n1, float beta)
        {
            for (int i = m0; i < m1; i++)
            {
                var row = new Span<float>(C + (long)i * Ldc + n0, n1 - n0);
                if (beta == 0f) row.Clear();
                else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    private static void EnsureScratch(int mc, int kc, int nc, int mr, int nr)
    {
        long needA = (long)mc * kc, needB = (long)kc * nc;
        if (_packACapacity < needA)
        {
            if (_packA != null) NativeMemory.AlignedFree(_packA);
            _packA = (float*)NativeMemory.AlignedAlloc((nuint)(needA + PackSlack) * sizeof(float), 64);
            _packACapacity = needA;
        }
        if (_packBCapacity < needB)
        {
            if (_packB != null) NativeMemory.AlignedFree(_packB);
            _packB = (float*)NativeMemory.AlignedAlloc((nuint)(needB + PackSlack) * sizeof(float), 64);
            _packBCapacity = needB;
        }
        if (_edgeTile == null) _edgeTile = (float*)NativeMemory.AlignedAlloc(64 * 64 * sizeof(float), 64);
    }
}
