namespace JepaSharp.Viz.Raster;

/// <summary>Layout of a <see cref="Montage.Grid"/>: spacing, colours and the optional text around the tiles.</summary>
public sealed record MontageOptions
{
    public int Padding { get; init; } = 6;
    public Rgb Background { get; init; } = Rgb.White;
    public Rgb TextColour { get; init; } = new(20, 20, 20);
    public int FontScale { get; init; } = 2;
    /// <summary>A heading over the whole grid, drawn larger.</summary>
    public string? Title { get; init; }
    /// <summary>Text over each column (may be shorter than the column count).</summary>
    public IReadOnlyList<string>? ColumnLabels { get; init; }
    /// <summary>Text left of each row (may be shorter than the row count).</summary>
    public IReadOnlyList<string>? RowLabels { get; init; }
    /// <summary>Text under each tile, in tile order (null entries draw nothing).</summary>
    public IReadOnlyList<string?>? TileLabels { get; init; }
}

/// <summary>Composes tiles into one figure: grids with labels and padding, side-by-side panels, and colour bars.</summary>
public static class Montage
{
    /// <summary>
    /// Tiles in row-major order, <paramref name="columns"/> a row; every cell takes the size of the largest tile (smaller
    /// tiles are centred) and null tiles leave their cell empty.
    /// </summary>
    public static Canvas Grid(IReadOnlyList<Canvas?> tiles, int columns, MontageOptions? options = null)
    {
        var o = options ?? new MontageOptions();
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "a grid needs at least one column");
        if (tiles.Count == 0) throw new ArgumentException("a grid needs at least one tile");
        int rows = (tiles.Count + columns - 1) / columns;
        int cellW = Math.Max(1, tiles.Max(t => t?.Width ?? 0)), cellH = Math.Max(1, tiles.Max(t => t?.Height ?? 0));
        int line = BitmapFont.LineHeight(o.FontScale), pad = o.Padding;
        int titleH = o.Title is null ? 0 : BitmapFont.LineHeight(o.FontScale + 1) + pad;
        int columnLabelH = o.ColumnLabels is { Count: > 0 } ? line + pad : 0;
        int captionH = o.TileLabels?.Any(l => !string.IsNullOrEmpty(l)) == true ? line + pad / 2 : 0;
        int rowLabelW = o.RowLabels is { Count: > 0 } labels ? labels.Max(l => BitmapFont.MeasureWidth(l, o.FontScale)) + pad : 0;
        int width = pad + rowLabelW + columns * (cellW + pad);
        width = Math.Max(width, o.Title is null ? 0 : BitmapFont.MeasureWidth(o.Title, o.FontScale + 1) + 2 * pad);
        int height = pad + titleH + columnLabelH + rows * (cellH + captionH + pad);
        var canvas = new Canvas(width, height, o.Background);
        if (o.Title is not null) BitmapFont.Draw(canvas, o.Title, pad, pad, o.TextColour, o.FontScale + 1);
        int top = pad + titleH + columnLabelH, left = pad + rowLabelW;
        for (int c = 0; c < Math.Min(columns, o.ColumnLabels?.Count ?? 0); c++)
            BitmapFont.DrawCentered(canvas, o.ColumnLabels![c], left + c * (cellW + pad) + cellW / 2, pad + titleH, o.TextColour, o.FontScale);
        for (int r = 0; r < rows; r++)
        {
            int y = top + r * (cellH + captionH + pad);
            if (r < (o.RowLabels?.Count ?? 0)) BitmapFont.Draw(canvas, o.RowLabels![r], pad, y + (cellH - line) / 2, o.TextColour, o.FontScale);
            for (int c = 0; c < columns && r * columns + c < tiles.Count; c++)
            {
                int index = r * columns + c, x = left + c * (cellW + pad);
                if (tiles[index] is { } tile) canvas.Draw(tile, x + (cellW - tile.Width) / 2, y + (cellH - tile.Height) / 2);
                if (o.TileLabels is { } captions && index < captions.Count && !string.IsNullOrEmpty(captions[index]))
                    BitmapFont.DrawCentered(canvas, captions[index]!, x + cellW / 2, y + cellH + pad / 2, o.TextColour, o.FontScale);
            }
        }
        return canvas;
    }

    /// <summary>Panels left to right, vertically centred, <paramref name="padding"/> apart and around.</summary>
    public static Canvas Beside(IReadOnlyList<Canvas> panels, int padding = 6, Rgb? background = null)
    {
        int width = padding + panels.Sum(p => p.Width + padding), height = panels.Max(p => p.Height) + 2 * padding;
        var canvas = new Canvas(width, height, background ?? Rgb.White);
        int x = padding;
        foreach (var panel in panels)
        {
            canvas.Draw(panel, x, padding + (height - 2 * padding - panel.Height) / 2);
            x += panel.Width + padding;
        }
        return canvas;
    }

    /// <summary>Panels top to bottom, left-aligned, <paramref name="padding"/> apart and around.</summary>
    public static Canvas Stacked(IReadOnlyList<Canvas> panels, int padding = 6, Rgb? background = null)
    {
        int width = panels.Max(p => p.Width) + 2 * padding, height = padding + panels.Sum(p => p.Height + padding);
        var canvas = new Canvas(width, height, background ?? Rgb.White);
        int y = padding;
        foreach (var panel in panels)
        {
            canvas.Draw(panel, padding, y);
            y += panel.Height + padding;
        }
        return canvas;
    }

    /// <summary>
    /// A vertical colour bar <paramref name="height"/> pixels tall for values [<paramref name="min"/>, <paramref name="max"/>]
    /// (max at the top), with the end and middle values written beside it in <paramref name="format"/>.
    /// </summary>
    public static Canvas Colorbar(Colormap map, double min, double max, int height, string format = "0.00", int fontScale = 2, string? label = null)
    {
        const int barWidth = 16;
        int line = BitmapFont.LineHeight(fontScale);
        string[] ticks = [max.ToString(format, System.Globalization.CultureInfo.InvariantCulture),
            ((min + max) / 2).ToString(format, System.Globalization.CultureInfo.InvariantCulture),
            min.ToString(format, System.Globalization.CultureInfo.InvariantCulture)];
        int textW = ticks.Max(t => BitmapFont.MeasureWidth(t, fontScale));
        int labelH = label is null ? 0 : line + 6;
        int barH = Math.Max(height - labelH, 2 * line);
        int width = Math.Max(barWidth + 6 + textW, label is null ? 0 : BitmapFont.MeasureWidth(label, fontScale));
        var canvas = new Canvas(width, barH + labelH + line, Rgb.White);
        if (label is not null) BitmapFont.Draw(canvas, label, 0, 0, new Rgb(20, 20, 20), fontScale);
        int top = labelH + line / 2;
        for (int y = 0; y < barH; y++) canvas.FillRect(0, top + y, barWidth, 1, map.Map(1 - y / (double)Math.Max(barH - 1, 1)));
        canvas.StrokeRect(0, top, barWidth, barH, new Rgb(60, 60, 60));
        for (int i = 0; i < 3; i++)
            BitmapFont.Draw(canvas, ticks[i], barWidth + 6, top + i * (barH - 1) / 2 - line / 2, new Rgb(20, 20, 20), fontScale);
        return canvas;
    }
}
