using System.Globalization;
using System.Net;
using System.Text;

namespace JepaSharp.Viz.Charts;

/// <summary>One named series of (x, y) points.</summary>
public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, string Color);

/// <summary>
/// A self-contained SVG line chart (axes, ticks, legend) for reports: no plotting library is on
/// our registry, and SVG stays sharp at any zoom and embeds directly in HTML.
/// </summary>
public static class SvgLineChart
{
    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<Series> series, int width = 720, int height = 360, bool logY = false)
    {
        const int left = 70, right = 20, top = 36, bottom = 48;
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logY || p.Y > 0)).ToList();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{Escape(title)}</text>");
        if (points.Count == 0)
            return svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"{height / 2}\" text-anchor=\"middle\">no data</text></svg>").ToString();

        double xMin = points.Min(p => p.X), xMax = points.Max(p => p.X);
        double yMin = points.Min(p => T(p.Y)), yMax = points.Max(p => T(p.Y));
        if (xMax == xMin) xMax = xMin + 1;
        if (yMax == yMin) (yMin, yMax) = (yMin - 0.5, yMax + 0.5);
        double plotW = width - left - right, plotH = height - top - bottom;
        double Sx(double x) => left + (x - xMin) / (xMax - xMin) * plotW;
        double Sy(double y) => top + (1 - (T(y) - yMin) / (yMax - yMin)) * plotH;
        double T(double y) => logY ? Math.Log10(y) : y;

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#888\"/>");
        for (int i = 0; i <= 5; i++)
        {
            double fx = xMin + i * (xMax - xMin) / 5, fy = yMin + i * (yMax - yMin) / 5;
            double px = Sx(fx), py = top + (1 - i / 5.0) * plotH;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{px:F1}\" y1=\"{top + plotH}\" x2=\"{px:F1}\" y2=\"{top + plotH + 4}\" stroke=\"#888\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{px:F1}\" y=\"{top + plotH + 17}\" text-anchor=\"middle\">{Tick(fx)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{py:F1}\" x2=\"{left + plotW}\" y2=\"{py:F1}\" stroke=\"#eee\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{py + 4:F1}\" text-anchor=\"end\">{Tick(logY ? Math.Pow(10, fy) : fy)}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotW / 2}\" y=\"{height - 10}\" text-anchor=\"middle\">{Escape(xLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{top + plotH / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {top + plotH / 2})\">{Escape(yLabel)}</text>");
        int legendY = top + 14;
        foreach (var s in series)
        {
            var valid = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logY || p.Y > 0)).ToList();
            if (valid.Count > 0)
                svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"1.5\" points=\"{string.Join(' ', valid.Select(p => string.Create(CultureInfo.InvariantCulture, $"{Sx(p.X):F1},{Sy(p.Y):F1}")))}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + plotW - 150}\" y=\"{legendY - 9}\" width=\"10\" height=\"10\" fill=\"{s.Color}\"/><text x=\"{left + plotW - 135}\" y=\"{legendY}\">{Escape(s.Name)}</text>");
            legendY += 16;
        }
        return svg.Append("</svg>").ToString();
    }

    private static string Tick(double v) => Math.Abs(v) >= 1e4 || (Math.Abs(v) < 1e-2 && v != 0)
        ? v.ToString("0.##E+0", CultureInfo.InvariantCulture)
        : v.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
