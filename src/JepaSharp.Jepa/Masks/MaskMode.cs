namespace JepaSharp.Jepa.Masks;

/// <summary>Which variant of the multi-block sampler to run; see <see cref="MultiBlockMaskCollator"/>.</summary>
public enum MaskMode
{
    /// <summary>Quirks Q1–Q4 of the official sampler fixed; the default for new runs.</summary>
    Fixed,

    /// <summary>The official algorithm with its quirks, for parity tests and continuing official checkpoints.</summary>
    Faithful,
}
