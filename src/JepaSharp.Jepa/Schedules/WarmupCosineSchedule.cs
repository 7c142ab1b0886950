namespace JepaSharp.Jepa.Schedules;

/// <summary>
/// The learning rate of official <c>WarmupCosineSchedule</c> (recipe §3.4): linear from
/// start_lr to the reference lr over the warmup steps, then a half cosine down to final_lr at
/// step T. <see cref="Step"/> advances BEFORE returning, so the first iteration uses step 1
/// (Q8). Past T the official formula climbs back up; runs never get there because
/// T = int(ipe_scale · epochs · ipe) with ipe_scale ≥ 1.
/// </summary>
public sealed class WarmupCosineSchedule : SteppedSchedule
{
    public WarmupCosineSchedule(double startLr, double referenceLr, double finalLr, long warmupSteps, long totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        StartLr = startLr;
        ReferenceLr = referenceLr;
        FinalLr = finalLr;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    public double StartLr { get; }
    public double ReferenceLr { get; }
    public double FinalLr { get; }
    public long WarmupSteps { get; }
    public long TotalSteps { get; }

    public override double ValueAt(long step) => ValueAt(step, StartLr, ReferenceLr, FinalLr, WarmupSteps, TotalSteps);

    /// <summary>The learning rate at <paramref name="step"/>, in the official code's order of operations.</summary>
    public static double ValueAt(long step, double startLr, double referenceLr, double finalLr, long warmupSteps, long totalSteps)
    {
        if (step < warmupSteps)
        {
            double warmupProgress = (double)step / Math.Max(1, warmupSteps);
            return startLr + warmupProgress * (referenceLr - startLr);
        }
        double progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        return Math.Max(finalLr, finalLr + (referenceLr - finalLr) * 0.5 * (1.0 + Math.Cos(Math.PI * progress)));
    }
}
