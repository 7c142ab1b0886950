namespace JepaSharp.Jepa.Masks;

/// <summary>Averages over sampled batches, per image.</summary>
/// <param name="Batches">Batches summarised.</param>
/// <param name="Images">Images over all batches.</param>
/// <param name="MeanKeepEnc">Context patches per context mask after truncation (what the encoder sees).</param>
/// <param name="MeanKeepPred">Target patches per target mask after truncation (what each predictor pass predicts).</param>
/// <param name="MeanContextBeforeTruncation">Context patches per context mask before truncation to the batch minimum.</param>
/// <param name="MeanContextBlockArea">Area of the sampled context rectangle, before target patches are removed.</param>
/// <param name="MeanTargetBlockArea">Area of one sampled target rectangle.</param>
/// <param name="MeanTargetUnion">Patches per image inside at least one of its target rectangles.</param>
/// <param name="ContextTargetRatio">Kept context patches over kept target patches per image, all masks counted.</param>
/// <param name="RelaxedContextFraction">Fraction of context masks that had to be allowed to overlap a target.</param>
public sealed record MaskSummary(
    int Batches, long Images, double MeanKeepEnc, double MeanKeepPred, double MeanContextBeforeTruncation,
    double MeanContextBlockArea, double MeanTargetBlockArea, double MeanTargetUnion, double ContextTargetRatio,
    double RelaxedContextFraction);

/// <summary>Statistics over many sampled batches, for tests of the sampler and for mask visualisation.</summary>
public static class MaskStatistics
{
    public static MaskSummary Summarize(IEnumerable<MaskBatch> batches)
    {
        int batchCount = 0;
        long images = 0, contextMasks = 0, targetMasks = 0, relaxed = 0;
        double keepEnc = 0, keepPred = 0, contextBefore = 0, contextArea = 0, targetArea = 0, targetUnion = 0, keptContext = 0, keptTargets = 0;
        foreach (var batch in batches)
        {
            batchCount++;
            images += batch.BatchSize;
            contextMasks += batch.ContextBlocks.Length;
            targetMasks += batch.TargetBlocks.Length;
            keepEnc += (double)batch.KeepEnc * batch.ContextBlocks.Length;
            keepPred += (double)batch.KeepPred * batch.TargetBlocks.Length;
            keptContext += batch.Context.Length;
            keptTargets += batch.Targets.Length;
            contextBefore += batch.ContextLengthsBeforeTruncation.Sum(n => (double)n);
            contextArea += batch.ContextBlocks.Sum(b => (double)b.Area);
            targetArea += batch.TargetBlocks.Sum(b => (double)b.Area);
            relaxed += batch.ContextRelaxedTargets.Count(n => n > 0);
            targetUnion += TargetUnionTotal(batch);
        }
        if (batchCount == 0) throw new ArgumentException("no batches to summarise", nameof(batches));
        return new MaskSummary(
            batchCount, images, keepEnc / contextMasks, keepPred / targetMasks, contextBefore / contextMasks,
            contextArea / contextMasks, targetArea / targetMasks, targetUnion / images, keptContext / keptTargets,
            (double)relaxed / contextMasks);
    }

    /// <summary>How often each patch (raster index) occurs in the kept context indices, all masks and images counted.</summary>
    public static long[] ContextCoverage(IEnumerable<MaskBatch> batches) => Coverage(batches, batch => batch.Context);

    /// <summary>How often each patch (raster index) occurs in the kept target indices, all masks and images counted.</summary>
    public static long[] TargetCoverage(IEnumerable<MaskBatch> batches) => Coverage(batches, batch => batch.Targets);

    /// <summary>Block count per height, e.g. over <c>batches.SelectMany(b =&gt; b.TargetBlocks)</c>.</summary>
    public static SortedDictionary<int, long> HeightHistogram(IEnumerable<MaskBlock> blocks) => Histogram(blocks, b => b.Height);

    public static SortedDictionary<int, long> WidthHistogram(IEnumerable<MaskBlock> blocks) => Histogram(blocks, b => b.Width);

    /// <summary>Block count per realised aspect ratio height / width.</summary>
    public static SortedDictionary<double, long> AspectHistogram(IEnumerable<MaskBlock> blocks) => Histogram(blocks, b => (double)b.Height / b.Width);

    public static SortedDictionary<(int Height, int Width), long> SizeHistogram(IEnumerable<MaskBlock> blocks) => Histogram(blocks, b => (b.Height, b.Width));

    private static long[] Coverage(IEnumerable<MaskBatch> batches, Func<MaskBatch, int[]> indices)
    {
        long[]? counts = null;
        foreach (var batch in batches)
        {
            counts ??= new long[batch.GridHeight * batch.GridWidth];
            if (counts.Length != batch.GridHeight * batch.GridWidth)
                throw new ArgumentException($"batches mix grids: {counts.Length} patches, then {batch.GridHeight}×{batch.GridWidth}", nameof(batches));
            foreach (int patch in indices(batch)) counts[patch]++;
        }
        return counts ?? throw new ArgumentException("no batches to count", nameof(batches));
    }

    private static SortedDictionary<TKey, long> Histogram<TKey>(IEnumerable<MaskBlock> blocks, Func<MaskBlock, TKey> key) where TKey : notnull
    {
        var histogram = new SortedDictionary<TKey, long>();
        foreach (var block in blocks)
        {
            var k = key(block);
            histogram[k] = histogram.GetValueOrDefault(k) + 1;
        }
        return histogram;
    }

    private static long TargetUnionTotal(MaskBatch batch)
    {
        long total = 0;
        var covered = new bool[batch.GridHeight * batch.GridWidth];
        for (int image = 0; image < batch.BatchSize; image++)
        {
            Array.Clear(covered);
            for (int m = 0; m < batch.NumPred; m++)
            {
                var block = batch.TargetBlock(m, image);
                for (int row = block.Top; row < block.Top + block.Height; row++)
                    for (int column = block.Left; column < block.Left + block.Width; column++)
                        covered[row * batch.GridWidth + column] = true;
            }
            total += covered.Count(c => c);
        }
        return total;
    }
}
