namespace JepaSharp.Jepa.Masks;

/// <summary>
/// I-JEPA's multi-block mask sampler (official <c>src/masks/multiblock.py</c>, <c>MaskCollator</c>).
/// Per image: <see cref="MaskOptions.NumPredMasks"/> target blocks placed freely, then
/// <see cref="MaskOptions.NumEncMasks"/> square-ish context blocks from which the image's target
/// patches are removed (unless <see cref="MaskOptions.AllowOverlap"/>); finally every mask list is
/// cut to the shortest one in the batch so the batch stays rectangular.
/// <para>
/// <see cref="Sample"/> is a pure function of (seed, batch index, batch size): a resumed run
/// regenerates identical masks without saved state, and masks never depend on thread timing. The
/// random stream is our own (xoshiro256**), not torch's, so faithful mode reproduces the official
/// algorithm and its statistics, not its exact masks.
/// </para>
/// Choices per quirk of the official code (<c>ijepa-recipe.md</c> §6), faithful → fixed:
/// <list type="bullet">
/// <item><b>Q1 position bounds.</b> Faithful: top ∈ [0, H−h), left ∈ [0, W−w), so the last patch row
/// and column are never context nor target. Fixed: inclusive bounds [0, H−h], [0, W−w].</item>
/// <item><b>Q2 size clamp.</b> Faithful: "while h ≥ H: h −= 1", so no block spans the grid and, with
/// Q1, the context block sits at (0, 0) (15×15 on 16×16, 6×6 on 7×7). Fixed: h = min(h, H), w = min(w, W).</item>
/// <item><b>Q3 shared, correlated sizes.</b> Faithful: one target size and one context size per batch,
/// and the target's scale and aspect ratio come from the same uniform. Fixed: sizes drawn per image
/// (shared by that image's target blocks, and by its context blocks), with independent uniforms for
/// scale and aspect ratio; <see cref="MaskOptions.ShareBlockSizesInBatch"/> keeps the independent
/// uniforms but shares sizes across the batch, which loses far fewer patches to truncation (Q4).</item>
/// <item><b>Q4 truncation.</b> Both modes cut every context list to the batch's shortest and every
/// target list to the batch's smallest. Faithful keeps the raster prefix (dropping the bottom
/// rows); fixed keeps a uniformly random subset per image, sorted, so lists stay in raster order.</item>
/// </list>
/// Kept in both modes: block size h = round(sqrt(keep·ar)), w = round(sqrt(keep/ar)) with
/// keep = ⌊H·W·scale⌋ and half-to-even rounding; context blocks drawn square (aspect 1); a block
/// is valid only with MORE than MinKeep patches; after 20 failed context placements one more target
/// exclusion is dropped, from the last target backwards. Unlike the official code, which loops
/// forever, the constructor rejects options under which some drawable block could never hold more
/// than MinKeep patches; that guarantee also bounds the placement loop.
/// </summary>
public sealed class MultiBlockMaskCollator
{
    private const int PlacementsPerRelaxation = 20;
    private static readonly Interval SquareAspect = (1.0, 1.0);

    public MaskOptions Options { get; }

    public long Seed { get; }

    public MultiBlockMaskCollator(MaskOptions options, long seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Seed = seed;
        RequireReachableMinKeep(options, "target", nameof(options.PredMaskScale), options.PredMaskScale, options.AspectRatio,
            $"PredMaskScale {options.PredMaskScale} and AspectRatio {options.AspectRatio}");
        RequireReachableMinKeep(options, "context", nameof(options.EncMaskScale), options.EncMaskScale, SquareAspect,
            $"EncMaskScale {options.EncMaskScale}");
    }

    /// <summary>The masks of batch <paramref name="batchIndex"/>; the same arguments always give the same masks.</summary>
    public MaskBatch Sample(int batchSize, long batchIndex)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        var o = Options;
        var random = MaskRandom.ForBatch(Seed, batchIndex, batchSize);
        bool sharedSizes = o.Mode == MaskMode.Faithful || o.ShareBlockSizesInBatch;

        var batchTargetSize = sharedSizes ? SampleSize(random, o.PredMaskScale, o.AspectRatio) : default;
        var batchContextSize = sharedSizes ? SampleSize(random, o.EncMaskScale, SquareAspect) : default;

        var targetLists = new int[o.NumPredMasks * batchSize][];
        var targetBlocks = new MaskBlock[targetLists.Length];
        var contextLists = new int[o.NumEncMasks * batchSize][];
        var contextBlocks = new MaskBlock[contextLists.Length];
        var contextRelaxed = new int[contextLists.Length];
        var excluded = new List<MaskBlock>(o.NumPredMasks);
        var scratch = new List<int>(o.PatchCount);
        for (int image = 0; image < batchSize; image++)
        {
            var targetSize = sharedSizes ? batchTargetSize : SampleSize(random, o.PredMaskScale, o.AspectRatio);
            var contextSize = sharedSizes ? batchContextSize : SampleSize(random, o.EncMaskScale, SquareAspect);
            excluded.Clear();
            for (int m = 0; m < o.NumPredMasks; m++)
            {
                // Targets are unconstrained and the constructor checked their area, so the first placement is valid.
                var block = PlaceBlock(random, targetSize);
                int row = m * batchSize + image;
                targetBlocks[row] = block;
                targetLists[row] = PatchesOutside(block, excluded, 0, scratch);
                if (!o.AllowOverlap) excluded.Add(block);
            }
            for (int m = 0; m < o.NumEncMasks; m++)
            {
                int row = m * batchSize + image;
                (contextBlocks[row], contextLists[row], contextRelaxed[row]) = PlaceContext(random, contextSize, excluded, scratch);
            }
        }

        int keepPred = targetLists.Min(list => list.Length);
        int keepEnc = contextLists.Min(list => list.Length);
        return new MaskBatch(
            o.GridHeight, o.GridWidth, batchSize, o.NumEncMasks, o.NumPredMasks, keepEnc, keepPred,
            Truncate(random, contextLists, keepEnc), Truncate(random, targetLists, keepPred),
            contextBlocks, targetBlocks, contextLists.Select(list => list.Length).ToArray(), contextRelaxed);
    }

    private static void RequireReachableMinKeep(MaskOptions options, string kind, string scaleName, Interval scale, Interval aspect, string setting)
    {
        var (height, width) = BlockSizes.Smallest(scale, aspect, options.GridHeight, options.GridWidth, options.Mode);
        int area = height * width;
        if (area > options.MinKeep) return;
        string advice = area > 0 ? $"lower MinKeep to at most {area - 1} or raise {scaleName}" : $"raise {scaleName} or use a larger grid";
        throw new ArgumentException(
            $"MinKeep {options.MinKeep} cannot be met: with {setting} on the {options.GridHeight}×{options.GridWidth} grid ({options.Mode} mode) "
            + $"a {kind} block can be as small as {height}×{width} = {area} patches, and a block is kept only with more "
            + $"than MinKeep patches; {advice}", nameof(options));
    }

    private (int Height, int Width) SampleSize(MaskRandom random, Interval scale, Interval aspect) =>
        BlockSizes.Sample(random, scale, aspect, Options.GridHeight, Options.GridWidth, Options.Mode);

    private MaskBlock PlaceBlock(MaskRandom random, (int Height, int Width) size)
    {
        // Faithful draws from [0, H − h) (Q1); the size clamp keeps that range non-empty.
        int slack = Options.Mode == MaskMode.Faithful ? 0 : 1;
        int top = random.NextInt(Options.GridHeight - size.Height + slack);
        int left = random.NextInt(Options.GridWidth - size.Width + slack);
        return new MaskBlock(top, left, size.Height, size.Width);
    }

    private (MaskBlock Block, int[] Patches, int Relaxed) PlaceContext(MaskRandom random, (int Height, int Width) size, List<MaskBlock> excluded, List<int> scratch)
    {
        int relaxed = 0;
        int failuresLeft = PlacementsPerRelaxation;
        while (true)
        {
            var block = PlaceBlock(random, size);
            // Once every exclusion is dropped the whole block counts, and the constructor checked that it exceeds MinKeep.
            var patches = PatchesOutside(block, excluded, Math.Max(excluded.Count - relaxed, 0), scratch);
            if (patches.Length > Options.MinKeep) return (block, patches, relaxed);
            if (--failuresLeft == 0)
            {
                relaxed++;
                failuresLeft = PlacementsPerRelaxation;
            }
        }
    }

    /// <summary>Raster-order patches of <paramref name="block"/> outside the first <paramref name="exclusionCount"/> excluded blocks.</summary>
    private int[] PatchesOutside(MaskBlock block, List<MaskBlock> excluded, int exclusionCount, List<int> scratch)
    {
        scratch.Clear();
        for (int row = block.Top; row < block.Top + block.Height; row++)
            for (int column = block.Left; column < block.Left + block.Width; column++)
            {
                bool inside = false;
                for (int e = 0; e < exclusionCount && !inside; e++) inside = excluded[e].Contains(row, column);
                if (!inside) scratch.Add(row * Options.GridWidth + column);
            }
        return scratch.ToArray();
    }

    /// <summary>Concatenates the lists, each cut to <paramref name="keep"/> patches (Q4: faithful keeps the prefix, fixed a sorted random subset).</summary>
    private int[] Truncate(MaskRandom random, int[][] lists, int keep)
    {
        var flat = new int[lists.Length * keep];
        for (int row = 0; row < lists.Length; row++)
        {
            var list = lists[row];
            var kept = flat.AsSpan(row * keep, keep);
            if (Options.Mode == MaskMode.Faithful || list.Length == keep)
            {
                list.AsSpan(0, keep).CopyTo(kept);
                continue;
            }
            var shuffled = (int[])list.Clone();
            for (int i = 0; i < keep; i++)
            {
                int j = i + random.NextInt(shuffled.Length - i);
                (shuffled[i], shuffled[j]) = (shuffled[j], shuffled[i]);
            }
            shuffled.AsSpan(0, keep).CopyTo(kept);
            kept.Sort();
        }
        return flat;
    }
}
