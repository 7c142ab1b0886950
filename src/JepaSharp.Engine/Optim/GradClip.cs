using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Optim;

/// <summary>Global gradient norm and PyTorch clip_grad_norm_ over the trainable gradients of a <see cref="ParameterSet"/>.</summary>
public static unsafe class GradClip
{
    // The norm is summed in this many fixed parts of the flat buffer, then the parts in order:
    // the same bits for any thread count, and the partial sums fit on the stack.
    private const int Parts = 64;

    /// <summary>
    /// √Σ g² over every trainable gradient, accumulated in double. Deterministic: the summation
    /// order depends only on the layout, never on the pool. NaN or ∞ gradients give a NaN or ∞ norm.
    /// </summary>
    public static double GlobalNorm(ParameterSet ps, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(ps);
        var segments = TrainableSegments.Of(ps);
        double* partials = stackalloc double[Parts];
        var job = new SumJob
        {
            G = ps.Grads.Pointer, Segments = segments.Pointer, SegmentCount = segments.Count,
            Units = (segments.Length + 15) / 16, Length = segments.Length, Partials = partials,
        };
        TrainableSegments.Run(pool, Parts, segments.Length, ref job);
        GC.KeepAlive(segments);
        double sum = 0;
        for (int i = 0; i < Parts; i++) sum += partials[i];
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// torch.nn.utils.clip_grad_norm_: when the global norm exceeds <paramref name="maxNorm"/>, scales
    /// every trainable gradient by maxNorm / (norm + 1e-6). Returns the norm before clipping; a NaN
    /// or ∞ norm is returned with the gradients untouched so the caller can stop on it.
    /// </summary>
    public static double ClipByGlobalNorm(ParameterSet ps, double maxNorm, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(ps);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the gradient clipping norm must be positive");
        double norm = GlobalNorm(ps, pool);
        if (!double.IsFinite(norm) || norm <= maxNorm) return norm;
        var segments = TrainableSegments.Of(ps);
        var job = new ScaleJob
        {
            G = ps.Grads.Pointer, Segments = segments.Pointer, SegmentCount = segments.Count, Length = segments.Length,
            Factor = (float)(maxNorm / (norm + 1e-6)),
        };
        TrainableSegments.Run(pool, TrainableSegments.Blocks(segments.Length), segments.Length, ref job);
        GC.KeepAlive(segments);
        return norm;
    }

    private struct SumJob : IParallelJob
    {
        public float* G;
        public Segment* Segments;
        public int SegmentCount;
        public long Units, Length;
        public double* Partials;

        public void Execute(int begin, int end, int thread)
        {
            for (int part = begin; part < end; part++)
            {
                long lo = Math.Min(Units * part / Parts * 16, Length);
                long hi = Math.Min(Units * (part + 1) / Parts * 16, Length);
                double sum = 0;
                for (int k = TrainableSegments.FirstEndingAfter(Segments, SegmentCount, lo); k < SegmentCount && Segments[k].Offset < hi; k++)
                {
                    long a = Math.Max(lo, Segments[k].Offset);
                    long b = Math.Min(hi, Segments[k].Offset + Segments[k].Length);
                    sum += OptimKernels.SumOfSquares(G + a, b - a);
                }
                Partials[part] = sum;
            }
        }
    }

    private struct ScaleJob : IParallelJob
    {
        public float* G;
        public Segment* Segments;
        public int SegmentCount;
        public long Length;
        public float Factor;

        public void Execute(int begin, int end, int thread)
        {
            long lo = (long)begin * TrainableSegments.BlockFloats;
            long hi = Math.Min((long)end * TrainableSegments.BlockFloats, Length);
            for (int k = TrainableSegments.FirstEndingAfter(Segments, SegmentCount, lo); k < SegmentCount && Segments[k].Offset < hi; k++)
            {
                long a = Math.Max(lo, Segments[k].Offset);
                long b = Math.Min(hi, Segments[k].Offset + Segments[k].Length);
                OptimKernels.Scale(G + a, b - a, Factor);
            }
        }
    }
}
