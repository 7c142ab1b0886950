using JepaSharp.Jepa.Masks;

namespace JepaSharp.Tests.Masks;

/// <summary>Option sets the mask tests run on: the official grids and our 7×7 Fashion-MNIST grid.</summary>
internal static class MaskTestGrids
{
    // MinKeep 10 is unreachable on 7×7 (targets hold at most 9 patches); 4 is the official class default.
    public static MaskOptions Grid7 => new(7, 7) { MinKeep = 4 };

    public static IEnumerable<MaskOptions> All()
    {
        foreach (var mode in new[] { MaskMode.Fixed, MaskMode.Faithful })
        {
            yield return Grid7 with { Mode = mode };
            yield return new MaskOptions(14, 14) { Mode = mode };
            yield return new MaskOptions(16, 16) { Mode = mode };
        }
        yield return Grid7 with { ShareBlockSizesInBatch = true };
    }

    public static List<MaskBatch> Batches(MaskOptions options, int count, int batchSize, long seed = 1)
    {
        var collator = new MultiBlockMaskCollator(options, seed);
        return Enumerable.Range(0, count).Select(i => collator.Sample(batchSize, i)).ToList();
    }

    /// <summary>Raster-order patches of the image's context block outside the target blocks it had to respect.</summary>
    public static List<int> ExpectedContext(MaskBatch batch, int mask, int image, bool allowOverlap)
    {
        var block = batch.ContextBlock(mask, image);
        int respected = allowOverlap ? 0 : batch.NumPred - batch.ContextRelaxedTargets[mask * batch.BatchSize + image];
        var patches = new List<int>();
        for (int row = block.Top; row < block.Top + block.Height; row++)
            for (int column = block.Left; column < block.Left + block.Width; column++)
                if (!Enumerable.Range(0, respected).Any(m => batch.TargetBlock(m, image).Contains(row, column)))
                    patches.Add(row * batch.GridWidth + column);
        return patches;
    }
}
