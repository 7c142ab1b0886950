namespace JepaSharp.Jepa.Masks;

/// <summary>
/// Settings of the multi-block mask sampler. Defaults are the values of all four official I-JEPA
/// configs (<c>mask.*</c> keys), not the official class defaults, except <see cref="Mode"/>.
/// </summary>
/// <param name="GridHeight">Patch rows of the image (input height / patch size).</param>
/// <param name="GridWidth">Patch columns of the image (input width / patch size).</param>
public sealed record MaskOptions(int GridHeight, int GridWidth)
{
    /// <summary>Fraction of the grid a context block covers before the targets are cut out of it.</summary>
    public Interval EncMaskScale { get; init; } = (0.85, 1.0);

    /// <summary>Fraction of the grid each target block covers.</summary>
    public Interval PredMaskScale { get; init; } = (0.15, 0.2);

    /// <summary>Height / width of target blocks; context blocks are always drawn square.</summary>
    public Interval AspectRatio { get; init; } = (0.75, 1.5);

    public int NumEncMasks { get; init; } = 1;

    public int NumPredMasks { get; init; } = 4;

    /// <summary>
    /// A placed block is accepted only with MORE than this many patches. The official configs use
    /// 10 (the class default is 4); 10 is unreachable on a 7×7 grid, whose target blocks hold at most 9 patches.
    /// </summary>
    public int MinKeep { get; init; } = 10;

    /// <summary>When false, each context mask excludes the patches of its image's target blocks.</summary>
    public bool AllowOverlap { get; init; }

    public MaskMode Mode { get; init; } = MaskMode.Fixed;

    /// <summary>
    /// Fixed mode only (faithful always shares): draw one target size and one context size per batch,
    /// as V-JEPA does, instead of per image. Per-image sizes vary more but are cut to the batch's
    /// smallest, which on small grids discards many patches (7×7, batch 128: about half the context).
    /// </summary>
    public bool ShareBlockSizesInBatch { get; init; }

    public int PatchCount => GridHeight * GridWidth;

    /// <summary>Options for an image of <paramref name="inputHeight"/>×<paramref name="inputWidth"/> pixels cut into square patches.</summary>
    public static MaskOptions ForImage(int inputHeight, int inputWidth, int patchSize)
    {
        if (patchSize < 1) throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, "patch size must be at least 1");
        if (inputHeight < patchSize || inputHeight % patchSize != 0 || inputWidth < patchSize || inputWidth % patchSize != 0)
            throw new ArgumentException(
                $"input size {inputHeight}×{inputWidth} is not a whole number of {patchSize}-pixel patches; "
                + "the patch embedding would drop the remainder, so crop or resize the input first");
        return new MaskOptions(inputHeight / patchSize, inputWidth / patchSize);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (GridHeight < 1 || GridWidth < 1)
            throw new ArgumentException($"MaskOptions grid must be at least 1×1 patches, got {GridHeight}×{GridWidth}");
        if ((long)GridHeight * GridWidth > int.MaxValue)
            throw new ArgumentException($"MaskOptions grid {GridHeight}×{GridWidth} has more than 2^31 patches");
        RequireScale(EncMaskScale, nameof(EncMaskScale));
        RequireScale(PredMaskScale, nameof(PredMaskScale));
        if (!(AspectRatio.Min > 0 && AspectRatio.Min <= AspectRatio.Max && double.IsFinite(AspectRatio.Max)))
            throw new ArgumentException($"MaskOptions.AspectRatio must satisfy 0 < Min ≤ Max < ∞, got {AspectRatio}");
        if (NumEncMasks < 1)
            throw new ArgumentException($"MaskOptions.NumEncMasks must be at least 1, got {NumEncMasks}");
        if (NumPredMasks < 1)
            throw new ArgumentException($"MaskOptions.NumPredMasks must be at least 1, got {NumPredMasks}");
        if (MinKeep < 0)
            throw new ArgumentException($"MaskOptions.MinKeep must be at least 0, got {MinKeep}");
        if (!Enum.IsDefined(Mode))
            throw new ArgumentException($"MaskOptions.Mode {(int)Mode} is not a MaskMode (Fixed or Faithful)");
    }

    private static void RequireScale(Interval scale, string name)
    {
        // The negated form also rejects NaN.
        if (!(scale.Min > 0 && scale.Min <= scale.Max && scale.Max <= 1))
            throw new ArgumentException($"MaskOptions.{name} must satisfy 0 < Min ≤ Max ≤ 1 (fractions of the grid), got {scale}");
    }
}
