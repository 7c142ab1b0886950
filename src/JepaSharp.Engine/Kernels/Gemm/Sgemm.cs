using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Kernels.Gemm;

/// <summary>
/// Blocked single-precision GEMM (BLIS loop order), row-major:
///   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C (+ residual[M,N]) (+ bias[N] on every row)
/// op(A) = A ([M,K], row stride lda) or Aᵀ (A stored [K,M]); likewise op(B). The micro-kernel reads A, and B
/// when not transposed, in place; only Bᵀ (a Linear's weight, small), alpha ≠ 1 and the partial edge panels are
/// copied into micro-panels. Residual and bias are added while the tile is in registers (residual needs beta = 0),
/// so a skip connection or a bias costs no extra pass over C. A <see cref="RowTransform"/> (GELU, LayerNorm) is applied to
/// A's rows block by block into a cache-sized scratch just before they are used, so an MLP's second layer or a pre-norm
/// block's first reads its input once, with no separate pass over memory. Threads split C into contiguous row (or
/// column) ranges.
/// </summary>
public static unsafe class Sgemm
{
    private const int KcMax = 768;
    private const int MicroTilesPerMc = 20;
    private const int Nc = 2048;
    private const int PackSlack = 256; // the in-register transposes store whole vectors past a panel's end

    private static MicroKernel _kernel = MicroKernels.Get(MicroKernels.Best);
    private static MicroKernel _narrow = MicroKernels.Narrow(MicroKernels.Best);

    /// <summary>The micro-kernel in use; settable so tests and benchmarks can run every path.</summary>
    public static GemmKernelKind Kernel
    {
        get => _kernel.Kind;
        set
        {
            _kernel = MicroKernels.Get(value);
            _narrow = MicroKernels.Narrow(value);
        }
    }

    // A product of few columns (a probe's classes) runs on a narrower tile, so the register tile computes fewer padding columns.
    private static MicroKernel KernelFor(int N) => N <= MicroKernels.NarrowColumns ? _narrow : _kernel;

    public static bool IsSupported(GemmKernelKind kind) => MicroKernels.IsSupported(kind);

    [ThreadStatic] private static float* _packA;
    [ThreadStatic] private static long _packACapacity;
    [ThreadStatic] private static float* _packB;
    [ThreadStatic] private static long _packBCapacity;
    [ThreadStatic] private static float* _edgePanels;
    [ThreadStatic] private static long _edgePanelsCapacity;
    [ThreadStatic] private static float* _edgeTile;
    [ThreadStatic] private static float* _packedWeight;
    [ThreadStatic] private static long _packedWeightCapacity;

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C (+ residual) (+ bias) on the shared pool (serial when called from inside a
    /// parallel job). <paramref name="residual"/> is [M, N] with row stride ldc and may alias nothing but itself.
    /// With <paramref name="aRows"/> (A not transposed, alpha 1), op(A) is that function of A's rows: bit for bit the
    /// product of a transformed copy of A. With <paramref name="packedB"/> (from <see cref="PackWeight"/> of B, transB
    /// true), the Bᵀ panels are read from there instead of being packed for this call.
    /// </summary>
    public static void Run(bool transA, bool transB, int M, int N, int K, float alpha,
        float* A, int lda, float* B, int ldb, float beta, float* C, int ldc, WorkerPool? pool = null, float* bias = null,
        float* residual = null, RowTransform aRows = default, float* packedB = null)
    {
        Validate(transA, transB, M, N, K, lda, ldb, ldc);
        if (packedB != null && !transB) throw new ArgumentException("sgemm: packed weight panels stand for Bᵀ (transB = true)");
        if (residual != null && beta != 0f) throw new ArgumentException($"sgemm: a residual needs beta = 0, got {beta}");
        if (aRows.Kind != RowTransformKind.None && (transA || alpha != 1f))
            throw new ArgumentException($"sgemm: a row transform of A needs A untransposed and alpha = 1 (transA={transA}, alpha={alpha})");
        if (M == 0 || N == 0) return;
        var job = new Job
        {
            Kernel = KernelFor(N), TransA = transA, TransB = transB, M = M, N = N, K = K, Alpha = alpha,
            A = A, Lda = lda, B = B, Ldb = ldb, Beta = beta, C = C, Ldc = ldc, Bias = bias, Residual = residual, ARows = aRows,
            PackedB = packedB,
        };
        pool ??= WorkerPool.Shared;
        int threads = pool.Threads;
        long flops = 2L * M * N * K;
        if (threads == 1 || flops < 2_000_000)
        {
            job.Block(0, M, 0, N);
            return;
        }
        if (WorkerPool.InsideJob)
        {
            // Inside a job the parts would run one after the other, each packing Bᵀ again: the whole product runs here,
            // unless threads that finished their own parts are waiting; they take row or column ranges of it.
            int helpers = pool.IdleThreads;
            if (helpers == 0)
            {
                job.Block(0, M, 0, N);
                return;
            }
            if (transB && packedB == null)
            {
                // Bᵀ is packed once, here, for all the ranges.
                EnsurePackedWeight(PackedWeightFloats(N, K));
                PackWeight(B, ldb, N, K, _packedWeight);
                job.PackedB = _packedWeight;
            }
            Split(ref job, 4 * (helpers + 1));
            pool.Help(job.Parts, job.Parts, ref job);
            return;
        }
        Split(ref job, threads);
        pool.For(job.Parts, ref job);
    }

    // Splits C's longer side, in whole micro-tiles, into one contiguous range per thread (rows when Bᵀ comes packed: its
    // panels are laid out for all columns). Every tile sums over K in the same order whatever the split, so the product
    // does not depend on it.
    private static void Split(ref Job job, int threads)
    {
        job.SplitRows = job.PackedB != null || (long)job.M * job.Kernel.NR >= (long)job.N * job.Kernel.MR;
        int tiles = job.SplitRows ? Ceil(job.M, job.Kernel.MR) : Ceil(job.N, job.Kernel.NR);
        job.Parts = Math.Min(threads, tiles);
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

    // K blocks of at most KcMax, of equal size rounded up to 8.
    private static int KStep(int K) => Ceil(Ceil(K, Ceil(K, KcMax)), 8) * 8;

    /// <summary>Floats <see cref="PackWeight"/> writes for a weight [N, K], slack included.</summary>
    public static long PackedWeightFloats(int N, int K) => (long)Ceil(N, KernelFor(N).NR) * KernelFor(N).NR * K + PackSlack;

    /// <summary>
    /// Packs a Linear's weight W [N, K] (row stride ldw) into the Wᵀ micro-panels that <see cref="Run"/> with transB
    /// builds for every call, for every column and K block in Run's order: a caller that multiplies many row blocks by
    /// the same weight passes them as packedB and packs once. Valid for the micro-kernel in use when packed.
    /// </summary>
    public static void PackWeight(float* W, int ldw, int N, int K, float* packed)
    {
        int nr = KernelFor(N).NR, kcStep = KStep(K);
        for (int jc = 0; jc < N; jc += Nc)
        {
            int nc = Math.Min(Nc, N - jc);
            for (int pc = 0; pc < K; pc += kcStep)
            {
                int kc = Math.Min(kcStep, K - pc);
                Packing.PackB(true, W, ldw, pc, kc, jc, nc, nr, packed);
                packed += (long)kc * Ceil(nc, nr) * nr;
            }
        }
    }

    private struct Job : IParallelJob
    {
        public MicroKernel Kernel;
        public bool TransA, TransB, SplitRows;
        public RowTransform ARows;
        public int M, N, K, Lda, Ldb, Ldc, Parts;
        public float Alpha, Beta;
        public float* A, B, C, Bias, Residual, PackedB;

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
                NoProduct(m0, m1, n0, n1);
                return;
            }
            if (Beta != 0f && Beta != 1f) ScaleC(m0, m1, n0, n1, Beta);

            int kcStep = KStep(K);
            int mc = mr * MicroTilesPerMc;
            bool packA = Alpha != 1f, packB = TransB && PackedB == null;
            bool normRows = ARows.Kind == RowTransformKind.LayerNorm;
            long transformed = ARows.Kind == RowTransformKind.None ? 0 : (long)mc * (normRows ? K : kcStep);
            EnsureScratch(Math.Max(packA ? (long)mc * kcStep : 0, transformed), packB ? (long)kcStep * Math.Min(Nc, Ceil(n1 - n0, nr) * nr) : 0, (long)(mr + nr) * kcStep);
            float* edgeA = _edgePanels, edgeB = _edgePanels + (long)mr * kcStep;
            var tile = new MicroTile();
            float* packedPanels = PackedB; // every (jc, pc) block in this loop's order (columns from n0 = 0)

            for (int jc = n0; jc < n1; jc += Nc)
            {
                int nc = Math.Min(Nc, n1 - jc);
                for (int pc = 0; pc < K; pc += kcStep)
                {
                    int kc = Math.Min(kcStep, K - pc);
                    tile.Kc = kc;
                    float* bPanels = packedPanels != null ? packedPanels : _packB;
                    if (packedPanels != null) packedPanels += (long)kc * Ceil(nc, nr) * nr;
                    // The first K block adds the residual (or beta·C), later ones accumulate onto C; the last adds the bias.
                    float* addend = pc > 0 || Beta != 0f ? C : Residual;
                    float* bias = pc + kc >= K ? Bias : null;
                    if (packB) Packing.PackB(true, B, Ldb, pc, kc, jc, nc, nr, _packB);
                    for (int ic = m0; ic < m1; ic += mc)
                    {
                        int mcCur = Math.Min(mc, m1 - ic);
                        // Untransposed op(A)'s rows [ic, ic + mcCur) x [pc, pc + kc) as read in place: A itself, or transformed in scratch.
                        float* aRows = TransA ? null : A + (long)ic * Lda + pc;
                        int aLd = Lda;
                        if (ARows.Kind != RowTransformKind.None) aRows = TransformRows(ic, mcCur, pc, kc, firstColumns: jc == 0, out aLd);
                        if (packA) Packing.PackA(TransA, A, Lda, ic, mcCur, pc, kc, mr, Alpha, _packA);
                        else if (mcCur % mr != 0)
                        {
                            int full = mcCur / mr * mr;
                            if (TransA) Packing.PackA(true, A, Lda, ic + full, mcCur - full, pc, kc, mr, 1f, edgeA);
                            else Packing.PackA(false, aRows, aLd, full, mcCur - full, 0, kc, mr, 1f, edgeA);
                        }
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int nrCur = Math.Min(nr, nc - jr);
                            if (TransB)
                            {
                                tile.B = bPanels + (long)jr * kc;
                                tile.BKStride = nr;
                            }
                            else if (nrCur == nr)
                            {
                                tile.B = B + (long)pc * Ldb + jc + jr;
                                tile.BKStride = Ldb;
                            }
                            else
                            {
                                Packing.PackB(false, B, Ldb, pc, kc, jc + jr, nrCur, nr, edgeB);
                                tile.B = edgeB;
                                tile.BKStride = nr;
                            }
                            for (int ir = 0; ir < mcCur; ir += mr)
                            {
                                int mrCur = Math.Min(mr, mcCur - ir);
                                SetPanelA(ref tile, ic, ir, pc, kc, mrCur == mr, packA, edgeA, aRows, aLd);
                                long offset = (long)(ic + ir) * Ldc + jc + jr;
                                if (mrCur == mr && nrCur == nr)
                                {
                                    tile.C = C + offset;
                                    tile.Ldc = Ldc;
                                    tile.Addend = addend == null ? null : addend + offset;
                                    tile.AddendStride = Ldc;
                                    tile.Bias = bias == null ? null : bias + jc + jr;
                                    Kernel.Run(ref tile);
                                }
                                else
                                {
                                    tile.C = _edgeTile;
                                    tile.Ldc = nr;
                                    tile.Addend = null;
                                    tile.Bias = null;
                                    Kernel.Run(ref tile);
                                    StoreEdge(offset, mrCur, nrCur, nr, addend, bias == null ? null : bias + jc + jr);
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>Points the tile at op(A)'s rows [ic+ir, +MR) × [pc, +kc): the packed panel, the operand in place, or the packed edge.</summary>
        private readonly void SetPanelA(ref MicroTile tile, int ic, int ir, int pc, int kc, bool full, bool packA, float* edgeA, float* aRows, int aLd)
        {
            int mr = Kernel.MR;
            if (packA || !full)
            {
                tile.A = packA ? _packA + (long)ir * kc : edgeA;
                tile.ARowStride = 1;
                tile.AKStride = mr;
            }
            else if (TransA)
            {
                tile.A = A + (long)pc * Lda + ic + ir;
                tile.ARowStride = 1;
                tile.AKStride = Lda;
            }
            else
            {
                tile.A = aRows + (long)ir * aLd;
                tile.ARowStride = aLd;
                tile.AKStride = 1;
            }
        }

        /// <summary>
        /// The transformed A rows [ic, ic + rows) x [pc, pc + kc) in the A scratch, row stride <paramref name="ld"/>. A
        /// LayerNorm needs whole rows, so it normalises all K columns (again for each K block when K spans several); its
        /// statistics are written once, by the block at the first columns.
        /// </summary>
        private readonly float* TransformRows(int ic, int rows, int pc, int kc, bool firstColumns, out int ld)
        {
            if (ARows.Kind == RowTransformKind.Gelu)
            {
                for (int r = 0; r < rows; r++) GeluKernels.ForwardRange(_packA + (long)r * kc, A + (long)(ic + r) * Lda + pc, kc);
                ld = kc;
                return _packA;
            }
            bool stats = firstColumns && pc == 0;
            LayerNormKernels.ForwardRows(_packA, K, stats ? ARows.Mean : null, stats ? ARows.Rstd : null, A, Lda, ARows.NormWeight, ARows.NormBias,
                ic, ic + rows, K, ARows.Eps);
            ld = K;
            return _packA + pc;
        }

        /// <summary>Writes the valid part of an edge tile computed into the scratch tile, in the kernel's order of sums.</summary>
        private readonly void StoreEdge(long offset, int rows, int cols, int nr, float* addend, float* bias)
        {
            for (int r = 0; r < rows; r++)
            {
                float* src = _edgeTile + r * nr, dst = C + offset + (long)r * Ldc;
                float* add = addend == null ? null : addend + offset + (long)r * Ldc;
                for (int j = 0; j < cols; j++)
                {
                    float v = src[j];
                    if (add != null) v += add[j];
                    if (bias != null) v += bias[j];
                    dst[j] = v;
                }
            }
        }

        /// <summary>C = beta·C (+ residual) (+ bias) when the product is empty (K = 0 or alpha = 0).</summary>
        private void NoProduct(int m0, int m1, int n0, int n1)
        {
            ScaleC(m0, m1, n0, n1, Beta);
            for (int i = m0; i < m1; i++)
            {
                var row = new Span<float>(C + (long)i * Ldc + n0, n1 - n0);
                if (Residual != null) System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(Residual + (long)i * Ldc + n0, n1 - n0), row);
                if (Bias != null) System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(Bias + n0, n1 - n0), row);
            }
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

    private static void EnsureScratch(long packA, long packB, long edgePanels)
    {
        Grow(ref _packA, ref _packACapacity, packA);
        Grow(ref _packB, ref _packBCapacity, packB);
        Grow(ref _edgePanels, ref _edgePanelsCapacity, edgePanels);
        if (_edgeTile == null) _edgeTile = (float*)NativeMemory.AlignedAlloc(64 * 64 * sizeof(float), 64);
    }

    private static void EnsurePackedWeight(long floats) => Grow(ref _packedWeight, ref _packedWeightCapacity, floats);

    private static void Grow(ref float* buffer, ref long capacity, long floats)
    {
        if (capacity >= floats) return;
        if (buffer != null) NativeMemory.AlignedFree(buffer);
        buffer = (float*)NativeMemory.AlignedAlloc((nuint)(floats + PackSlack) * sizeof(float), 64);
        capacity = floats;
    }
}
