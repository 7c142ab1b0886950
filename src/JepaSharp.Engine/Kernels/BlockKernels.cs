using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Kernels;

// A pre-norm transformer block without gradients (timm / I-JEPA Block), for x [B, T, C], head_dim = C / heads:
//   h = x + Attention(LN1(x)·Wqkvᵀ + bqkv)·Wprojᵀ + bproj;   y = h + GELU(LN2(h)·W1ᵀ + b1)·W2ᵀ + b2.
// Each thread takes a contiguous range of images and runs the whole block on a few images at a time, so qkv, the
// attention output and the MLP's hidden rows are consumed while they are still in cache, and the threads meet once
// per block instead of once per op; each thread packs the four weights' Wᵀ panels once per block, not once per chunk.
// Nothing is saved. Every row's arithmetic is that of the separate kernels (the
// same GEMM micro-tiles, LayerNorm rows and attention heads), so the output equals the op-by-op block bit for bit.
/// <summary>Whole-block inference over image ranges.</summary>
public static unsafe class BlockKernels
{
    /// <summary>Images a thread pushes through the block at once: their hidden rows (16·49·768 floats) stay in cache.</summary>
    public const int ImagesPerChunk = 16;

    /// <summary>Floats of scratch <see cref="Forward"/> needs on <paramref name="pool"/> (the shared pool when null).</summary>
    public static long ScratchFloats(int B, int T, int C, int hidden, WorkerPool? pool = null)
        => Parts(B, pool ?? WorkerPool.Shared) * PartFloats(B, T, C, hidden);

    // A part's scratch: its packed weights, then one chunk's qkv, attention output, mid and hidden rows.
    private static long PartFloats(int B, int T, int C, int hidden)
        => PackedWeightsFloats(C, hidden) + (long)Math.Min(B, ImagesPerChunk) * T * (3L * C + C + C + hidden);

    private static long PackedWeightsFloats(int C, int hidden)
        => Sgemm.PackedWeightFloats(3 * C, C) + Sgemm.PackedWeightFloats(C, C) + Sgemm.PackedWeightFloats(hidden, C) + Sgemm.PackedWeightFloats(C, hidden);

    // Inside a job the block runs on the calling thread alone: one part, one chunk's scratch.
    private static int Parts(int B, WorkerPool pool) => WorkerPool.InsideJob ? 1 : Math.Max(1, Math.Min(pool.Threads, B));

    /// <summary>
    /// y [B, T, C] = the block applied to x [B, T, C] (y must not overlap x). Weights as PyTorch's Linear ([out, in]);
    /// biases may be null; <paramref name="scratch"/> holds <see cref="ScratchFloats"/> floats.
    /// </summary>
    public static void Forward(float* y, float* x, int B, int T, int C, int heads, int hidden, in BlockWeights w, float* scratch, WorkerPool? pool = null)
    {
        if (C % heads != 0) throw new ArgumentException($"block: width {C} is not divisible by {heads} heads");
        pool ??= WorkerPool.Shared;
        int parts = Parts(B, pool);
        var job = new Job { Y = y, X = x, B = B, T = T, C = C, Heads = heads, Hidden = hidden, W = w, Scratch = scratch, Parts = parts };
        pool.For(parts, ref job);
    }

    private struct Job : IParallelJob
    {
        public float* Y, X, Scratch;
        public int B, T, C, Heads, Hidden, Parts;
        public BlockWeights W;

        public void Execute(int begin, int end, int thread)
        {
            int chunkImages = Math.Min(B, ImagesPerChunk);
            long chunkRows = (long)chunkImages * T;
            for (int part = begin; part < end; part++)
            {
                // Each weight's Wᵀ panels are packed once per part, not once per chunk.
                float* packedQkv = Scratch + part * PartFloats(B, T, C, Hidden);
                float* packedProj = packedQkv + Sgemm.PackedWeightFloats(3 * C, C);
                float* packedFc1 = packedProj + Sgemm.PackedWeightFloats(C, C);
                float* packedFc2 = packedFc1 + Sgemm.PackedWeightFloats(Hidden, C);
                Sgemm.PackWeight(W.QkvWeight, C, 3 * C, C, packedQkv);
                Sgemm.PackWeight(W.ProjWeight, C, C, C, packedProj);
                Sgemm.PackWeight(W.Fc1Weight, C, Hidden, C, packedFc1);
                Sgemm.PackWeight(W.Fc2Weight, Hidden, C, Hidden, packedFc2);
                float* qkv = packedQkv + PackedWeightsFloats(C, Hidden);
                float* attention = qkv + chunkRows * 3 * C, mid = attention + chunkRows * C, hiddenRows = mid + chunkRows * C;
                var (i0, i1) = WorkerPool.Slice(B, part, Parts);
                for (int image = i0; image < i1; image += chunkImages)
                {
                    int images = Math.Min(chunkImages, i1 - image), m = images * T;
                    float* x = X + (long)image * T * C, y = Y + (long)image * T * C;
                    // Calls from inside a job run on this thread alone.
                    Sgemm.Run(false, true, m, 3 * C, C, 1f, x, C, W.QkvWeight, C, 0f, qkv, 3 * C, bias: W.QkvBias,
                        aRows: RowTransform.LayerNorm(W.Norm1Weight, W.Norm1Bias, W.Norm1Eps, null, null), packedB: packedQkv);
                    AttentionKernels.Forward(attention, null, qkv, images, T, Heads, C / Heads, 1f / MathF.Sqrt(C / Heads));
                    Sgemm.Run(false, true, m, C, C, 1f, attention, C, W.ProjWeight, C, 0f, mid, C, bias: W.ProjBias, residual: x, packedB: packedProj);
                    Sgemm.Run(false, true, m, Hidden, C, 1f, mid, C, W.Fc1Weight, C, 0f, hiddenRows, Hidden, bias: W.Fc1Bias,
                        aRows: RowTransform.LayerNorm(W.Norm2Weight, W.Norm2Bias, W.Norm2Eps, null, null), packedB: packedFc1);
                    Sgemm.Run(false, true, m, C, Hidden, 1f, hiddenRows, Hidden, W.Fc2Weight, Hidden, 0f, y, C, bias: W.Fc2Bias, residual: mid,
                        aRows: RowTransform.Gelu, packedB: packedFc2);
                }
            }
        }
    }
}

/// <summary>The parameters of a pre-norm transformer block, as raw pointers (biases may be null).</summary>
public unsafe struct BlockWeights
{
    public float* Norm1Weight, Norm1Bias, QkvWeight, QkvBias, ProjWeight, ProjBias;
    public float* Norm2Weight, Norm2Bias, Fc1Weight, Fc1Bias, Fc2Weight, Fc2Bias;
    public float Norm1Eps, Norm2Eps;
}
