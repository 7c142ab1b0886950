using JepaSharp.Viz.Raster;

namespace JepaSharp.Viz.Charts;

/// <summary>
/// A grid of values as coloured cells with a colour bar. Cell (r, c) spans x ∈ [x0 + c·dx, x0 + (c+1)·dx] and
/// y ∈ [y0 + r·dy, y0 + (r+1)·dy]; the y axis grows upwards as in plots, or downwards with
/// <see cref="HeatmapOptions.RowsTopDown"/> (images, patch grids: row 0 at the top). Non-finite cells are left blank.
/// </summary>
public static class HeatmapChart
{
    public static string Render(ChartOptions options, double[,] values, HeatmapOptions heatmap)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        if (rows == 0 || columns == 0) throw new ArgumentException("a heatmap needs at least one row and one column", nameof(values));
        var x = Axis.Exact(heatmap.XRange.Min, heatmap.XRange.Max);
        var y = Axis.Exact(heatmap.YRange.Min, heatmap.YRange.Max);
        var finite = values.Cast<double>().Where(double.IsFinite).ToList();
        var (low, high) = heatmap.ColorRange ?? (finite.Count == 0 ? (0, 1) : (finite.Min(), finite.Max()));
        if (high <= low) high = low + 1;
        var frame = new ChartFrame(options, x, y, reserveRight: 80, yDown: heatmap.RowsTopDown);
        double dx = (heatmap.XRange.Max - heatmap.XRange.Min) / columns, dy = (heatmap.YRange.Max - heatmap.YRange.Min) / rows;
        for (int r = 0; r < rows; r++)
        {
            double ya = y.ToPixel(heatmap.YRange.Min + r * dy), yb = y.ToPixel(heatmap.YRange.Min + (r + 1) * dy);
            double y0 = Math.Min(ya, yb), y1 = Math.Max(ya, yb);
            for (int c = 0; c < columns; c++)
            {
                double v = values[r, c];
                if (!double.IsFinite(v)) continue;
                double x0 = x.ToPixel(heatmap.XRange.Min + c * dx), x1 = x.ToPixel(heatmap.XRange.Min + (c + 1) * dx);
                // A hair of overlap hides the anti-aliasing seams between neighbouring cells.
                frame.Svg.Rect(x0, y0, x1 - x0 + 0.3, y1 - y0 + 0.3, Colormap.Viridis.Map((v - low) / (high - low)).ToHex(), tooltip: $"({r}, {c}): {v:G4}");
            }
        }
        foreach (var (mx, my, label) in heatmap.Markers)
        {
            double px = x.ToPixel(mx), py = y.ToPixel(my);
            frame.Svg.Circle(px, py, 4, "white");
            frame.Svg.Circle(px, py, 2.5, "#d62728");
            frame.Svg.Text(px + 7, py - 6, label, fill: "white", bold: true);
        }
        DrawColorBar(frame, low, high, heatmap.ColorLabel);
        return frame.Finish();
    }

    private static void DrawColorBar(ChartFrame frame, double low, double high, string label)
    {
        var (_, top, right, bottom) = frame.Plot;
        double left = right + 18, width = 14;
        const int steps = 64;
        for (int i = 0; i < steps; i++)
        {
            double y0 = bottom - (i + 1) * (bottom - top) / steps;
            frame.Svg.Rect(left, y0, width, (bottom - top) / steps + 0.5, Colormap.Viridis.Map((i + 0.5) / steps).ToHex());
        }
        frame.Svg.Rect(left, top, width, bottom - top, "none", "#999");
        var scale = Axis.Exact(low, high);
        scale.Place(bottom, top);
        for (int i = 0; i < scale.Ticks.Count; i++)
        {
            double py = scale.ToPixel(scale.Ticks[i]);
            frame.Svg.Line(left + width, py, left + width + 3, py, "#999");
            frame.Svg.Text(left + width + 5, py + 4, scale.Labels[i], size: 10.5);
        }
        if (label.Length > 0) frame.Svg.Text(left + width + 58, (top + bottom) / 2, label, "middle", 11, rotate: -90);
    }
}

/// <summary>Where a heatmap's cells lie and how they are coloured.</summary>
public sealed record HeatmapOptions((double Min, double Max) XRange, (double Min, double Max) YRange)
{
    public bool RowsTopDown { get; init; }
    /// <summary>Value range of the colour scale; the data's range when null.</summary>
    public (double Min, double Max)? ColorRange { get; init; }
    public string ColorLabel { get; init; } = "";
    /// <summary>Labelled points drawn over the cells (e.g. the checkpoint in a loss landscape).</summary>
    public IReadOnlyList<(double X, double Y, string Label)> Markers { get; init; } = [];
}

/// <summary>Small multiples: finished charts laid out in a grid inside one SVG.</summary>
public static class ChartGrid
{
    public static string Compose(IReadOnlyList<string> charts, int columns, double cellWidth, double cellHeight)
    {
        if (charts.Count == 0) throw new ArgumentException("a chart grid needs at least one chart", nameof(charts));
        int rows = (charts.Count + columns - 1) / columns;
        var svg = new Svg(Math.Min(columns, charts.Count) * cellWidth, rows * cellHeight);
        for (int i = 0; i < charts.Count; i++) svg.Embed(charts[i], i % columns * cellWidth, i / columns * cellHeight);
        return svg.Finish();
    }
}
