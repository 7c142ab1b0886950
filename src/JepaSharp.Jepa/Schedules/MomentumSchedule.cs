namespace JepaSharp.Jepa.Schedules;

/// <summary>
/// The target encoder's EMA momentum, as the official generator in <c>train.py</c> (recipe
/// §3.4): m_i = start + i·(end − start)/(ipe·epochs·ipe_scale) for i = 0 …
/// int(ipe·epochs·ipe_scale). Unlike the lr and wd schedules the first update uses i = 0,
/// i.e. exactly <c>start</c> (Q8): <see cref="Next"/> returns, then advances.
/// </summary>
public sealed class MomentumSchedule
{
    public MomentumSchedule(double start, double end, long iterationsPerEpoch, int epochs, double ipeScale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterationsPerEpoch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ipeScale);
        Start = start;
        End = end;
        Span = Denominator(iterationsPerEpoch, epochs, ipeScale);
        Length = (long)Span + 1;
    }

    public double Start { get; }
    public double End { get; }

    /// <summary>ipe·epochs·ipe_scale: the (fractional) index at which the ramp reaches <see cref="End"/>.</summary>
    public double Span { get; }

    /// <summary>How many values the official generator yields; asking for more is an error there and here.</summary>
    public long Length { get; }

    /// <summary>How many values <see cref="Next"/> has returned. Save it to resume.</summary>
    public long StepsTaken { get; private set; }

    /// <summary>Returns the momentum for the next EMA update and advances.</summary>
    /// <exception cref="InvalidOperationException">All <see cref="Length"/> values are used up.</exception>
    public double Next()
    {
        if (StepsTaken >= Length)
            throw new InvalidOperationException($"the momentum schedule has only {Length} values (ipe·epochs·ipe_scale = {Span}) and all were used");
        return ValueAt(StepsTaken++);
    }

    public void Restore(long stepsTaken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepsTaken);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stepsTaken, Length);
        StepsTaken = stepsTaken;
    }

    public double ValueAt(long index) => Start + index * (End - Start) / Span;

    /// <summary>The momentum of update <paramref name="index"/>, in the official code's order of operations.</summary>
    public static double ValueAt(long index, double start, double end, long iterationsPerEpoch, int epochs, double ipeScale) =>
        start + index * (end - start) / Denominator(iterationsPerEpoch, epochs, ipeScale);

    // Python multiplies the two integers exactly before the float scale; keep that order so values match bit for bit.
    private static double Denominator(long iterationsPerEpoch, int epochs, double ipeScale) => iterationsPerEpoch * epochs * ipeScale;
}
