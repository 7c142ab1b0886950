using System.Globalization;
using System.Text.Json;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Training;

namespace JepaSharp.Interop.Mapping;

/// <summary>Choices shapes cannot make: head counts, a new resolution, the size of a fresh predictor.</summary>
public sealed record ArchitectureOptions
{
    /// <summary>Encoder attention heads; null = from a config beside/inside the file, else the official size of that width, else width/64.</summary>
    public int? Heads { get; init; }
    /// <summary>Predictor heads; null = the encoder's (as the official code does).</summary>
    public int? PredictorHeads { get; init; }
    /// <summary>Train/evaluate at this image size instead of the stored one (position tables are interpolated).</summary>
    public int? ImageSize { get; init; }
    /// <summary>Width and depth of a fresh predictor when the file has none (official: 384 and 12).</summary>
    public int PredictorDim { get; init; } = 384;
    public int PredictorDepth { get; init; } = 12;
    /// <summary>Seed of the fresh predictor's initialisation.</summary>
    public int Seed { get; init; }
}

/// <summary>An I-JEPA architecture read off the tensor shapes of a weights file.</summary>
public sealed record InferredArchitecture
{
    public required int Channels { get; init; }
    public required int PatchSize { get; init; }
    /// <summary>The resolution the stored position table was made for (grid × patch).</summary>
    public required int StoredImageSize { get; init; }
    /// <summary>The resolution the imported model runs at (the stored one unless overridden).</summary>
    public required int ImageSize { get; init; }
    public required int Dim { get; init; }
    public required int Depth { get; init; }
    public required int Heads { get; init; }
    /// <summary>Where the head count came from (it is not recoverable from shapes).</summary>
    public required string HeadsSource { get; init; }
    public required int MlpHidden { get; init; }
    public required int PredictorDim { get; init; }
    public required int PredictorDepth { get; init; }
    public required int PredictorHeads { get; init; }
    /// <summary>False when the file has no predictor and the import initialises one.</summary>
    public required bool PredictorStored { get; init; }
    /// <summary>False when the file has one encoder only and the target encoder is a copy of it.</summary>
    public required bool TargetEncoderStored { get; init; }

    /// <summary>The config a JepaSharp file carries (safetensors metadata or an exported .pth), or null.</summary>
    public string? StoredConfig { get; init; }

    public int Grid => ImageSize / PatchSize;

    public override string ToString() =>
        $"ViT {Dim}-d x {Depth} blocks, {Heads} heads ({HeadsSource}), MLP {MlpHidden}, patch {PatchSize}, {Channels} channels, image {ImageSize}"
        + (ImageSize != StoredImageSize ? $" (stored {StoredImageSize}, positions interpolated)" : "")
        + $"; predictor {PredictorDim}-d x {PredictorDepth}, {PredictorHeads} heads" + (PredictorStored ? "" : " (fresh: not in the file)");

    /// <summary>
    /// The config of an imported run: the stored one for JepaSharp files, else one describing this
    /// architecture with the other keys at the official defaults.
    /// </summary>
    public TrainConfig ToConfig(int seed)
    {
        if (StoredConfig is not null)
        {
            // A JepaSharp file keeps its whole recipe (data, normalisation, masks); only the resolution may change.
            var stored = ConfigLoader.Parse(StoredConfig, "the stored config");
            stored.Data.CropSize = ImageSize;
            return stored;
        }
        var config = new TrainConfig();
        var (name, size) = NamedSize();
        config.Meta.ModelName = name;
        if (size.EmbedDim != Dim) config.Meta.EncEmbedDim = Dim;
        if (size.Depth != Depth) config.Meta.EncDepth = Depth;
        if (size.NumHeads != Heads) config.Meta.EncHeads = Heads;
        config.Meta.PredEmbDim = PredictorDim;
        config.Meta.PredDepth = PredictorDepth;
        if (PredictorHeads != Heads) config.Meta.PredNumHeads = PredictorHeads;
        config.Meta.Seed = seed;
        config.Data.CropSize = ImageSize;
        config.Data.Channels = Channels;
        if (Channels != 3)
        {
            config.Data.NormalizeMean = Enumerable.Repeat(0.5, Channels).ToArray();
            config.Data.NormalizeStd = Enumerable.Repeat(0.5, Channels).ToArray();
        }
        config.Mask.PatchSize = PatchSize;
        return config;
    }

    // The official size this is, or the one whose MLP ratio it shares (with enc_* overrides for the rest):
    // configs cannot express an MLP ratio directly.
    private (string Name, VitSize Size) NamedSize()
    {
        foreach (var name in ModelSizes.Names)
        {
            var size = ModelSizes.Get(name);
            if (size.EmbedDim == Dim && size.Depth == Depth && size.NumHeads == Heads && size.MlpHiddenDim == MlpHidden) return (name, size);
        }
        foreach (var name in ModelSizes.Names)
        {
            var size = ModelSizes.Get(name);
            if ((size with { EmbedDim = Dim }).MlpHiddenDim == MlpHidden) return (name, size);
        }
        throw new InvalidDataException($"the MLP hidden width {MlpHidden} for width {Dim} matches no official MLP ratio (4, or 48/11 for vit_giant); JepaSharp configs cannot express it");
    }
}

/// <summary>Reads an architecture off mapped weights: widths, depths and patch from shapes; heads from a config or the official size table.</summary>
public static class ArchitectureInference
{
    /// <summary>Exported .pth files carry the JepaSharp config under this key.</summary>
    public const string ConfigValueName = "jepasharp_config";

    public static InferredArchitecture Infer(MappedWeights weights, CheckpointFile file, ArchitectureOptions options)
    {
        string sourcePath = file.Path;
        string encoderPrefix = weights.Has(MappedWeights.Encoder) ? MappedWeights.Encoder : MappedWeights.TargetEncoder;
        var encoder = weights.Group(encoderPrefix);
        var patch = Require(encoder, "patch_embed.proj.weight", encoderPrefix, sourcePath, 4);
        int dim = patch[0], channels = patch[1], patchSize = patch[2];
        if (patch[3] != patchSize) throw new InvalidDataException($"'{sourcePath}': the patch embedding is {patch[2]}x{patch[3]}; only square patches are supported");
        var pos = Require(encoder, "pos_embed", encoderPrefix, sourcePath, 3);
        int grid = SquareGrid(pos[1], sourcePath, "pos_embed");
        if (pos[2] != dim) throw new InvalidDataException($"'{sourcePath}': pos_embed has width {pos[2]} but the patch embedding {dim}");
        int depth = CountBlocks(encoder.Keys, "blocks.");
        if (depth == 0) throw new InvalidDataException($"'{sourcePath}': the encoder has no blocks");
        int mlpHidden = Require(encoder, "blocks.0.mlp.fc1.weight", encoderPrefix, sourcePath, 2)[0];

        string? storedYaml = StoredConfig(file);
        var stored = storedYaml is null ? null : ConfigLoader.Parse(storedYaml, sourcePath + " (stored config)");
        var (heads, headsSource) = options.Heads is { } h ? (h, "given")
            : stored is not null ? (stored.Meta.ResolveEncoder().NumHeads, "from the stored config")
            : HfConfigHeads(sourcePath) is { } hf ? (hf, "from config.json")
            : OfficialHeads(dim) is { } official ? (official, "official size of this width")
            : (Math.Max(1, dim / 64), "assumed head width 64; pass --heads if wrong");
        if (heads <= 0 || dim % heads != 0) throw new ArgumentException($"{heads} heads do not divide the encoder width {dim}");

        var predictor = weights.Group(MappedWeights.Predictor);
        bool predictorStored = predictor.Count > 0;
        int predictorDim = options.PredictorDim, predictorDepth = options.PredictorDepth;
        if (predictorStored)
        {
            predictorDim = Require(predictor, "predictor_embed.weight", MappedWeights.Predictor, sourcePath, 2)[0];
            predictorDepth = CountBlocks(predictor.Keys, "predictor_blocks.");
        }
        int predictorHeads = options.PredictorHeads ?? (stored is not null && predictorStored ? stored.Meta.ResolvePredictor().NumHeads : heads);
        if (predictorHeads <= 0 || predictorDim % predictorHeads != 0)
            throw new ArgumentException($"{predictorHeads} predictor heads do not divide the predictor width {predictorDim}; pass --pred-heads");

        int imageSize = options.ImageSize ?? stored?.Data.CropSize ?? grid * patchSize;
        if (imageSize % patchSize != 0) throw new ArgumentException($"image size {imageSize} is not a multiple of the patch size {patchSize}");
        return new InferredArchitecture
        {
            Channels = channels, PatchSize = patchSize, StoredImageSize = grid * patchSize, ImageSize = imageSize,
            Dim = dim, Depth = depth, Heads = heads, HeadsSource = headsSource, MlpHidden = mlpHidden,
            PredictorDim = predictorDim, PredictorDepth = predictorDepth, PredictorHeads = predictorHeads,
            PredictorStored = predictorStored, TargetEncoderStored = weights.Has(MappedWeights.TargetEncoder),
            StoredConfig = storedYaml,
        };
    }

    public static int SquareGrid(int tokens, string sourcePath, string what)
    {
        int grid = (int)Math.Round(Math.Sqrt(tokens));
        if (grid * grid != tokens)
            throw new InvalidDataException($"'{sourcePath}': {what} has {tokens} positions, not a square grid (I-JEPA has no class token)");
        return grid;
    }

    private static int[] Require(IReadOnlyDictionary<string, MappedTensor> group, string key, string prefix, string sourcePath, int rank)
    {
        if (!group.TryGetValue(key, out var t)) throw new InvalidDataException($"'{sourcePath}' has no '{prefix}{key}' (needed to infer the architecture)");
        if (t.Shape.Length != rank) throw new InvalidDataException($"'{sourcePath}': '{prefix}{key}' has shape [{string.Join(", ", t.Shape)}], expected {rank} dimensions");
        return t.Shape;
    }

    private static int CountBlocks(IEnumerable<string> keys, string root)
    {
        var indices = new HashSet<int>();
        foreach (var key in keys)
        {
            if (!key.StartsWith(root, StringComparison.Ordinal)) continue;
            int dot = key.IndexOf('.', root.Length);
            if (dot > 0 && int.TryParse(key.AsSpan(root.Length, dot - root.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int i)) indices.Add(i);
        }
        for (int i = 0; i < indices.Count; i++)
            if (!indices.Contains(i)) throw new InvalidDataException($"block {root}{i} is missing among {indices.Count} numbered blocks");
        return indices.Count;
    }

    // JepaSharp files carry their config; it is authoritative for what shapes cannot say.
    private static string? StoredConfig(CheckpointFile file)
    {
        if (file.Metadata.TryGetValue("format", out var format) && format == Checkpoints.FormatName && file.Metadata.TryGetValue("config", out var yaml))
            return yaml;
        return file.Values.FirstOrDefault(v => v.Name == ConfigValueName).Value as string;
    }

    // Hugging Face keeps num_attention_heads in config.json beside the weights.
    private static int? HfConfigHeads(string sourcePath)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(sourcePath));
        if (folder is null) return null;
        foreach (var name in new[] { Path.GetFileNameWithoutExtension(sourcePath) + "_config.json", "config.json" })
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            try
            {
                using var json = JsonDocument.Parse(File.ReadAllText(path));
                if (json.RootElement.TryGetProperty("num_attention_heads", out var heads) && heads.TryGetInt32(out int n)) return n;
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}");
            }
        }
        return null;
    }

    private static int? OfficialHeads(int dim)
    {
        foreach (var name in ModelSizes.Names)
            if (ModelSizes.Get(name).EmbedDim == dim) return ModelSizes.Get(name).NumHeads;
        return null;
    }
}
