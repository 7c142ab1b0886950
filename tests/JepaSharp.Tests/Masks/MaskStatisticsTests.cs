using JepaSharp.Jepa.Masks;
using Xunit;
using Xunit.Abstractions;

namespace JepaSharp.Tests.Masks;

public class MaskStatisticsTests(ITestOutputHelper output)
{
    [Fact]
    public void FaithfulOn16x16ReproducesTheOfficialStatistics()
    {
        var batches = MaskTestGrids.Batches(new MaskOptions(16, 16) { Mode = MaskMode.Faithful }, count: 50, batchSize: 32);
        Assert.All(batches.SelectMany(b => b.ContextBlocks), block => Assert.Equal(new MaskBlock(0, 0, 15, 15), block));
        var targetAreas = batches.SelectMany(b => b.TargetBlocks).Select(b => b.Area).ToList();
        Assert.InRange(targetAreas.Min(), 35, 54);
        Assert.InRange(targetAreas.Max(), 35, 54);

        // Q1: neither the last row nor the last column is ever context or target.
        foreach (var coverage in new[] { MaskStatistics.ContextCoverage(batches), MaskStatistics.TargetCoverage(batches) })
            for (int i = 0; i < 16; i++)
            {
                Assert.Equal(0, coverage[15 * 16 + i]);
                Assert.Equal(0, coverage[i * 16 + 15]);
            }

        var summary = MaskStatistics.Summarize(batches);
        output.WriteLine(summary.ToString());
        Assert.InRange(summary.MeanTargetBlockArea, 42, 48);             // recipe §1.5: mean ≈ 45
        Assert.InRange(summary.MeanContextBeforeTruncation, 103, 115);   // ≈ 109
    }

    [Fact]
    public void FixedModeCoversEveryRowAndColumnAndMovesTheContext()
    {
        var batches = MaskTestGrids.Batches(new MaskOptions(16, 16), count: 200, batchSize: 16);
        var targets = MaskStatistics.TargetCoverage(batches);
        var context = MaskStatistics.ContextCoverage(batches);
        for (int i = 0; i < 16; i++)
        {
            Assert.True(Enumerable.Range(0, 16).Sum(c => targets[i * 16 + c]) > 0, $"row {i} never a target");
            Assert.True(Enumerable.Range(0, 16).Sum(r => targets[r * 16 + i]) > 0, $"column {i} never a target");
        }
        Assert.All(targets, count => Assert.True(count > 0));
        Assert.All(context, count => Assert.True(count > 0));
        var contextBlocks = batches.SelectMany(b => b.ContextBlocks).ToList();
        Assert.Contains(contextBlocks, block => block.Top > 0);
        Assert.Contains(contextBlocks, block => block.Left > 0);
        Assert.Contains(contextBlocks, block => block.Height == 16);
    }

    [Fact]
    public void HistogramsAndCoverageCountEveryBlockAndIndex()
    {
        var batches = MaskTestGrids.Batches(MaskTestGrids.Grid7, count: 10, batchSize: 8);
        var blocks = batches.SelectMany(b => b.TargetBlocks).ToList();
        Assert.Equal(blocks.Count, MaskStatistics.HeightHistogram(blocks).Values.Sum());
        Assert.Equal(blocks.Count, MaskStatistics.WidthHistogram(blocks).Values.Sum());
        Assert.Equal(blocks.Count, MaskStatistics.AspectHistogram(blocks).Values.Sum());
        Assert.Equal(blocks.Count(b => b.Height == 2), MaskStatistics.HeightHistogram(blocks).GetValueOrDefault(2));
        Assert.Equal(blocks.Count(b => (b.Height, b.Width) == (3, 3)), MaskStatistics.SizeHistogram(blocks).GetValueOrDefault((3, 3)));
        Assert.Equal(batches.Sum(b => (long)b.Context.Length), MaskStatistics.ContextCoverage(batches).Sum());
        Assert.Equal(batches.Sum(b => (long)b.Targets.Length), MaskStatistics.TargetCoverage(batches).Sum());
        Assert.Throws<ArgumentException>(() => MaskStatistics.Summarize([]));
    }

    [Fact]
    public void FaithfulOn16x16AtBatch128MatchesTheOfficialLog()
    {
        // ijepa issue #35, ViT-H/14: "masks: 68.8 44.1" (KeepEnc, KeepPred).
        var summary = MaskStatistics.Summarize(MaskTestGrids.Batches(new MaskOptions(16, 16) { Mode = MaskMode.Faithful }, count: 20, batchSize: 128));
        output.WriteLine(summary.ToString());
        Assert.InRange(summary.MeanKeepEnc, 64, 74);
        Assert.InRange(summary.MeanKeepPred, 40, 48);
    }

    /// <summary>Our Fashion-MNIST grid at its training batch size; logs the numbers that guide its mask config.</summary>
    [Theory]
    [InlineData(MaskMode.Fixed, false)]
    [InlineData(MaskMode.Fixed, true)]
    [InlineData(MaskMode.Faithful, false)]
    public void Grid7x7AtBatch128(MaskMode mode, bool shareSizes)
    {
        var batches = MaskTestGrids.Batches(MaskTestGrids.Grid7 with { Mode = mode, ShareBlockSizesInBatch = shareSizes }, count: 50, batchSize: 128);
        var summary = MaskStatistics.Summarize(batches);
        output.WriteLine(summary.ToString());
        output.WriteLine("target sizes: " + Sizes(batches.SelectMany(b => b.TargetBlocks)));
        output.WriteLine("context sizes: " + Sizes(batches.SelectMany(b => b.ContextBlocks)));
        output.WriteLine("context coverage:\n" + Grid(MaskStatistics.ContextCoverage(batches)));
        output.WriteLine("target coverage:\n" + Grid(MaskStatistics.TargetCoverage(batches)));

        if (mode == MaskMode.Faithful)
        {
            // Q1 + Q2: the context block is pinned to the top-left 6×6.
            Assert.All(batches.SelectMany(b => b.ContextBlocks), block => Assert.Equal(new MaskBlock(0, 0, 6, 6), block));
            return;
        }
        // small-scale-remedies.md §0 (simulated): target ≈ 8 patches, union of 4 ≈ 24, context ≈ 23 before truncation.
        Assert.InRange(summary.MeanTargetBlockArea, 7.5, 8.7);
        Assert.InRange(summary.MeanTargetUnion, 22, 25);
        Assert.InRange(summary.MeanContextBeforeTruncation, 22, 26);
        if (shareSizes)
            Assert.InRange(summary.MeanKeepEnc, 13, 19);    // ≈ 15 after truncation at batch 128
        else
            Assert.Equal(6, summary.MeanKeepPred);          // per-image sizes: always cut to the smallest block, 2×3
    }

    private static string Sizes(IEnumerable<MaskBlock> blocks) =>
        string.Join(", ", MaskStatistics.SizeHistogram(blocks).Select(kv => $"{kv.Key.Height}×{kv.Key.Width}: {kv.Value}"));

    private static string Grid(long[] counts) =>
        string.Join("\n", counts.Chunk(7).Select(row => string.Join(" ", row.Select(c => c.ToString().PadLeft(6)))));
}
