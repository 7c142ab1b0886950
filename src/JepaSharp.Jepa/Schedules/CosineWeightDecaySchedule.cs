namespace JepaSharp.Jepa.Schedules;

/// <summary>
/// The weight decay of official <c>CosineWDSchedule</c> (recipe §3.4): a half cosine from the
/// reference value at step 0 to the final value at step T (official configs: it RISES 0.04 →
/// 0.4), clamped so it never passes the final value. Applied only to parameters that take
/// decay. Advances, then returns (<see cref="SteppedSchedule"/>).
/// </summary>
public sealed class CosineWeightDecaySchedule : SteppedSchedule
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

    public override double ValueAt(long step) => ValueAt(step, ReferenceWeightDecay, FinalWeightDecay, TotalSteps);

    public static double ValueAt(long step, double referenceWeightDecay, double finalWeightDecay, long totalSteps)
    {
        double progress = (double)step / totalSteps;
        double weightDecay = finalWeightDecay + (referenceWeightDecay - finalWeightDecay) * 0.5 * (1.0 + Math.Cos(Math.PI * progress));
        return finalWeightDecay <= referenceWeightDecay
            ? Math.Max(finalWeightDecay, weightDecay)
            : Math.Min(finalWeightDecay, weightDecay);
    }
}
