namespace JepaSharp.Viz.Charts;

/// <summary>One named series of (x, y) points drawn as a line.</summary>
public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, string Color)
{
    public double Width { get; init; } = 1.6;
}

/// <summary>Line charts: each series a polyline, broken where a point cannot be placed (NaN, ±∞, ≤ 0 on a log axis).</summary>
public static class LineChart
{
    public static string Render(ChartOptions options, IReadOnlyList<Series> series)
    {
        var x = Axis.Fit(series.SelectMany(s => s.Points).Where(p => Axis.Placeable(p.Y, options.YScale)).Select(p => p.X), options.XScale);
        var y = Axis.Fit(series.SelectMany(s => s.Points).Where(p => Axis.Placeable(p.X, options.XScale)).Select(p => p.Y), options.YScale);
        var legend = series.Count > 1 || series.Any(s => s.Name.Length > 0)
            ? series.Select(s => new LegendEntry(s.Name, s.Color)).ToList()
            : null;
        var frame = new ChartFrame(options, x, y, legend);
        bool any = false;
        foreach (var s in series)
        {
            var segment = new List<(double, double)>();
            foreach (var (px, py) in s.Points)
            {
                if (x.CanPlace(px) && y.CanPlace(py))
                {
                    segment.Add((x.ToPixel(px), y.ToPixel(py)));
                    continue;
                }
                frame.Svg.Polyline(segment, s.Color, s.Width);
                any |= segment.Count > 0;
                segment.Clear();
            }
            frame.Svg.Polyline(segment, s.Color, s.Width);
            any |= segment.Count > 0;
        }
        if (!any) frame.NoData();
        return frame.Finish();
    }
}
