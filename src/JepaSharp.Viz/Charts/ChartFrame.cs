namespace JepaSharp.Viz.Charts;

/// <summary>What every chart shares: its size, title, axis labels and scales.</summary>
public sealed record ChartOptions(string Title, string XLabel = "", string YLabel = "")
{
    public int Width { get; init; } = 880;
    public int Height { get; init; } = 380;
    public AxisScale XScale { get; init; } = AxisScale.Linear;
    public AxisScale YScale { get; init; } = AxisScale.Linear;
    /// <summary>A second, smaller title line (e.g. the numbers the figure is about).</summary>
    public string? Subtitle { get; init; }
}

public enum LegendMark { Line, Box, Dot }

public readonly record struct LegendEntry(string Name, string Color, LegendMark Mark = LegendMark.Line);

/// <summary>
/// The layout every chart is drawn in: title, plot area, grid, ticks, axis labels, and a legend in a column to
/// the right of the plot so it never hides data. Charts create a frame, draw inside <see cref="Plot"/> through
/// the placed axes, and call <see cref="Finish"/>.
/// </summary>
public sealed class ChartFrame
{
    private const double CharWidth = 6.8, LegendRow = 17;
    private readonly IReadOnlyList<LegendEntry> _legend;

    /// <param name="yDown">Put the y axis's minimum at the top (image rows), instead of at the bottom.</param>
    public ChartFrame(ChartOptions options, Axis x, Axis y, IReadOnlyList<LegendEntry>? legend = null, double reserveRight = 0, bool yDown = false)
    {
        Options = options;
        X = x;
        Y = y;
        _legend = legend ?? [];
        Svg = new Svg(options.Width, options.Height);
        double legendWidth = _legend.Count == 0 ? 0 : 34 + CharWidth * Math.Min(28, _legend.Max(e => e.Name.Length));
        double top = options.Subtitle is null ? 34 : 50;
        double left = 22 + CharWidth * Math.Max(3, y.Labels.Max(l => l.Length)) + (options.YLabel.Length > 0 ? 18 : 0);
        double bottom = 40 + (options.XLabel.Length > 0 ? 14 : 0);
        Plot = (left, top, options.Width - 16 - legendWidth - reserveRight, options.Height - bottom);
        x.Place(Plot.Left, Plot.Right);
        if (yDown) y.Place(Plot.Top, Plot.Bottom);
        else y.Place(Plot.Bottom, Plot.Top);
        DrawAxes();
    }

    public ChartOptions Options { get; }
    public Axis X { get; }
    public Axis Y { get; }
    public Svg Svg { get; }
    public (double Left, double Top, double Right, double Bottom) Plot { get; }

    /// <summary>Writes "no data" in the middle of the plot (every value was missing or unplaceable).</summary>
    public void NoData() => Svg.Text((Plot.Left + Plot.Right) / 2, (Plot.Top + Plot.Bottom) / 2, "no data", "middle", 14, fill: "#888");

    public string Finish()
    {
        Svg.Rect(Plot.Left, Plot.Top, Plot.Right - Plot.Left, Plot.Bottom - Plot.Top, "none", "#999");
        double y = Plot.Top + 6;
        foreach (var entry in _legend)
        {
            double x = Plot.Right + 12;
            switch (entry.Mark)
            {
                case LegendMark.Line: Svg.Line(x, y + 6, x + 16, y + 6, entry.Color, 2.5); break;
                case LegendMark.Box: Svg.Rect(x + 2, y, 12, 12, entry.Color); break;
                default: Svg.Circle(x + 8, y + 6, 4.5, entry.Color); break;
            }
            string name = entry.Name.Length > 28 ? entry.Name[..27] + "…" : entry.Name;
            Svg.Text(x + 22, y + 10, name);
            y += LegendRow;
        }
        return Svg.Finish();
    }

    private void DrawAxes()
    {
        var (left, top, right, bottom) = Plot;
        Svg.Text(Options.Width / 2.0, 21, Options.Title, "middle", 14, bold: true);
        if (Options.Subtitle is { } subtitle) Svg.Text(Options.Width / 2.0, 38, subtitle, "middle", 11.5, fill: "#555");
        for (int i = 0; i < X.Ticks.Count; i++)
        {
            double px = X.ToPixel(X.Ticks[i]);
            Svg.Line(px, top, px, bottom, "#ececec");
            Svg.Line(px, bottom, px, bottom + 4, "#999");
            Svg.Text(px, bottom + 17, X.Labels[i], "middle");
        }
        for (int i = 0; i < Y.Ticks.Count; i++)
        {
            double py = Y.ToPixel(Y.Ticks[i]);
            Svg.Line(left, py, right, py, "#ececec");
            Svg.Line(left - 4, py, left, py, "#999");
            Svg.Text(left - 7, py + 4, Y.Labels[i], "end");
        }
        if (Options.XLabel.Length > 0) Svg.Text((left + right) / 2, Options.Height - 10, Options.XLabel, "middle");
        if (Options.YLabel.Length > 0) Svg.Text(15, (top + bottom) / 2, Options.YLabel, "middle", rotate: -90);
    }
}

/// <summary>Colours: a categorical palette for classes and series (Tableau 10, then 10 lighter variants).</summary>
public static class Palette
{
    private static readonly string[] Categorical =
    [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
        "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
    ];

    public static string Color(int index) => Categorical[((index % Categorical.Length) + Categorical.Length) % Categorical.Length];
}
