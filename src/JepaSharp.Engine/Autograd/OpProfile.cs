using System.Diagnostics;

namespace JepaSharp.Engine.Autograd;

/// <summary>
/// Wall time per op name, forward and backward, accumulated over steps. Forward time is what
/// elapsed since the previous recorded op (or the graph's reset), so it includes whatever ran
/// between the two ops; work that records nothing (a no-grad pass) books itself with
/// <see cref="Graph.ProfileSection"/> so it does not land on the next op.
/// </summary>
public sealed class OpProfile
{
    private readonly Dictionary<string, (double Forward, double Backward, long Calls)> _times = new();
    private long _mark = Stopwatch.GetTimestamp();
    private bool _stepRecorded;

    /// <summary>Steps that recorded something while this profile was attached (the divisor of <see cref="Rows"/>).</summary>
    public int Steps { get; private set; }

    /// <summary>Closes the graph's step: it counts only if something was booked since the last one.</summary>
    internal void EndStep()
    {
        if (_stepRecorded) Steps++;
        _stepRecorded = false;
        _mark = Stopwatch.GetTimestamp();
    }

    internal void Forward(string op)
    {
        _stepRecorded = true;
        long now = Stopwatch.GetTimestamp();
        var t = _times.GetValueOrDefault(op);
        _times[op] = (t.Forward + Stopwatch.GetElapsedTime(_mark, now).TotalSeconds, t.Backward, t.Calls + 1);
        _mark = now;
    }

    internal void Backward(string op, long start)
    {
        var t = _times.GetValueOrDefault(op);
        _times[op] = (t.Forward, t.Backward + Stopwatch.GetElapsedTime(start).TotalSeconds, t.Calls);
        _mark = Stopwatch.GetTimestamp();
    }

    /// <summary>Rows of (op, forward ms per step, backward ms per step, calls per step), slowest first.</summary>
    public IReadOnlyList<(string Op, double ForwardMs, double BackwardMs, double Calls)> Rows()
    {
        int steps = Math.Max(1, Steps);
        return _times.Select(kv => (kv.Key, kv.Value.Forward * 1e3 / steps, kv.Value.Backward * 1e3 / steps, kv.Value.Calls / (double)steps))
            .OrderByDescending(r => r.Item2 + r.Item3).ToList();
    }
}
