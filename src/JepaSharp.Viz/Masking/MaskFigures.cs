using JepaSharp.Jepa.Masks;
using JepaSharp.Viz.Raster;

namespace JepaSharp.Viz.Masking;

/// <summary>Pictures of the multi-block masks: over real images, their coverage, faithful vs fixed sampling, and an animation.</summary>
public static class MaskFigures
{
    /// <summary>Image <paramref name="i"/> enlarged <paramref name="scale"/> times with the masks of image <paramref name="inBatch"/> of <paramref name="masks"/>.</summary>
    public static Canvas Masked(ModelImages images, int i, MaskBatch masks, int inBatch, int scale)
    {
        var display = images.Display(i, scale);
        MaskOverlay.Draw(display, masks, inBatch);
        return display;
    }

    /// <summary>Every image of <paramref name="images"/> with its masks from one sampled batch (the batch holds exactly these images).</summary>
    public static Figure Grid(FigureWriter writer, ModelImages images, MultiBlockMaskCollator collator, long batchIndex, int scale, int columns = 4)
    {
        var masks = collator.Sample(images.Count, batchIndex);
        var tiles = Enumerable.Range(0, images.Count).Select(i => (Canvas?)Masked(images, i, masks, i, scale)).ToList();
        var captions = Enumerable.Range(0, images.Count).Select(i => (string?)$"CTX {Visible(masks, i)} TGT {masks.NumPred}X{masks.KeepPred}").ToList();
        var grid = Montage.Grid(tiles, columns, new MontageOptions { TileLabels = captions, Title = $"MULTI-BLOCK MASKS ({collator.Options.Mode.ToString().ToUpperInvariant()} SAMPLER)" });
        var figure = Montage.Stacked([grid, MaskOverlay.Legend(masks.NumPred)]);
        return writer.SavePng(figure, "masks_grid.png", "Multi-block masks over real images",
            $"Batch {batchIndex} of the {collator.Options.Mode} sampler (seed {collator.Seed}) over {images.Count} images: context patches are shown as they are, "
            + $"unused patches darkened, each of the {masks.NumPred} target blocks tinted and outlined in its own colour. Captions: context patches fed to the "
            + $"encoder, and targets x patches per target after truncation to the batch's shortest lists.", FigureWriter.Masking);
    }

    private static int Visible(MaskBatch masks, int image) => MaskOverlay.Roles(masks, image).Roles.Count(r => r == PatchRole.Context);

    /// <summary>Per-patch fraction of images that have the patch as a target, and as context, over many sampled batches.</summary>
    public static Figure Coverage(FigureWriter writer, MultiBlockMaskCollator collator, int batches, int batchSize, int cell = 48)
    {
        var coverage = MaskCoverage.Measure(collator, batches, batchSize);
        var figure = CoveragePanels(coverage, cell, $"PATCH COVERAGE OVER {coverage.Images} IMAGES");
        return writer.SavePng(figure, "masks_coverage.png", "Per-patch mask coverage",
            $"Fraction of {coverage.Images} sampled images ({batches} batches of {batchSize}, {collator.Options.Mode} sampler) in which each patch is a target "
            + "(left) and context (right), in percent. A uniform sampler gives a flat map; the faithful sampler never reaches the last row and column.",
            FigureWriter.Masking);
    }

    private static Canvas CoveragePanels(MaskCoverage coverage, int cell, string title)
    {
        Canvas Panel(double[] fractions, string label)
        {
            var percent = fractions.Select(f => 100 * f).ToArray();
            var cells = Heatmap.Cells(percent, coverage.GridHeight, coverage.GridWidth, Colormap.Viridis, 0, 100, cell, "0", cell >= 36 ? 2 : 1);
            return Montage.Grid([cells], 1, new MontageOptions { ColumnLabels = [label] });
        }
        var bar = Montage.Colorbar(Colormap.Viridis, 0, 100, coverage.GridHeight * cell, "0", label: "%");
        return Montage.Stacked([TitleStrip(title), Montage.Beside([Panel(coverage.Target, "TARGET"), Panel(coverage.Context, "CONTEXT"), bar])]);
    }

    /// <summary>A line of large text.</summary>
    public static Canvas TitleStrip(string text, int scale = 3)
    {
        var canvas = new Canvas(BitmapFont.MeasureWidth(text, scale) + 4, BitmapFont.LineHeight(scale) + 4, Rgb.White);
        BitmapFont.Draw(canvas, text, 2, 2, new Rgb(20, 20, 20), scale);
        return canvas;
    }

    /// <summary>The same images and batch under the faithful and the fixed sampler, each row followed by its target coverage.</summary>
    public static Figure SamplerComparison(FigureWriter writer, ModelImages images, MultiBlockMaskCollator faithful, MultiBlockMaskCollator fixedSampler,
        long batchIndex, int scale, int coverageBatches, int coverageBatchSize)
    {
        var rows = new List<Canvas>();
        var options = fixedSampler.Options;
        int cell = images.Size * scale / options.GridWidth;
        foreach (var collator in new[] { faithful, fixedSampler })
        {
            var mode = collator.Options.Mode;
            var masks = collator.Sample(images.Count, batchIndex);
            var tiles = Enumerable.Range(0, images.Count).Select(i => Masked(images, i, masks, i, scale)).ToList();
            var coverage = MaskCoverage.Measure(collator, coverageBatches, coverageBatchSize);
            tiles.Add(Heatmap.Cells(coverage.Target.Select(f => 100 * f).ToArray(), options.GridHeight, options.GridWidth, Colormap.Viridis, 0, 100, cell, "0",
                cell >= 36 ? 2 : 1));
            var labels = Enumerable.Repeat<string?>(null, images.Count).Append("TARGET %").ToList();
            // Labels padded to one width keep the two rows' tiles aligned.
            string label = mode.ToString().ToUpperInvariant().PadRight(nameof(MaskMode.Faithful).Length);
            rows.Add(Montage.Grid(tiles.Cast<Canvas?>().ToList(), tiles.Count, new MontageOptions { RowLabels = [label], TileLabels = labels }));
        }
        rows.Add(MaskOverlay.Legend(options.NumPredMasks));
        var figure = Montage.Stacked([TitleStrip("FAITHFUL VS FIXED SAMPLER"), .. rows]);
        return writer.SavePng(figure, "masks_faithful_vs_fixed.png", "Faithful vs fixed mask sampler",
            $"Batch {batchIndex} (seed {fixedSampler.Seed}) of the official algorithm with its quirks (top) and the fixed sampler (bottom) over the same images; the last "
            + $"tile of each row is the per-patch target frequency over {coverageBatches * coverageBatchSize} images. Faithful placement never uses the last patch "
            + "row and column (its bounds are exclusive) and shares one block size per batch.", FigureWriter.Masking);
    }

    /// <summary>An animated GIF: each frame the next sampled batch's masks over the same images.</summary>
    public static Figure Animation(FigureWriter writer, ModelImages images, MultiBlockMaskCollator collator, int frames, int scale, int delayCentiseconds = 70)
    {
        var canvases = new List<Canvas>(frames);
        for (int f = 0; f < frames; f++)
        {
            var masks = collator.Sample(images.Count, f);
            var tiles = Enumerable.Range(0, images.Count).Select(i => (Canvas?)Masked(images, i, masks, i, scale)).ToList();
            canvases.Add(Montage.Grid(tiles, images.Count, new MontageOptions { Title = $"BATCH {f}" }));
        }
        return writer.Save(GifEncoder.Encode(canvases, delayCentiseconds), "masks_animation.gif", "Successive masks (animation)",
            $"{frames} successive batches of the {collator.Options.Mode} sampler (seed {collator.Seed}) over the same {images.Count} images, "
            + $"{delayCentiseconds * 10} ms a frame; colours as in the mask grid.", FigureWriter.Masking);
    }
}
