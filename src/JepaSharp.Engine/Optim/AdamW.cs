using JepaSharp.Engine.Memory;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Optim;

/// <summary>
/// AdamW over a <see cref="ParameterSet"/> with torch.optim.AdamW semantics and I-JEPA's two
/// parameter groups: slots with <see cref="ParameterSlot.Decay"/> get the weight decay, biases and
/// 1-D parameters get none, fixed (non-trainable) slots are never touched. The moments live in
/// flat buffers with the parameter layout, so a step is one elementwise pass split across the
/// pool by element index; the result is the same for any number of threads.
/// </summary>
public sealed unsafe class AdamW : IDisposable
{
    private readonly TrainableSegments _segments;

    public ParameterSet Parameters { get; }

    /// <summary>First moments (PyTorch <c>exp_avg</c>), laid out like <see cref="ParameterSet.Values"/>.</summary>
    public NativeBuffer ExpAvg { get; }

    /// <summary>Second moments (PyTorch <c>exp_avg_sq</c>), laid out like <see cref="ParameterSet.Values"/>.</summary>
    public NativeBuffer ExpAvgSq { get; }

    /// <summary>Steps taken so far; the bias corrections of the next step use StepCount + 1.</summary>
    public long StepCount { get; private set; }

    // Doubles, like the Python floats PyTorch computes its bias corrections from.
    public double Beta1 { get; set; } = 0.9;
    public double Beta2 { get; set; } = 0.999;
    public double Eps { get; set; } = 1e-8;

    public AdamW(ParameterSet parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters;
        _segments = TrainableSegments.Of(parameters);
        ExpAvg = new NativeBuffer(parameters.Length);
        ExpAvgSq = new NativeBuffer(parameters.Length);
    }

    /// <summary>
    /// One AdamW step from the gradients in <see cref="ParameterSet.Grads"/>. The rates are doubles
    /// so a schedule computed in double reaches the coefficients unrounded; float arguments convert.
    /// </summary>
    public void Step(double lr, double weightDecay, WorkerPool? pool = null)
    {
        if (!(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1))
            throw new InvalidOperationException($"AdamW betas must lie in [0, 1), got ({Beta1}, {Beta2})");
        if (!(Eps >= 0)) throw new InvalidOperationException($"AdamW eps must be non-negative, got {Eps}");
        StepCount++;
        var decay = AdamWCoefficients.Create(lr, weightDecay, Beta1, Beta2, Eps, StepCount);
        var job = new StepJob
        {
            P = Parameters.Values.Pointer, G = Parameters.Grads.Pointer, M = ExpAvg.Pointer, V = ExpAvgSq.Pointer,
            Segments = _segments.Pointer, SegmentCount = _segments.Count, Length = _segments.Length,
            Decay = decay, NoDecay = decay.WithoutDecay(),
        };
        TrainableSegments.Run(pool, TrainableSegments.Blocks(job.Length), job.Length, ref job);
        GC.KeepAlive(_segments);
    }

    /// <summary>Restores the state saved from <see cref="StepCount"/>, <see cref="ExpAvg"/> and <see cref="ExpAvgSq"/> (flat, padding included).</summary>
    public void LoadState(long step, ReadOnlySpan<float> expAvg, ReadOnlySpan<float> expAvgSq)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "AdamW step count must be non-negative");
        long expected = Parameters.Length;
        if (expAvg.Length != expected || expAvgSq.Length != expected)
            throw new ArgumentException(
                $"AdamW state does not match the parameter layout: exp_avg has {expAvg.Length} floats, exp_avg_sq {expAvgSq.Length}, "
                + $"the parameter set {expected} ({Parameters.Slots.Count} tensors, padding included)");
        expAvg.CopyTo(ExpAvg.AsSpan());
        expAvgSq.CopyTo(ExpAvgSq.AsSpan());
        StepCount = step;
    }

    public void Dispose()
    {
        ExpAvg.Dispose();
        ExpAvgSq.Dispose();
    }

    private struct StepJob : IParallelJob
    {
        public float* P, G, M, V;
        public Segment* Segments;
        public int SegmentCount;
        public long Length;
        public AdamWCoefficients Decay, NoDecay;

        public void Execute(int begin, int end, int thread)
        {
            long lo = (long)begin * TrainableSegments.BlockFloats;
            long hi = Math.Min((long)end * TrainableSegments.BlockFloats, Length);
            for (int k = TrainableSegments.FirstEndingAfter(Segments, SegmentCount, lo); k < SegmentCount && Segments[k].Offset < hi; k++)
            {
                long a = Math.Max(lo, Segments[k].Offset);
                long b = Math.Min(hi, Segments[k].Offset + Segments[k].Length);
                OptimKernels.AdamWUpdate(P + a, G + a, M + a, V + a, b - a, Segments[k].Decay ? Decay : NoDecay);
            }
        }
    }
}
