using System.Runtime.InteropServices;
using System.Security.Cryptography;
using JepaSharp.Engine.IO;
using JepaSharp.Engine.Parameters;
using JepaSharp.Interop.Mapping;
using JepaSharp.Interop.Pickle;
using JepaSharp.Jepa.Training;

namespace JepaSharp.Interop.Export;

/// <summary>Key names of an exported safetensors file.</summary>
public enum ExportKeys
{
    /// <summary>All three networks under <c>encoder.* / predictor.* / target_encoder.*</c> (the official names, flattened), with the config.</summary>
    JepaSharp,
    /// <summary>One encoder under Hugging Face <c>IJepaModel</c> names (qkv split into query/key/value).</summary>
    HuggingFace,
    /// <summary>One encoder under timm names (final norm as <c>fc_norm</c>).</summary>
    Timm,
}

/// <summary>
/// Writes a JepaSharp model for other tools: safetensors (our keys, or one encoder under HF/timm
/// names) or a torch.save-compatible ZIP checkpoint in the official layout (encoder / predictor /
/// target_encoder dicts with the DDP <c>module.</c> prefix, as the official loader expects).
/// Both are written to a temporary file and renamed into place.
/// </summary>
public static class CheckpointExporter
{
    // Storage bytes are written in pieces of this size (spans stay within int lengths).
    private const int PieceBytes = 1 << 24;

    public static void ToSafetensors(TrainedModel model, string path, ExportKeys keys, bool targetEncoder = true)
    {
        var writer = new SafetensorsWriter();
        if (keys == ExportKeys.JepaSharp)
        {
            foreach (var (prefix, set) in model.Model.StateDicts())
                foreach (var slot in set.Slots) writer.Add(prefix + slot.Name, slot.Tensor);
            writer.AddMetadata("format", Checkpoints.FormatName);
            writer.AddMetadata("config", model.Config.ToYaml());
        }
        else
        {
            var set = targetEncoder ? model.Model.TargetParameters : model.Model.EncoderParameters;
            foreach (var slot in set.Slots) AddEncoderTensor(writer, slot, keys);
            writer.AddMetadata("format", "pt");
            writer.AddMetadata("source", $"JepaSharp {(targetEncoder ? "target" : "context")} encoder");
        }
        writer.Save(path);
    }

    private static void AddEncoderTensor(SafetensorsWriter writer, ParameterSlot slot, ExportKeys keys)
    {
        if (keys == ExportKeys.Timm)
        {
            writer.Add(KeyMapping.TimmName(slot.Name), slot.Tensor);
            return;
        }
        var names = KeyMapping.HuggingFaceNames(slot.Name);
        if (names.Count == 1)
        {
            writer.Add(names[0], slot.Tensor);
            return;
        }
        // qkv [3D, …] → query, key, value: consecutive row blocks.
        var shape = slot.Tensor.Shape.ToArray();
        int rows = shape[0] / names.Count, block = slot.Length / names.Count;
        shape[0] = rows;
        for (int i = 0; i < names.Count; i++) writer.Add(names[i], shape, slot.Tensor.Span.Slice(i * block, block));
    }

    /// <summary>The official training-checkpoint layout, loadable with <c>torch.load</c> (no optimizer state).</summary>
    public static void ToPth(TrainedModel model, string path)
    {
        string target = Path.GetFullPath(path);
        // PyTorch names the archive folder after the file stem; any name is accepted on load.
        string folder = SafeStem(target);
        var root = new PyDict();
        var storages = new List<ParameterSlot>();
        foreach (var (prefix, set) in model.Model.StateDicts())
        {
            var dict = new PyDict();
            foreach (var slot in set.Slots)
            {
                dict.Set("module." + slot.Name, new PickledTensor(storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), slot.Tensor.Shape.ToArray()));
                storages.Add(slot);
            }
            root.Set(prefix.TrimEnd('.'), dict);
        }
        root.Set("epoch", 0L);
        root.Set("step", model.Step);
        root.Set("exported_by", "JepaSharp");
        root.Set(ArchitectureInference.ConfigValueName, model.Config.ToYaml());

        string temporary = $"{target}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            using (var zip = new ZipWriter(new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16)))
            {
                zip.Add($"{folder}/data.pkl", PickleWriter.Serialize(root));
                zip.Add($"{folder}/byteorder", "little"u8);
                for (int i = 0; i < storages.Count; i++)
                {
                    var slot = storages[i];
                    zip.Add($"{folder}/data/{i}", (long)slot.Length * sizeof(float), write =>
                    {
                        var bytes = MemoryMarshal.AsBytes(slot.Tensor.Span);
                        for (int at = 0; at < bytes.Length; at += PieceBytes) write(bytes.Slice(at, Math.Min(PieceBytes, bytes.Length - at)));
                    });
                }
                zip.Add($"{folder}/version", "3\n"u8);
                zip.Finish();
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static string SafeStem(string path)
    {
        string stem = Path.GetFileNameWithoutExtension(path);
        var chars = stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_').ToArray();
        return chars.Length == 0 ? "archive" : new string(chars);
    }
}
