namespace JepaSharp.Jepa.Schedules;

/// <summary>
/// The weight decay of official <c>CosineWDSchedule</c> (recipe §3.4): a half cosine from the
/// reference value at step 0 to the final value at step T (official configs: it RISES 0.04 →
/// 0.4), clamped so it never passes the final value. Applied only to parameters that take
/// decay. Steps like <see cref="WarmupCosineSchedule"/>: advance, then use.
/// </summary>
public sealed class CosineWeightDecaySchedule
{
    public CosineWeightDecaySchedule(double referenceWeightDecay, double finalWeightDecay, long totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        ReferenceWeightDecay = referenceWeightDecay;
        FinalWeightDecay = finalWeightDecay;
        TotalSteps = totalSteps;
    }

    public double ReferenceWeightDecay { get; }
    public double FinalWeightDecay { get; }
    public long TotalSteps { get; }

    /// <summary>How many times <see cref="Step"/> has run: the step whose value was returned last. Save it to resume.</summary>
    public long StepsTaken { get; private set; }

    /// <summary>Advances to the next step and returns its weight decay.</summary>
    public double Step() => ValueAt(++StepsTaken);

    public void Restore(long stepsTaken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepsTaken);
        StepsTaken = stepsTaken;
    }

    public double ValueAt(long step) => ValueAt(step, ReferenceWeightDecay, FinalWeightDecay, TotalSteps);

    public static double ValueAt(long step, double referenceWeightDecay, double finalWeightDecay, long totalSteps)
    {
        double progress = (double)step / totalSteps;
        double weightDecay = finalWeightDecay + (referenceWeightDecay - finalWeightDecay) * 0.5 * (1.0 + Math.Cos(Math.PI * progress));
        return finalWeightDecay <= referenceWeightDecay
            ? Math.Max(finalWeightDecay, weightDecay)
            : Math.Min(finalWeightDecay, weightDecay);
    }
}
