namespace JepaSharp.Viz.Charts;

/// <summary>Scatter plots of labelled points, one colour per class with a legend.</summary>
public static class ScatterChart
{
    /// <param name="x">Horizontal coordinates.</param>
    /// <param name="y">Vertical coordinates, same length.</param>
    /// <param name="labels">Class of each point in [0, classNames.Count).</param>
    public static string Render(ChartOptions options, IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<int> labels, IReadOnlyList<string> classNames, double radius = 2.2)
    {
        if (x.Count != y.Count || x.Count != labels.Count)
            throw new ArgumentException($"scatter needs as many y values and labels as x values: {x.Count} x, {y.Count} y, {labels.Count} labels");
        var placeable = Enumerable.Range(0, x.Count).Where(i => Axis.Placeable(x[i], options.XScale) && Axis.Placeable(y[i], options.YScale)).ToList();
        var xAxis = Axis.Fit(placeable.Select(i => x[i]), options.XScale);
        var yAxis = Axis.Fit(placeable.Select(i => y[i]), options.YScale);
        var legend = classNames.Select((name, c) => new LegendEntry(name, Palette.Color(c), LegendMark.Dot)).ToList();
        var frame = new ChartFrame(options, xAxis, yAxis, legend);
        // Points go in the order given (datasets interleave classes), so no class is painted over all the others.
        foreach (int i in placeable)
        {
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"point {i} has class {labels[i]}, outside [0, {classNames.Count})");
            frame.Svg.Circle(xAxis.ToPixel(x[i]), yAxis.ToPixel(y[i]), radius, Palette.Color(labels[i]), 0.75);
        }
        if (placeable.Count == 0) frame.NoData();
        return frame.Finish();
    }
}
