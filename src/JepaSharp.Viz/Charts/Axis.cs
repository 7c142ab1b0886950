namespace JepaSharp.Viz.Charts;

/// <summary>
/// One axis of a chart: its data range (widened to nice ticks), its ticks and labels, and the map from data to
/// pixels once the chart has placed it. Values an axis cannot place (NaN, ±∞, ≤ 0 on a log axis) are skipped
/// by every chart, never drawn at a made-up position.
/// </summary>
public sealed class Axis
{
    private double _pixelFrom, _pixelTo;

    private Axis(AxisScale scale, double min, double max, double[] ticks, string[] labels)
    {
        Scale = scale;
        Min = min;
        Max = max;
        Ticks = ticks;
        Labels = labels;
    }

    public AxisScale Scale { get; }
    public double Min { get; }
    public double Max { get; }
    public IReadOnlyList<double> Ticks { get; }
    public IReadOnlyList<string> Labels { get; }

    /// <summary>True when <paramref name="value"/> has a place on an axis of this scale.</summary>
    public static bool Placeable(double value, AxisScale scale) => double.IsFinite(value) && (scale == AxisScale.Linear || value > 0);

    public bool CanPlace(double value) => Placeable(value, Scale);

    /// <summary>An axis whose nice ticks enclose every placeable value; [0, 1] when there is none.</summary>
    public static Axis Fit(IEnumerable<double> values, AxisScale scale = AxisScale.Linear, int targetTicks = 5, bool includeZero = false)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (!Placeable(v, scale)) continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (min > max) (min, max) = scale == AxisScale.Log ? (1, 10) : (0, 1);
        if (includeZero && scale == AxisScale.Linear) (min, max) = (Math.Min(min, 0), Math.Max(max, 0));
        double[] ticks = scale == AxisScale.Log ? NiceTicks.Log(min, max, targetTicks) : NiceTicks.Linear(min, max, targetTicks);
        return new Axis(scale, ticks[0], ticks[^1], ticks, NiceTicks.Labels(ticks, scale));
    }

    /// <summary>A linear axis over exactly [min, max] with nice ticks inside it (heatmap cells, image extents).</summary>
    public static Axis Exact(double min, double max, int targetTicks = 5)
    {
        var ticks = NiceTicks.Linear(min, max, targetTicks).Where(t => t >= min - 1e-9 * Math.Abs(max - min) && t <= max + 1e-9 * Math.Abs(max - min)).ToArray();
        return new Axis(AxisScale.Linear, min, max == min ? min + 1 : max, ticks, NiceTicks.Labels(ticks, AxisScale.Linear));
    }

    /// <summary>Categories 0 … n−1 centred in cells [i − ½, i + ½], labelled by name (every k-th when crowded).</summary>
    public static Axis Categories(IReadOnlyList<string> names, int maxLabels = 24)
    {
        if (names.Count == 0) throw new ArgumentException("a category axis needs at least one category", nameof(names));
        int every = (names.Count + maxLabels - 1) / maxLabels;
        var shown = Enumerable.Range(0, names.Count).Where(i => i % every == 0).ToArray();
        return new Axis(AxisScale.Linear, -0.5, names.Count - 0.5, [.. shown.Select(i => (double)i)], [.. shown.Select(i => names[i])]);
    }

    /// <summary>Places the axis between two pixel positions (<paramref name="to"/> may be smaller, as for a y axis).</summary>
    public void Place(double from, double to) => (_pixelFrom, _pixelTo) = (from, to);

    public double ToPixel(double value)
    {
        double t = Scale == AxisScale.Log
            ? (Math.Log10(value) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min))
            : (value - Min) / (Max - Min);
        return _pixelFrom + t * (_pixelTo - _pixelFrom);
    }
}
