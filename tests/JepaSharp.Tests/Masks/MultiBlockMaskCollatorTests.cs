using JepaSharp.Jepa.Masks;
using Xunit;

namespace JepaSharp.Tests.Masks;

public class MultiBlockMaskCollatorTests
{
    public static TheoryData<MaskOptions> Grids() => new(MaskTestGrids.All());

    [Theory]
    [MemberData(nameof(Grids))]
    public void LayoutIsMaskMajorRasterOrderedAndInsideTheBlocks(MaskOptions options)
    {
        const int batchSize = 16;
        foreach (var batch in MaskTestGrids.Batches(options, count: 10, batchSize))
        {
            Assert.Equal((batchSize, options.NumEncMasks, options.NumPredMasks), (batch.BatchSize, batch.NumEnc, batch.NumPred));
            Assert.Equal(options.NumEncMasks * batchSize * batch.KeepEnc, batch.Context.Length);
            Assert.Equal(options.NumPredMasks * batchSize * batch.KeepPred, batch.Targets.Length);
            Assert.True(batch.KeepEnc > options.MinKeep, $"KeepEnc {batch.KeepEnc} ≤ MinKeep {options.MinKeep}");
            Assert.True(batch.KeepPred > options.MinKeep, $"KeepPred {batch.KeepPred} ≤ MinKeep {options.MinKeep}");
            for (int image = 0; image < batchSize; image++)
            {
                for (int m = 0; m < batch.NumPred; m++)
                    AssertAscendingInside(batch.TargetIndices(m, image), batch.TargetBlock(m, image), batch.GridWidth);
                for (int m = 0; m < batch.NumEnc; m++)
                {
                    AssertAscendingInside(batch.ContextIndices(m, image), batch.ContextBlock(m, image), batch.GridWidth);
                    Assert.InRange(batch.ContextLengthsBeforeTruncation[m * batchSize + image], batch.KeepEnc, batch.ContextBlock(m, image).Area);
                }
            }
            Assert.Contains(batch.KeepEnc, batch.ContextLengthsBeforeTruncation);
        }
    }

    private static void AssertAscendingInside(ReadOnlySpan<int> indices, MaskBlock block, int gridWidth)
    {
        for (int k = 0; k < indices.Length; k++)
        {
            if (k > 0) Assert.True(indices[k - 1] < indices[k], $"indices not ascending at {k}: {indices[k - 1]}, {indices[k]}");
            Assert.True(block.Contains(indices[k] / gridWidth, indices[k] % gridWidth), $"patch {indices[k]} outside {block}");
        }
    }

    [Theory]
    [MemberData(nameof(Grids))]
    public void TargetBlocksFollowTheScaleAndAspectRanges(MaskOptions options)
    {
        var batches = MaskTestGrids.Batches(options, count: 20, batchSize: 16);
        foreach (var block in batches.SelectMany(b => b.TargetBlocks))
        {
            // keep = ⌊H·W·s⌋ is split as h ≈ sqrt(keep·ar), w ≈ sqrt(keep/ar), each rounded by at most ½,
            // so h·w differs from keep by at most (h + w)/2 + ¾ and h/w lies between the extremes below.
            double slack = (block.Height + block.Width) / 2.0 + 0.75;
            Assert.InRange(block.Area, (int)(options.PatchCount * options.PredMaskScale.Min) - slack, (int)(options.PatchCount * options.PredMaskScale.Max) + slack);
            Assert.True((block.Height + 0.5) / (block.Width - 0.5) >= options.AspectRatio.Min, $"{block} too wide for {options.AspectRatio}");
            Assert.True((block.Height - 0.5) / (block.Width + 0.5) <= options.AspectRatio.Max, $"{block} too tall for {options.AspectRatio}");
        }

        foreach (var batch in batches)
        {
            int targetSizes = batch.TargetBlocks.Select(b => (b.Height, b.Width)).Distinct().Count();
            int contextSizes = batch.ContextBlocks.Select(b => (b.Height, b.Width)).Distinct().Count();
            if (options.Mode == MaskMode.Faithful || options.ShareBlockSizesInBatch)
                Assert.Equal((1, 1), (targetSizes, contextSizes));
            else
                Assert.True(targetSizes > 1, "fixed mode drew one target size for a whole batch");
        }
    }

    [Fact]
    public void OnlyFaithfulTiesAspectToScale()
    {
        // 7×7: the smallest targets (keep 7) come from the low end of the shared uniform in faithful
        // mode, hence low aspect ratios, so 6-patch blocks are always 2×3; independent draws also give 3×2.
        var sizes = new Dictionary<MaskMode, HashSet<(int, int)>>();
        foreach (var mode in new[] { MaskMode.Faithful, MaskMode.Fixed })
            sizes[mode] = MaskTestGrids.Batches(MaskTestGrids.Grid7 with { Mode = mode }, count: 50, batchSize: 16)
                .SelectMany(b => b.TargetBlocks).Select(b => (b.Height, b.Width)).ToHashSet();
        Assert.Contains((2, 3), sizes[MaskMode.Faithful]);
        Assert.DoesNotContain((3, 2), sizes[MaskMode.Faithful]);
        Assert.Contains((2, 3), sizes[MaskMode.Fixed]);
        Assert.Contains((3, 2), sizes[MaskMode.Fixed]);
    }

    [Theory]
    [MemberData(nameof(Grids))]
    public void ContextExcludesTheTargetsItHadToRespect(MaskOptions options)
    {
        foreach (var batch in MaskTestGrids.Batches(options, count: 10, batchSize: 16))
            for (int image = 0; image < batch.BatchSize; image++)
                for (int m = 0; m < batch.NumEnc; m++)
                {
                    var full = MaskTestGrids.ExpectedContext(batch, m, image, options.AllowOverlap);
                    Assert.Equal(full.Count, batch.ContextLengthsBeforeTruncation[m * batch.BatchSize + image]);
                    Assert.Subset(full.ToHashSet(), batch.ContextIndices(m, image).ToArray().ToHashSet());
                }
    }

    [Fact]
    public void OfficialGridsNeverNeedToRelaxTheExclusion()
    {
        foreach (var options in MaskTestGrids.All().Where(o => o.GridHeight > 7))
        {
            var batches = MaskTestGrids.Batches(options, count: 20, batchSize: 32);
            Assert.All(batches, batch => Assert.All(batch.ContextRelaxedTargets, relaxed => Assert.Equal(0, relaxed)));
            foreach (var batch in batches)
                for (int image = 0; image < batch.BatchSize; image++)
                {
                    var context = batch.ContextIndices(0, image).ToArray();
                    for (int m = 0; m < batch.NumPred; m++)
                        Assert.DoesNotContain(context, patch => batch.TargetBlock(m, image).Contains(patch / batch.GridWidth, patch % batch.GridWidth));
                }
        }
    }

    [Fact]
    public void AllowOverlapKeepsTheWholeContextBlock()
    {
        var options = MaskTestGrids.Grid7 with { AllowOverlap = true };
        foreach (var batch in MaskTestGrids.Batches(options, count: 10, batchSize: 16))
        {
            Assert.Equal(batch.ContextBlocks.Select(b => b.Area), batch.ContextLengthsBeforeTruncation);
            Assert.All(batch.ContextRelaxedTargets, relaxed => Assert.Equal(0, relaxed));
        }
    }

    [Theory]
    [InlineData(MaskMode.Faithful)]
    [InlineData(MaskMode.Fixed)]
    public void TruncationKeepsPrefixWhenFaithfulAndASubsetWhenFixed(MaskMode mode)
    {
        var options = new MaskOptions(16, 16) { Mode = mode };
        int truncated = 0, prefixes = 0;
        foreach (var batch in MaskTestGrids.Batches(options, count: 5, batchSize: 32))
            for (int image = 0; image < batch.BatchSize; image++)
            {
                var full = MaskTestGrids.ExpectedContext(batch, 0, image, allowOverlap: false);
                if (full.Count == batch.KeepEnc) continue;
                truncated++;
                if (batch.ContextIndices(0, image).SequenceEqual(full.Take(batch.KeepEnc).ToArray())) prefixes++;
            }
        Assert.True(truncated > 100, $"only {truncated} contexts were truncated");
        if (mode == MaskMode.Faithful) Assert.Equal(truncated, prefixes);
        // A random subset equals the prefix by chance only when few patches are dropped.
        else Assert.True(prefixes < truncated / 10, $"{prefixes} of {truncated} truncated contexts kept the raster prefix");
    }

    [Fact]
    public void SameSeedAndBatchIndexGiveIdenticalMasks()
    {
        foreach (var options in MaskTestGrids.All())
        {
            var a = new MultiBlockMaskCollator(options, seed: 42).Sample(16, batchIndex: 7);
            var b = new MultiBlockMaskCollator(options, seed: 42).Sample(16, batchIndex: 7);
            Assert.Equal((a.KeepEnc, a.KeepPred), (b.KeepEnc, b.KeepPred));
            Assert.Equal(a.Context, b.Context);
            Assert.Equal(a.Targets, b.Targets);
            Assert.Equal(a.ContextBlocks, b.ContextBlocks);
            Assert.Equal(a.TargetBlocks, b.TargetBlocks);

            var nextBatch = new MultiBlockMaskCollator(options, seed: 42).Sample(16, batchIndex: 8);
            var otherSeed = new MultiBlockMaskCollator(options, seed: 43).Sample(16, batchIndex: 7);
            Assert.NotEqual(a.TargetBlocks, nextBatch.TargetBlocks);
            Assert.NotEqual(a.TargetBlocks, otherSeed.TargetBlocks);
        }
    }

    [Fact]
    public void SamplingIsIndependentOfCallOrderAndThreads()
    {
        var collator = new MultiBlockMaskCollator(MaskTestGrids.Grid7, seed: 5);
        var sequential = Enumerable.Range(0, 32).Select(i => collator.Sample(8, i).Targets).ToArray();
        var parallel = new int[32][];
        Parallel.For(0, 32, i => parallel[31 - i] = collator.Sample(8, 31 - i).Targets);
        Assert.Equal(sequential, parallel);
    }

    [Fact]
    public void UnreachableMinKeepIsRejectedAtConstruction()
    {
        var e = Assert.Throws<ArgumentException>(() => new MultiBlockMaskCollator(new MaskOptions(7, 7), seed: 0));
        Assert.Contains("MinKeep 10 cannot be met", e.Message);
        Assert.Contains("target block can be as small as", e.Message);
        Assert.Contains("at most 5", e.Message);

        var tinyContext = MaskTestGrids.Grid7 with { EncMaskScale = (0.1, 0.1) };
        e = Assert.Throws<ArgumentException>(() => new MultiBlockMaskCollator(tinyContext, seed: 0));
        Assert.Contains("context block can be as small as 2×2 = 4 patches", e.Message);

        // Faithful clamps a block on a one-row grid to height 0.
        e = Assert.Throws<ArgumentException>(() => new MultiBlockMaskCollator(new MaskOptions(1, 16) { MinKeep = 0, Mode = MaskMode.Faithful }, seed: 0));
        Assert.Contains("= 0 patches", e.Message);
    }

    [Fact]
    public void BatchSizeMustBePositive()
    {
        var collator = new MultiBlockMaskCollator(MaskTestGrids.Grid7, seed: 0);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => collator.Sample(0, 0));
        Assert.Equal("batchSize", e.ParamName);
    }
}
