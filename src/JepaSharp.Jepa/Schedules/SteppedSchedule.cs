namespace JepaSharp.Jepa.Schedules;

/// <summary>
/// A schedule that, like the official schedulers, advances BEFORE returning a value: the first
/// <see cref="Step"/> of a run yields step 1 (recipe Q8). The counter is all the state a resume needs.
/// </summary>
public abstract class SteppedSchedule
{
    /// <summary>How many times <see cref="Step"/> has run: the step whose value was returned last. Save it to resume.</summary>
    public long StepsTaken { get; private set; }

    /// <summary>Advances to the next step and returns its value.</summary>
    public double Step() => ValueAt(++StepsTaken);

    /// <summary>Continues a run that had taken <paramref name="stepsTaken"/> steps (official resume: epochs · ipe).</summary>
    public void Restore(long stepsTaken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepsTaken);
        StepsTaken = stepsTaken;
    }

    public abstract double ValueAt(long step);
}
