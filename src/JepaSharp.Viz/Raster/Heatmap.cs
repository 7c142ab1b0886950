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
        var canvas = new Canvas(columns * cell, rows * cell, new Rgb(235, 235, 235));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                double v = values[r * columns + c];
                if (double.IsNaN(v)) continue;
                var colour = map.Map(v, min, max);
                canvas.FillRect(c * cell, r * cell, cell, cell, colour);
                if (format is null) continue;
                string text = v.ToString(format, CultureInfo.InvariantCulture);
                var ink = 0.299 * colour.R + 0.587 * colour.G + 0.114 * colour.B > 140 ? Rgb.Black : Rgb.White;
                BitmapFont.DrawCentered(canvas, text, c * cell + cell / 2, r * cell + (cell - BitmapFont.LineHeight(fontScale)) / 2, ink, fontScale);
            }
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
        int cellW = image.Width / gridW, cellH = image.Height / gridH;
        for (int p = 0; p < values.Length; p++)
        {
            if (float.IsNaN(values[p])) continue;
            int x0 = p % gridW * cellW, y0 = p / gridW * cellH;
            for (int y = y0; y < y0 + cellH; y++)
                for (int x = x0; x < x0 + cellW; x++) result[x, y] = image[x, y].Blend(heat[x, y], alpha);
        }
        return result;
    }

    /// <summary>Minimum and maximum of the non-NaN values (0, 1 when there are none).</summary>
    public static (double Min, double Max) Range(ReadOnlySpan<float> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (float v in values)
            if (!float.IsNaN(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        return double.IsInfinity(min) ? (0, 1) : (min, max);
    }
}
