namespace JepaSharp.Viz.Charts;

/// <summary>Counts of values in equal-width bins.</summary>
/// <param name="Edges">Bins + 1 ascending edges; bin i is [Edges[i], Edges[i+1]), the last bin also holds its right edge.</param>
/// <param name="Skipped">Values left out because they were NaN or infinite.</param>
public sealed record Histogram(double[] Edges, long[] Counts, long Skipped)
{
    /// <summary>Bins finite values over [min, max] of the data (or the given range); non-finite values are counted in <see cref="Skipped"/>.</summary>
    public static Histogram Of(IEnumerable<double> values, int bins, (double Min, double Max)? range = null)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "a histogram needs at least one bin");
        var finite = new List<double>();
        long skipped = 0;
        foreach (double v in values)
            if (double.IsFinite(v)) finite.Add(v);
            else skipped++;
        var (min, max) = range ?? (finite.Count == 0 ? (0, 1) : (finite.Min(), finite.Max()));
        if (max <= min) (min, max) = (min - 0.5, min + 0.5);
        var edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++) edges[i] = min + (max - min) * i / bins;
        var counts = new long[bins];
        foreach (double v in finite)
        {
            if (v < min || v > max) continue;
            counts[Math.Min(bins - 1, (int)((v - min) / (max - min) * bins))]++;
        }
        return new Histogram(edges, counts, skipped);
    }
}

/// <summary>A named group of values for <see cref="HistogramChart"/>.</summary>
public sealed record Sample(string Name, IReadOnlyList<double> Values, string Color);

/// <summary>Histograms of one or more samples over shared bins, overlaid translucently so they can be compared.</summary>
public static class HistogramChart
{
    /// <param name="normalize">Plot fractions of each sample instead of counts, so samples of different sizes compare.</param>
    public static string Render(ChartOptions options, IReadOnlyList<Sample> samples, int bins = 40, bool normalize = false, (double Min, double Max)? range = null)
    {
        var finite = samples.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        range ??= finite.Count == 0 ? (0, 1) : (finite.Min(), finite.Max());
        var histograms = samples.Select(s => Histogram.Of(s.Values, bins, range)).ToList();
        var heights = histograms.Select(h =>
        {
            double total = Math.Max(1, h.Counts.Sum());
            return h.Counts.Select(c => normalize ? c / total : c).ToArray();
        }).ToList();
        var edges = histograms.Count > 0 ? histograms[0].Edges : [0, 1];
        var x = Axis.Fit(edges, options.XScale);
        var y = Axis.Fit(heights.SelectMany(h => h).Append(0), AxisScale.Linear);
        var legend = samples.Count > 1 ? samples.Select(s => new LegendEntry(s.Name, s.Color, LegendMark.Box)).ToList() : null;
        var frame = new ChartFrame(options with { YScale = AxisScale.Linear }, x, y, legend);
        double opacity = samples.Count > 1 ? 0.5 : 0.85;
        for (int s = 0; s < samples.Count; s++)
            for (int b = 0; b < bins; b++)
            {
                if (heights[s][b] <= 0) continue;
                double x0 = x.ToPixel(edges[b]), x1 = x.ToPixel(edges[b + 1]), top = y.ToPixel(heights[s][b]);
                frame.Svg.Rect(x0, top, x1 - x0, y.ToPixel(0) - top, samples[s].Color, opacity: opacity,
                    tooltip: $"{samples[s].Name} [{edges[b]:G4}, {edges[b + 1]:G4}): {histograms[s].Counts[b]}");
            }
        if (finite.Count == 0) frame.NoData();
        return frame.Finish();
    }
}

/// <summary>A named row of bar heights, one per category.</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values, string Color);

/// <summary>Grouped bars: one group per category, one bar per series within it.</summary>
public static class BarChart
{
    public static string Render(ChartOptions options, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series)
    {
        foreach (var s in series)
            if (s.Values.Count != categories.Count)
                throw new ArgumentException($"bar series '{s.Name}' has {s.Values.Count} values for {categories.Count} categories");
        var x = Axis.Categories(categories);
        var y = Axis.Fit(series.SelectMany(s => s.Values).Append(options.YScale == AxisScale.Log ? double.NaN : 0), options.YScale);
        var legend = series.Count > 1 ? series.Select(s => new LegendEntry(s.Name, s.Color, LegendMark.Box)).ToList() : null;
        var frame = new ChartFrame(options, x, y, legend);
        double slot = (x.ToPixel(1) - x.ToPixel(0)) * 0.8, width = slot / Math.Max(1, series.Count);
        double baseline = options.YScale == AxisScale.Log ? y.ToPixel(y.Min) : y.ToPixel(0);
        for (int s = 0; s < series.Count; s++)
            for (int c = 0; c < categories.Count; c++)
            {
                double v = series[s].Values[c];
                if (!y.CanPlace(v)) continue;
                double left = x.ToPixel(c) - slot / 2 + s * width, top = y.ToPixel(v);
                frame.Svg.Rect(left, Math.Min(top, baseline), width * 0.92, Math.Abs(baseline - top), series[s].Color, tooltip: $"{series[s].Name} {categories[c]}: {v:G4}");
            }
        return frame.Finish();
    }
}
