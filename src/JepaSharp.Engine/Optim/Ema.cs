using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Optim;

/// <summary>Exponential moving average of parameters: I-JEPA's target encoder following the context encoder.</summary>
public static unsafe class Ema
{
    /// <summary>
    /// target ← momentum·target + (1 − momentum)·source over the whole flat buffer, fixed tensors
    /// included (I-JEPA averages every parameter of the encoder, its frozen position table too).
    /// </summary>
    public static void Update(ParameterSet target, ParameterSet source, double momentum, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        if (!(momentum >= 0 && momentum <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "EMA momentum must lie in [0, 1]");
        target.RequireSameLayout(source);
        var job = new LerpJob { Target = target.Values.Pointer, Source = source.Values.Pointer, Length = target.Length, Momentum = momentum };
        TrainableSegments.Run(pool, TrainableSegments.Blocks(job.Length), job.Length, ref job);
    }

    private struct LerpJob : IParallelJob
    {
        public float* Target, Source;
        public long Length;
        public double Momentum;

        public void Execute(int begin, int end, int thread)
        {
            long lo = (long)begin * TrainableSegments.BlockFloats;
            long hi = Math.Min((long)end * TrainableSegments.BlockFloats, Length);
            if (lo < hi) OptimKernels.EmaLerp(Target + lo, Source + lo, hi - lo, Momentum);
        }
    }
}
