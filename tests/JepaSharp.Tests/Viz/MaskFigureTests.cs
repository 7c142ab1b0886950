using JepaSharp.Jepa.Masks;
using JepaSharp.Viz.Masking;
using JepaSharp.Viz.Raster;
using Xunit;

namespace JepaSharp.Tests.Viz;

public class MaskFigureTests
{
    private static readonly MaskOptions SevenBySeven = new(7, 7) { MinKeep = 4, NumPredMasks = 3 };

    [Fact]
    public void OverlayPixelsShowTheSampledContextAndEachTargetInItsColour()
    {
        const int cell = 16;
        var gray = new Rgb(128, 128, 128);
        var masks = new MultiBlockMaskCollator(SevenBySeven, 11).Sample(3, 5);
        for (int image = 0; image < 3; image++)
        {
            var canvas = new Canvas(7 * cell, 7 * cell, gray);
            MaskOverlay.Draw(canvas, masks, image);
            // Expected roles straight from the batch's index lists: targets win over context, as the overlay documents.
            var expected = Enumerable.Repeat(gray.Blend(Rgb.Black, MaskOverlay.UnusedDarkening), 49).ToArray();
            foreach (int p in masks.ContextIndices(0, image)) expected[p] = gray;
            for (int m = SevenBySeven.NumPredMasks - 1; m >= 0; m--)
                foreach (int p in masks.TargetIndices(m, image)) expected[p] = gray.Blend(Rgb.Category(m), MaskOverlay.TargetTint);
            for (int p = 0; p < 49; p++)
                Assert.Equal(expected[p], canvas[p % 7 * cell + cell / 2, p / 7 * cell + cell / 2]);
            // The last target's rectangle is outlined in its colour (drawn last, so nothing covers its corner).
            var block = masks.TargetBlock(SevenBySeven.NumPredMasks - 1, image);
            Assert.Equal(Rgb.Category(SevenBySeven.NumPredMasks - 1), canvas[block.Left * cell, block.Top * cell]);
            Assert.Equal(Rgb.Category(SevenBySeven.NumPredMasks - 1), canvas[(block.Left + block.Width) * cell - 1, (block.Top + block.Height) * cell - 1]);
        }
    }

    [Fact]
    public void OverlayRejectsAnImageThatIsNotWholePatches()
    {
        var masks = new MultiBlockMaskCollator(SevenBySeven, 1).Sample(1, 0);
        Assert.Throws<ArgumentException>(() => MaskOverlay.Draw(new Canvas(70, 60, Rgb.Black), masks, 0));
    }

    [Fact]
    public void CoverageCountsEachImageOnceAndShowsTheFaithfulSamplersBlindEdge()
    {
        var faithful = MaskCoverage.Measure(new MultiBlockMaskCollator(SevenBySeven with { Mode = MaskMode.Faithful }, 3), 20, 16);
        var fixedMode = MaskCoverage.Measure(new MultiBlockMaskCollator(SevenBySeven, 3), 20, 16);
        Assert.Equal(320, faithful.Images);
        foreach (var c in new[] { faithful, fixedMode })
            Assert.All(c.Target.Concat(c.Context), f => Assert.InRange(f, 0.0, 1.0));
        for (int i = 0; i < 7; i++)
        {
            // Q1: faithful placement draws top-left corners from [0, H − h), so the last row and column are never used.
            Assert.Equal(0, faithful.Target[6 * 7 + i]);
            Assert.Equal(0, faithful.Target[i * 7 + 6]);
            Assert.Equal(0, faithful.Context[6 * 7 + i]);
        }
        Assert.True(fixedMode.Target[6 * 7 + 3] > 0 && fixedMode.Target[3 * 7 + 6] > 0);

        // Summed over patches, coverage is the mean number of distinct target patches per image.
        var collator = new MultiBlockMaskCollator(SevenBySeven, 3);
        double distinct = 0;
        for (int b = 0; b < 20; b++)
        {
            var masks = collator.Sample(16, b);
            for (int image = 0; image < 16; image++)
                distinct += Enumerable.Range(0, 3).SelectMany(m => masks.TargetIndices(m, image).ToArray()).Distinct().Count();
        }
        Assert.Equal(distinct / 320, fixedMode.Target.Sum(), 9);
    }
}
