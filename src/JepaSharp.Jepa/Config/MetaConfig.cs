namespace JepaSharp.Jepa.Config;

/// <summary>The <c>meta</c> section: model shape, checkpoint loading, seed. Defaults are the official ViT-H/14 values.</summary>
public sealed class MetaConfig : ConfigSection
{
    /// <summary>Official data-staging flag; kept so official configs load.</summary>
    public bool CopyData { get; set; }

    /// <summary>
    /// Official resume flag. Must stay false: a run continues with <c>jepa train --resume</c> (the official
    /// load_checkpoint with read_checkpoint null) and starts from saved weights with <c>--init</c>; validation says so.
    /// </summary>
    public bool LoadCheckpoint { get; set; }

    /// <summary>Encoder size name, <c>vit_tiny</c> … <c>vit_giant</c> (see <see cref="ModelSizes"/>).</summary>
    public string ModelName { get; set; } = "vit_huge";

    public int PredDepth { get; set; } = 12;
    public int PredEmbDim { get; set; } = 384;

    /// <summary>Official checkpoint file name (read only when <see cref="LoadCheckpoint"/> is true, which JepaSharp refuses).</summary>
    public string? ReadCheckpoint { get; set; }

    /// <summary>Official mixed-precision flag; kept so official configs load. JepaSharp trains in fp32 and warns when a config sets it true.</summary>
    public bool UseBfloat16 { get; set; } = true;

    // JepaSharp keys (not in the official schema). The enc_* keys override single
    // dimensions of the named size so small encoders need no new size names.

    public int? EncDepth { get; set; }
    public int? EncHeads { get; set; }
    public int? EncEmbedDim { get; set; }

    /// <summary>Predictor attention heads; null = the encoder's head count, as the official code does.</summary>
    public int? PredNumHeads { get; set; }

    /// <summary>Seed of every random stream of the run (official: the global seed 0).</summary>
    public int Seed { get; set; }

    public InitScheme Init { get; set; } = InitScheme.Faithful;

    /// <summary>
    /// Every block keeps only its input for the attention half and recomputes qkv in backward: about a third less
    /// activation memory, one more qkv product per block (a few percent of a step); results are identical bit for bit.
    /// </summary>
    public bool RecomputeQkv { get; set; }

    /// <summary>
    /// With <see cref="RecomputeQkv"/>: how many of the encoder's blocks, the first ones, recompute qkv; the rest keep it.
    /// Null: all of them. The predictor's blocks always recompute: at its narrower width a recomputed qkv product costs
    /// half as many FLOPs per float of memory saved as the encoder's. A dial between the two settings of recompute_qkv.
    /// </summary>
    public int? RecomputeQkvBlocks { get; set; }

    /// <summary>
    /// Each thread runs the objective on its own slice of the batch, with its own gradients summed at the end, instead
    /// of all threads sharing every op (see <c>DataParallelObjective</c>); losses and gradients differ only by rounding.
    /// Each extra thread holds a copy of the encoder's and predictor's gradients; where those copies would pass 1 GiB
    /// (a large model on many threads), the step stays batch-wide.
    /// </summary>
    public bool DataParallel { get; set; } = true;

    /// <summary>The encoder's shape: <see cref="ModelName"/>'s size with the enc_* overrides applied.</summary>
    public VitSize ResolveEncoder()
    {
        var named = ModelSizes.Get(ModelName);
        return named with
        {
            EmbedDim = EncEmbedDim ?? named.EmbedDim,
            Depth = EncDepth ?? named.Depth,
            NumHeads = EncHeads ?? named.NumHeads,
        };
    }

    /// <summary>The predictor's shape (MLP ratio 4 for every size, as in the official <c>vit_predictor</c>).</summary>
    public VitSize ResolvePredictor() =>
        new(PredEmbDim, PredDepth, PredNumHeads ?? ResolveEncoder().NumHeads, 4.0);
}
