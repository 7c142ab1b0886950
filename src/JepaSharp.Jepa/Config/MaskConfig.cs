using JepaSharp.Jepa.Masks;
namespace JepaSharp.Jepa.Config;

/// <summary>The <c>mask</c> section: the multi-block sampler (recipe §1). Defaults are the official values.</summary>
public sealed class MaskConfig : ConfigSection
{
    /// <summary>Whether context blocks may overlap target blocks (official: false, targets are cut out of the context).</summary>
    public bool AllowOverlap { get; set; }

    /// <summary>Height/width range of target blocks.</summary>
    public ValueRange AspectRatio { get; set; } = new(0.75, 1.5);

    /// <summary>Context block area as a fraction of the patch grid.</summary>
    public ValueRange EncMaskScale { get; set; } = new(0.85, 1.0);

    /// <summary>A sampled block is accepted only if it keeps MORE than this many patches.</summary>
    public int MinKeep { get; set; } = 10;

    public int NumEncMasks { get; set; } = 1;
    public int NumPredMasks { get; set; } = 4;
    public int PatchSize { get; set; } = 14;

    /// <summary>Target block area as a fraction of the patch grid.</summary>
    public ValueRange PredMaskScale { get; set; } = new(0.15, 0.2);

    // JepaSharp keys (not in the official schema).

    /// <summary>The fixed sampler unless a config asks for the official one (docs/masking.md lists what differs).</summary>
    public MaskMode Mode { get; set; } = MaskMode.Fixed;

    /// <summary>
    /// Fixed mode only: draw one target and one context size per batch (as V-JEPA does) instead of
    /// per image. Truncation to the batch minimum then drops far fewer tokens (docs/masking.md).
    /// </summary>
    public bool ShareBlockSizes { get; set; }
}
