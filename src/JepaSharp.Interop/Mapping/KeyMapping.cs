using System.Text.RegularExpressions;
using JepaSharp.Engine.IO;

namespace JepaSharp.Interop.Mapping;

/// <summary>How a file names its weights.</summary>
public enum CheckpointLayout
{
    /// <summary>JepaSharp's model.safetensors: flat <c>encoder.* / predictor.* / target_encoder.*</c>.</summary>
    JepaSharp,
    /// <summary>The official training checkpoint: nested encoder / predictor / target_encoder dicts (with <c>module.</c>).</summary>
    Official,
    /// <summary>Hugging Face <c>IJepaModel</c>: one encoder, <c>embeddings.* / encoder.layer.N.*</c>, qkv split.</summary>
    HuggingFace,
    /// <summary>timm's I-JEPA conversion: one encoder with the final norm as <c>fc_norm</c>.</summary>
    Timm,
    /// <summary>A bare encoder state dict under the official names (e.g. <c>checkpoint['encoder']</c> saved alone).</summary>
    EncoderStateDict,
}

/// <summary>A tensor under our key (e.g. <c>encoder.blocks.0.attn.qkv.weight</c>), read from one or more source tensors.</summary>
public sealed class MappedTensor
{
    internal MappedTensor(string key, IReadOnlyList<SourceTensor> sources)
    {
        Key = key;
        Sources = sources;
        var shape = (int[])sources[0].Shape.Clone();
        // Several sources are row blocks (HF's query/key/value) stacked along the first axis.
        for (int i = 1; i < sources.Count; i++) shape[0] += sources[i].Shape[0];
        Shape = shape;
        Numel = sources.Sum(s => s.Numel);
    }

    public string Key { get; }
    public IReadOnlyList<SourceTensor> Sources { get; }
    public int[] Shape { get; }
    public long Numel { get; }
    public string DType => Sources[0].DType;

    public void ReadFloat32(Span<float> destination)
    {
        if (destination.Length != Numel) throw new ArgumentException($"'{Key}' has {Numel} elements, destination {destination.Length}", nameof(destination));
        long at = 0;
        foreach (var source in Sources)
        {
            source.ReadFloat32(destination.Slice((int)at, (int)source.Numel));
            at += source.Numel;
        }
    }

    public float[] ReadFloat32()
    {
        var values = new float[Numel];
        ReadFloat32(values);
        return values;
    }
}

/// <summary>A file's weights under our keys, with what was found, what was not, and why.</summary>
public sealed class MappedWeights
{
    public const string Encoder = "encoder.";
    public const string Predictor = "predictor.";
    public const string TargetEncoder = "target_encoder.";

    internal MappedWeights(CheckpointLayout layout, List<MappedTensor> tensors, List<string> unmapped, List<string> notes)
    {
        Layout = layout;
        Tensors = tensors;
        Unmapped = unmapped;
        Notes = notes;
        ByKey = tensors.ToDictionary(t => t.Key, StringComparer.Ordinal);
    }

    public CheckpointLayout Layout { get; }
    public IReadOnlyList<MappedTensor> Tensors { get; }
    public IReadOnlyDictionary<string, MappedTensor> ByKey { get; }
    /// <summary>Source tensors that are not model weights (optimizer state, classifier heads…).</summary>
    public IReadOnlyList<string> Unmapped { get; }
    public IReadOnlyList<string> Notes { get; }

    public bool Has(string prefix) => Tensors.Any(t => t.Key.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The tensors of one network, keyed without its prefix (e.g. "blocks.0.norm1.weight").</summary>
    public IReadOnlyDictionary<string, MappedTensor> Group(string prefix) =>
        Tensors.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(t => t.Key[prefix.Length..], StringComparer.Ordinal);
}

/// <summary>
/// Maps official, JepaSharp, Hugging Face and timm names onto our state-dict keys (recipe §4.3):
/// the official nested dicts lose their DDP <c>module.</c> prefix; HF's query/key/value rows are
/// stacked back into one qkv; timm's <c>fc_norm</c> becomes the per-token <c>norm</c>. Encoder-only
/// files map to <c>encoder.*</c> alone (the importer supplies the rest).
/// </summary>
public static partial class KeyMapping
{
    // Our names inside a block, and HF's for the same tensors (longest HF names first where one is a suffix of another).
    private static readonly (string Ours, string Hf)[] BlockNames =
    [
        ("norm1.", "layernorm_before."),
        ("norm2.", "layernorm_after."),
        ("attn.proj.", "attention.output.dense."),
        ("mlp.fc1.", "intermediate.dense."),
        ("mlp.fc2.", "output.dense."),
    ];

    private static readonly (string Ours, string Hf)[] TopNames =
    [
        ("pos_embed", "embeddings.position_embeddings"),
        ("patch_embed.proj.", "embeddings.patch_embeddings.projection."),
        ("norm.", "layernorm."),
    ];

    private static readonly string[] QkvParts = ["query", "key", "value"];
    private static readonly string[] EncoderRoots = ["pos_embed", "patch_embed.", "blocks.", "norm."];
    private static readonly string[] PredictorRoots = ["mask_token", "predictor_"];
    private static readonly string[] DdpPrefixes = ["module.backbone.", "module.", "backbone."];
    private const string HfMarker = "embeddings.patch_embeddings.projection.weight";

    public static MappedWeights Map(CheckpointFile file)
    {
        var names = file.Tensors.Select(t => t.Name).ToList();
        string? hf = names.FirstOrDefault(n => n.EndsWith(HfMarker, StringComparison.Ordinal));
        if (hf != null) return FromHuggingFace(file, hf[..^HfMarker.Length]);
        if (names.Any(n => IsNetworkKey(n, MappedWeights.Encoder, out _) || IsNetworkKey(n, MappedWeights.TargetEncoder, out _)))
            return FromNested(file);
        return FromEncoderStateDict(file);
    }

    /// <summary>Our encoder key (without prefix) → the HF names holding it (three for qkv).</summary>
    public static IReadOnlyList<string> HuggingFaceNames(string encoderKey)
    {
        foreach (var (ours, hf) in TopNames)
            if (encoderKey.StartsWith(ours, StringComparison.Ordinal)) return [hf + encoderKey[ours.Length..]];
        var match = BlockKey().Match(encoderKey);
        if (!match.Success) throw new ArgumentException($"'{encoderKey}' is not an encoder weight name");
        string layer = $"encoder.layer.{match.Groups[1].Value}.", rest = match.Groups[2].Value;
        if (rest.StartsWith("attn.qkv.", StringComparison.Ordinal))
            return QkvParts.Select(p => $"{layer}attention.attention.{p}.{rest["attn.qkv.".Length..]}").ToArray();
        foreach (var (ours, hfName) in BlockNames)
            if (rest.StartsWith(ours, StringComparison.Ordinal)) return [layer + hfName + rest[ours.Length..]];
        throw new ArgumentException($"'{encoderKey}' has no Hugging Face name");
    }

    /// <summary>Our encoder key → timm's name (only the final norm differs).</summary>
    public static string TimmName(string encoderKey) => encoderKey.StartsWith("norm.", StringComparison.Ordinal) ? "fc_" + encoderKey : encoderKey;

    private static MappedWeights FromNested(CheckpointFile file)
    {
        var tensors = new List<MappedTensor>();
        var unmapped = new List<string>();
        bool ddp = false;
        foreach (var t in file.Tensors)
        {
            string? key = null;
            foreach (var prefix in new[] { MappedWeights.TargetEncoder, MappedWeights.Encoder, MappedWeights.Predictor })
                if (IsNetworkKey(t.Name, prefix, out var rest))
                {
                    ddp |= rest.Length != t.Name.Length - prefix.Length;
                    key = prefix + rest;
                    break;
                }
            if (key is null) unmapped.Add(t.Name);
            else tensors.Add(new MappedTensor(key, [t]));
        }
        var layout = ddp || file.Container != CheckpointContainer.Safetensors ? CheckpointLayout.Official : CheckpointLayout.JepaSharp;
        var notes = new List<string>();
        if (ddp) notes.Add("stripped the DDP 'module.' prefix of the official state dicts");
        return new MappedWeights(layout, tensors, unmapped, notes);
    }

    private static MappedWeights FromHuggingFace(CheckpointFile file, string prefix)
    {
        var byName = file.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var tensors = new List<MappedTensor>();
        foreach (var key in EncoderKeysFromHuggingFace(file.Tensors.Select(t => t.Name), prefix))
        {
            var sources = HuggingFaceNames(key).Select(n => byName.TryGetValue(prefix + n, out var s) ? s
                : throw new InvalidDataException($"'{file.Path}': Hugging Face tensor '{prefix + n}' is missing (needed for our '{key}')")).ToList();
            if (sources.Count > 1 && sources.Any(s => s.Shape.Length != sources[0].Shape.Length || !s.Shape.AsSpan(1).SequenceEqual(sources[0].Shape.AsSpan(1))))
                throw new InvalidDataException($"'{file.Path}': the query/key/value tensors of '{key}' have different shapes");
            foreach (var s in sources) used.Add(s.Name);
            tensors.Add(new MappedTensor(MappedWeights.Encoder + key, sources));
        }
        var unmapped = file.Tensors.Select(t => t.Name).Where(n => !used.Contains(n)).ToList();
        return new MappedWeights(CheckpointLayout.HuggingFace, tensors, unmapped,
            ["Hugging Face IJepaModel keys: query/key/value stacked into qkv; HF converted the context encoder (recipe Q11)"]);
    }

    // Our encoder keys for every HF tensor that has one (q/k/v collapse into one qkv key).
    private static IEnumerable<string> EncoderKeysFromHuggingFace(IEnumerable<string> names, string prefix)
    {
        var keys = new List<string>();
        foreach (var full in names)
        {
            if (!full.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string name = full[prefix.Length..];
            string? key = null;
            foreach (var (ours, hf) in TopNames)
                if (name.StartsWith(hf, StringComparison.Ordinal)) key = ours + name[hf.Length..];
            var match = HfLayerKey().Match(name);
            if (match.Success)
            {
                string layer = match.Groups[1].Value, rest = match.Groups[2].Value;
                var qkv = HfQkvKey().Match(rest);
                if (qkv.Success) key = $"blocks.{layer}.attn.qkv.{qkv.Groups[1].Value}";
                else
                    foreach (var (ours, hf) in BlockNames)
                        if (rest.StartsWith(hf, StringComparison.Ordinal))
                        {
                            key = $"blocks.{layer}.{ours}{rest[hf.Length..]}";
                            break;
                        }
            }
            if (key != null && !keys.Contains(key)) keys.Add(key);
        }
        return keys;
    }

    private static MappedWeights FromEncoderStateDict(CheckpointFile file)
    {
        var tensors = new List<MappedTensor>();
        var unmapped = new List<string>();
        bool timm = file.Tensors.Any(t => StripDdp(t.Name).StartsWith("fc_norm.", StringComparison.Ordinal))
                    && !file.Tensors.Any(t => StripDdp(t.Name).StartsWith("norm.", StringComparison.Ordinal));
        foreach (var t in file.Tensors)
        {
            string name = StripDdp(t.Name);
            if (timm && name.StartsWith("fc_norm.", StringComparison.Ordinal)) name = name[3..];
            if (EncoderRoots.Any(r => name.StartsWith(r, StringComparison.Ordinal))) tensors.Add(new MappedTensor(MappedWeights.Encoder + name, [t]));
            else unmapped.Add(t.Name);
        }
        if (tensors.Count == 0)
            throw new InvalidDataException($"'{file.Path}' holds no I-JEPA weights: no official (encoder/predictor/target_encoder), Hugging Face or timm names among its {file.Tensors.Count} tensors");
        var notes = new List<string>();
        if (timm) notes.Add("timm keys: fc_norm (applied after pooling in timm) is mapped back to I-JEPA's per-token final norm (recipe Q11)");
        return new MappedWeights(timm ? CheckpointLayout.Timm : CheckpointLayout.EncoderStateDict, tensors, unmapped, notes);
    }

    private static bool IsNetworkKey(string name, string prefix, out string rest)
    {
        rest = "";
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return false;
        rest = StripDdp(name[prefix.Length..]);
        var roots = prefix == MappedWeights.Predictor ? PredictorRoots : EncoderRoots;
        string r = rest;
        return roots.Any(root => r.StartsWith(root, StringComparison.Ordinal));
    }

    private static string StripDdp(string name)
    {
        foreach (var p in DdpPrefixes)
            if (name.StartsWith(p, StringComparison.Ordinal)) return name[p.Length..];
        return name;
    }

    [GeneratedRegex(@"^blocks\.(\d+)\.(.+)$")]
    private static partial Regex BlockKey();

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.(.+)$")]
    private static partial Regex HfLayerKey();

    [GeneratedRegex(@"^attention\.attention\.(?:query|key|value)\.(weight|bias)$")]
    private static partial Regex HfQkvKey();
}
