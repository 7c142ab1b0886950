using System.Globalization;
using System.Net;
using System.Text;

namespace JepaSharp.Viz.Charts;

/// <summary>
/// The SVG elements every chart is drawn with: numbers in invariant culture at 0.1 px, text escaped, one
/// font. Keeping the writing in one place is what keeps the charts consistent and the files well-formed.
/// </summary>
public sealed class Svg
{
    private readonly StringBuilder _text = new();

    public Svg(double width, double height)
    {
        Width = width;
        Height = height;
        Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">");
        Append($"<rect width=\"{N(width)}\" height=\"{N(height)}\" fill=\"white\"/>");
    }

    public double Width { get; }
    public double Height { get; }

    public void Line(double x1, double y1, double x2, double y2, string stroke, double width = 1) =>
        Append($"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\"/>");

    /// <summary>A rectangle; <paramref name="tooltip"/> becomes a hover title.</summary>
    public void Rect(double x, double y, double width, double height, string fill, string? stroke = null, double opacity = 1, string? tooltip = null)
    {
        Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(Math.Max(0, width))}\" height=\"{N(Math.Max(0, height))}\" fill=\"{fill}\"");
        if (stroke != null) Append($" stroke=\"{stroke}\"");
        if (opacity < 1) Append($" fill-opacity=\"{N2(opacity)}\"");
        if (tooltip == null) Append("/>");
        else Append($"><title>{Escape(tooltip)}</title></rect>");
    }

    public void Circle(double cx, double cy, double r, string fill, double opacity = 1) =>
        Append($"<circle cx=\"{N(cx)}\" cy=\"{N(cy)}\" r=\"{N(r)}\" fill=\"{fill}\"{(opacity < 1 ? $" fill-opacity=\"{N2(opacity)}\"" : "")}/>");

    /// <summary>One polyline through the points; callers split it where a point could not be drawn.</summary>
    public void Polyline(IReadOnlyList<(double X, double Y)> points, string stroke, double width = 1.5)
    {
        if (points.Count == 0) return;
        if (points.Count == 1)
        {
            Circle(points[0].X, points[0].Y, width, stroke);
            return;
        }
        Append("<polyline fill=\"none\" stroke-linejoin=\"round\" points=\"");
        for (int i = 0; i < points.Count; i++) Append($"{(i > 0 ? " " : "")}{N(points[i].X)},{N(points[i].Y)}");
        Append($"\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\"/>");
    }

    public void Text(double x, double y, string text, string anchor = "start", double size = 12, bool bold = false, double rotate = 0, string fill = "#222")
    {
        Append($"<text x=\"{N(x)}\" y=\"{N(y)}\" text-anchor=\"{anchor}\" fill=\"{fill}\"");
        if (size != 12) Append($" font-size=\"{N(size)}\"");
        if (bold) Append(" font-weight=\"bold\"");
        if (rotate != 0) Append($" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"");
        Append($">{Escape(text)}</text>");
    }

    /// <summary>Places a finished chart (another <see cref="Svg"/>'s output) at (x, y): small multiples in one file.</summary>
    public void Embed(string svg, double x, double y)
    {
        if (!svg.StartsWith("<svg ", StringComparison.Ordinal)) throw new ArgumentException("only an <svg> element can be embedded", nameof(svg));
        Append($"<svg x=\"{N(x)}\" y=\"{N(y)}\" ");
        _text.Append(svg, 5, svg.Length - 5);
    }

    public string Finish() => _text.Append("</svg>").ToString();

    /// <summary>Pixel coordinates to 0.1 px: finer is invisible and only makes files bigger.</summary>
    public static string N(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);

    private static string N2(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    private void Append(string text) => _text.Append(text);
}
