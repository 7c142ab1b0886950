using System.Globalization;

namespace JepaSharp.Viz.Raster;

/// <summary>Heatmaps: a matrix as coloured cells (optionally with each value written in its cell), and a value map blended over an image.</summary>
public static class Heatmap
{
    /// <summary>
    /// <paramref name="rows"/> × <paramref name="columns"/> values (row-major) as square cells of <paramref name="cell"/>
    /// pixels coloured on [<paramref name="min"/>, <paramref name="max"/>]; with <paramref name="format"/> each value is
    /// written in its cell, in black or white, whichever reads better on the cell colour. NaN cells are light gray.
    /// </summary>
    public static Canvas Cells(ReadOnlySpan<double> values, int rows, int columns, Colormap map, double min, double max, int cell, string? format = null, int fontScale = 1)
    {
        if (values.Length != rows * columns) throw new ArgumentException($"heatmap: {values.Length} values for {rows}x{columns} cells");
        var canvas = new Canvas(columns * cell, rows * cell, Rgb.White);
        for (int i = 0; i < values.Length; i++) canvas.Draw(Cell(values[i], map, min, max, cell, format, fontScale), i % columns * cell, i / columns * cell);
        return canvas;
    }

    /// <summary>One heatmap cell (see <see cref="Cells"/>).</summary>
    public static Canvas Cell(double value, Colormap map, double min, double max, int cell, string? format = null, int fontScale = 1)
    {
        if (double.IsNaN(value)) return new Canvas(cell, cell, new Rgb(235, 235, 235));
        var colour = map.Map(value, min, max);
        var canvas = new Canvas(cell, cell, colour);
        if (format is null) return canvas;
        string text = value.ToString(format, CultureInfo.InvariantCulture);
        var ink = 0.299 * colour.R + 0.587 * colour.G + 0.114 * colour.B > 140 ? Rgb.Black : Rgb.White;
        BitmapFont.DrawCentered(canvas, text, cell / 2, (cell - BitmapFont.LineHeight(fontScale)) / 2, ink, fontScale);
        return canvas;
    }

    /// <summary>
    /// Blends a per-patch value map (gridW × gridH, NaN = no value, left uncovered) over <paramref name="image"/> with
    /// opacity <paramref name="alpha"/>, the map enlarged to the image with <paramref name="interpolation"/>.
    /// </summary>
    public static Canvas Overlay(Canvas image, ReadOnlySpan<float> values, int gridW, int gridH, Colormap map, double min, double max,
        double alpha = 0.6, Interpolation interpolation = Interpolation.Bilinear)
    {
        var heat = Canvas.FromValues(values, gridW, gridH, map, min, max).Resized(image.Width, image.Height, interpolation);
        var result = new Canvas(image.Width, image.Height, Rgb.Black);
        result.Draw(image, 0, 0);
        if (!ContainsNaN(values))
        {
            result.Overlay(heat, 0, 0, alpha);
            return result;
        }
        int cellW = image.Width / gridW, cellH = image.Height / gridH;
        for (int p = 0; p < values.Length; p++)
        {
            if (float.IsNaN(values[p])) continue;
            var cell = new Canvas(cellW, cellH, Rgb.Black);
            cell.Draw(heat, -(p % gridW * cellW), -(p / gridW * cellH));
            result.Overlay(cell, p % gridW * cellW, p / gridW * cellH, alpha);
        }
        return result;
    }

    private static bool ContainsNaN(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (float.IsNaN(v)) return true;
        return false;
    }
}
