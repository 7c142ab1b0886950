using JepaSharp.Jepa.Config;

namespace JepaSharp.Jepa.Schedules;

/// <summary>
/// The three schedules of a run built from its config as the official <c>init_opt</c> and
/// <c>train.py</c> do: T = int(ipe_scale·epochs·ipe) steps, Wu = int(warmup·ipe) warmup steps.
/// Per iteration: <c>LearningRate.Step()</c> and <c>WeightDecay.Step()</c> before the forward
/// pass, <c>Momentum.Next()</c> after the optimizer step.
/// </summary>
public sealed class TrainingSchedule
{
    public TrainingSchedule(TrainConfig config, int iterationsPerEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterationsPerEpoch, 1);
        var optimization = config.Optimization;
        IterationsPerEpoch = iterationsPerEpoch;
        // Same operand order as the official int(ipe_scale*num_epochs*iterations_per_epoch): float rounding then agrees.
        TotalSteps = (long)(optimization.IpeScale * optimization.Epochs * iterationsPerEpoch);
        WarmupSteps = (long)(optimization.Warmup * iterationsPerEpoch);
        TrainingSteps = (long)iterationsPerEpoch * optimization.Epochs;
        LearningRate = new WarmupCosineSchedule(optimization.StartLr, optimization.Lr, optimization.FinalLr, WarmupSteps, TotalSteps);
        WeightDecay = new CosineWeightDecaySchedule(optimization.WeightDecay, optimization.FinalWeightDecay, TotalSteps);
        Momentum = new MomentumSchedule(optimization.Ema.Start, optimization.Ema.End, iterationsPerEpoch, optimization.Epochs, optimization.IpeScale);
    }

    public int IterationsPerEpoch { get; }

    /// <summary>T: the length the lr and wd schedules are stretched to (≥ <see cref="TrainingSteps"/>).</summary>
    public long TotalSteps { get; }

    /// <summary>Wu: warmup steps of the learning rate.</summary>
    public long WarmupSteps { get; }

    /// <summary>Iterations the run actually performs: epochs · ipe.</summary>
    public long TrainingSteps { get; }

    public WarmupCosineSchedule LearningRate { get; }
    public CosineWeightDecaySchedule WeightDecay { get; }
    public MomentumSchedule Momentum { get; }

    /// <summary>
    /// Puts all three schedules where they stand after <paramref name="iterationsDone"/>
    /// complete iterations (official resume at epoch E: E · ipe).
    /// </summary>
    public void Restore(long iterationsDone)
    {
        LearningRate.Restore(iterationsDone);
        WeightDecay.Restore(iterationsDone);
        Momentum.Restore(iterationsDone);
    }
}
