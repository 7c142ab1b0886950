namespace JepaSharp.Jepa.Masks;

/// <summary>
/// Masks for one batch, as flat index arrays in the official <c>apply_masks</c> layout: row
/// r = m·BatchSize + b of a mask array belongs to mask m of image b, so gathering tokens row by row
/// from image r mod BatchSize concatenates the masks along the batch axis. Indices are patch
/// numbers row·GridWidth + column, ascending within each row. Arrays are shared, not copied: do not modify them.
/// </summary>
public sealed class MaskBatch
{
    internal MaskBatch(
        int gridHeight, int gridWidth, int batchSize, int numEnc, int numPred, int keepEnc, int keepPred,
        int[] context, int[] targets, MaskBlock[] contextBlocks, MaskBlock[] targetBlocks,
        int[] contextLengthsBeforeTruncation, int[] contextRelaxedTargets)
    {
        GridHeight = gridHeight;
        GridWidth = gridWidth;
        BatchSize = batchSize;
        NumEnc = numEnc;
        NumPred = numPred;
        KeepEnc = keepEnc;
        KeepPred = keepPred;
        Context = context;
        Targets = targets;
        ContextBlocks = contextBlocks;
        TargetBlocks = targetBlocks;
        ContextLengthsBeforeTruncation = contextLengthsBeforeTruncation;
        ContextRelaxedTargets = contextRelaxedTargets;
    }

    public int GridHeight { get; }
    public int GridWidth { get; }
    public int BatchSize { get; }
    public int NumEnc { get; }
    public int NumPred { get; }

    /// <summary>Patches per context mask: the shortest context of the batch, to which all are cut.</summary>
    public int KeepEnc { get; }

    /// <summary>Patches per target mask: the smallest target of the batch, to which all are cut.</summary>
    public int KeepPred { get; }

    /// <summary>Context patch indices, [NumEnc][BatchSize][KeepEnc].</summary>
    public int[] Context { get; }

    /// <summary>Target patch indices, [NumPred][BatchSize][KeepPred].</summary>
    public int[] Targets { get; }

    /// <summary>The sampled context rectangles [NumEnc][BatchSize], before target patches are removed and before truncation.</summary>
    public MaskBlock[] ContextBlocks { get; }

    /// <summary>The sampled target rectangles [NumPred][BatchSize], before truncation.</summary>
    public MaskBlock[] TargetBlocks { get; }

    /// <summary>Context patches each context mask had before truncation to <see cref="KeepEnc"/>, [NumEnc][BatchSize].</summary>
    public int[] ContextLengthsBeforeTruncation { get; }

    /// <summary>
    /// How many of the image's target blocks, counted from the last, each context mask [NumEnc][BatchSize]
    /// was allowed to overlap because 20 placements in a row kept no more than MinKeep patches. Zero
    /// normally; also zero when AllowOverlap is set, since then no target is excluded in the first place.
    /// </summary>
    public int[] ContextRelaxedTargets { get; }

    public ReadOnlySpan<int> ContextIndices(int mask, int image) => Context.AsSpan(Row(mask, image, NumEnc) * KeepEnc, KeepEnc);

    public ReadOnlySpan<int> TargetIndices(int mask, int image) => Targets.AsSpan(Row(mask, image, NumPred) * KeepPred, KeepPred);

    public MaskBlock ContextBlock(int mask, int image) => ContextBlocks[Row(mask, image, NumEnc)];

    public MaskBlock TargetBlock(int mask, int image) => TargetBlocks[Row(mask, image, NumPred)];

    private int Row(int mask, int image, int maskCount)
    {
        if ((uint)mask >= (uint)maskCount) throw new ArgumentOutOfRangeException(nameof(mask), mask, $"mask must be in [0, {maskCount})");
        if ((uint)image >= (uint)BatchSize) throw new ArgumentOutOfRangeException(nameof(image), image, $"image must be in [0, {BatchSize})");
        return mask * BatchSize + image;
    }
}
