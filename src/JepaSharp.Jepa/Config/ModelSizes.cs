namespace JepaSharp.Jepa.Config;

/// <summary>The shape of a ViT trunk: width, number of blocks, attention heads and MLP expansion.</summary>
public sealed record VitSize(int EmbedDim, int Depth, int NumHeads, double MlpRatio)
{
    public int HeadDim => EmbedDim / NumHeads;

    /// <summary>MLP hidden width, truncated as the official <c>int(dim * mlp_ratio)</c> (giant: 6144).</summary>
    public int MlpHiddenDim => (int)(EmbedDim * MlpRatio);
}

/// <summary>
/// The official ViT factories (<c>vit_tiny</c> … <c>vit_giant</c>, recipe §2.1) keyed by the
/// <c>meta.model_name</c> strings the official configs use.
/// </summary>
public static class ModelSizes
{
    private static readonly Dictionary<string, VitSize> BySize = new(StringComparer.Ordinal)
    {
        ["vit_tiny"] = new VitSize(192, 12, 3, 4.0),
        ["vit_small"] = new VitSize(384, 12, 6, 4.0),
        ["vit_base"] = new VitSize(768, 12, 12, 4.0),
        ["vit_large"] = new VitSize(1024, 24, 16, 4.0),
        ["vit_huge"] = new VitSize(1280, 32, 16, 4.0),
        ["vit_giant"] = new VitSize(1408, 40, 16, 48.0 / 11.0),
    };

    public static IReadOnlyCollection<string> Names => BySize.Keys;

    public static bool TryGet(string modelName, out VitSize size) => BySize.TryGetValue(modelName, out size!);

    public static VitSize Get(string modelName) =>
        TryGet(modelName, out var size)
            ? size
            : throw new ArgumentException($"unknown model name '{modelName}' (known: {string.Join(", ", Names)})", nameof(modelName));
}
