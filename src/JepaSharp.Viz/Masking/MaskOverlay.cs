using JepaSharp.Jepa.Masks;
using JepaSharp.Viz.Raster;

namespace JepaSharp.Viz.Masking;

/// <summary>What one patch of one image is in a mask batch.</summary>
public enum PatchRole
{
    /// <summary>Neither seen as context nor predicted.</summary>
    Unused,
    Context,
    Target,
}

/// <summary>
/// Draws the masks of one image over it: context patches stay as they are, unused patches are darkened, patches of
/// target block m are tinted with <see cref="Rgb.Category"/>(m) and each sampled target rectangle is outlined in its
/// colour. Patches are those the model is fed (after truncation to the batch's shortest lists).
/// </summary>
public static class MaskOverlay
{
    public const double UnusedDarkening = 0.65, TargetTint = 0.55;

    /// <summary>Per patch (row-major): its role and, for targets, the first target mask holding it (−1 otherwise).</summary>
    public static (PatchRole[] Roles, int[] TargetMask) Roles(MaskBatch masks, int image)
    {
        int patches = masks.GridHeight * masks.GridWidth;
        var roles = new PatchRole[patches];
        var target = new int[patches];
        Array.Fill(target, -1);
        for (int m = 0; m < masks.NumEnc; m++)
            foreach (int p in masks.ContextIndices(m, image)) roles[p] = PatchRole.Context;
        for (int m = masks.NumPred - 1; m >= 0; m--)
            foreach (int p in masks.TargetIndices(m, image))
            {
                roles[p] = PatchRole.Target;
                target[p] = m;
            }
        return (roles, target);
    }

    /// <summary>
    /// Draws on <paramref name="display"/>, an image enlarged to a whole number of pixels per patch
    /// (display width / grid width).
    /// </summary>
    public static void Draw(Canvas display, MaskBatch masks, int image)
    {
        int cell = display.Width / masks.GridWidth;
        if (cell < 1 || display.Height / masks.GridHeight != cell)
            throw new ArgumentException($"a {display.Width}x{display.Height} image does not hold whole {masks.GridHeight}x{masks.GridWidth} patches");
        var (roles, targetMask) = Roles(masks, image);
        for (int p = 0; p < roles.Length; p++)
        {
            int x = p % masks.GridWidth * cell, y = p / masks.GridWidth * cell;
            if (roles[p] == PatchRole.Unused) display.BlendRect(x, y, cell, cell, Rgb.Black, UnusedDarkening);
            else if (roles[p] == PatchRole.Target) display.BlendRect(x, y, cell, cell, Rgb.Category(targetMask[p]), TargetTint);
        }
        int thickness = Math.Max(1, cell / 12);
        for (int m = 0; m < masks.NumPred; m++)
        {
            var block = masks.TargetBlock(m, image);
            display.StrokeRect(block.Left * cell, block.Top * cell, block.Width * cell, block.Height * cell, Rgb.Category(m), thickness);
        }
    }

    /// <summary>A key to the colours: context, unused, and each target block.</summary>
    public static Canvas Legend(int targets, int fontScale = 2)
    {
        var entries = new List<(Rgb Colour, string Text)> { (new Rgb(160, 160, 160), "CONTEXT (AS IS)"), (new Rgb(45, 45, 45), "UNUSED (DARKENED)") };
        for (int m = 0; m < targets; m++) entries.Add((Rgb.Category(m), $"TARGET {m + 1}"));
        int line = BitmapFont.LineHeight(fontScale), swatch = line + 4, gap = 16;
        int width = entries.Sum(e => swatch + 6 + BitmapFont.MeasureWidth(e.Text, fontScale) + gap);
        var canvas = new Canvas(width, swatch, Rgb.White);
        int x = 0;
        foreach (var (colour, text) in entries)
        {
            canvas.FillRect(x, 0, swatch, swatch, colour);
            BitmapFont.Draw(canvas, text, x + swatch + 6, 2, new Rgb(20, 20, 20), fontScale);
            x += swatch + 6 + BitmapFont.MeasureWidth(text, fontScale) + gap;
        }
        return canvas;
    }
}
