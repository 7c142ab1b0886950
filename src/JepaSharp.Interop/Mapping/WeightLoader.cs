using JepaSharp.Engine.Parameters;
using JepaSharp.Jepa.Models;

namespace JepaSharp.Interop.Mapping;

/// <summary>What a load filled from the file and what it left or derived.</summary>
public sealed record LoadReport(int TensorsRead, bool PredictorFresh, bool TargetFromEncoder, IReadOnlyList<string> Interpolated);

/// <summary>
/// Copies mapped weights into a model built for them, tensor by tensor (each converted to float32
/// straight from the mapped file into the parameter): exact shapes are required, except position
/// tables, which are interpolated to the model's grid. A file without a predictor leaves the
/// model's fresh one; a file with one encoder fills the target encoder with it too.
/// </summary>
public static class WeightLoader
{
    private static readonly HashSet<string> PositionTables = new(StringComparer.Ordinal) { "pos_embed", "predictor_pos_embed" };

    public static LoadReport LoadInto(MappedWeights weights, IJepaModel model, string sourcePath)
    {
        int read = 0;
        var interpolated = new List<string>();
        bool predictorFresh = false, targetFromEncoder = false;
        foreach (var (prefix, set) in model.StateDicts())
        {
            string from = prefix;
            if (!weights.Has(prefix))
            {
                if (prefix == MappedWeights.Predictor)
                {
                    predictorFresh = true;
                    continue;
                }
                from = prefix == MappedWeights.TargetEncoder ? MappedWeights.Encoder : MappedWeights.TargetEncoder;
                if (!weights.Has(from)) throw new InvalidDataException($"'{sourcePath}' holds no encoder weights");
                targetFromEncoder |= prefix == MappedWeights.TargetEncoder;
            }
            read += LoadGroup(weights.Group(from), from, set, sourcePath, interpolated);
        }
        return new LoadReport(read, predictorFresh, targetFromEncoder, interpolated);
    }

    private static int LoadGroup(IReadOnlyDictionary<string, MappedTensor> group, string prefix, ParameterSet set, string sourcePath, List<string> interpolated)
    {
        var extra = group.Keys.Except(set.Slots.Select(s => s.Name), StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw new InvalidDataException($"'{sourcePath}' has {extra.Count} {prefix.TrimEnd('.')} tensors the model does not (e.g. '{prefix}{extra[0]}'): a different architecture");
        foreach (var slot in set.Slots)
        {
            if (!group.TryGetValue(slot.Name, out var tensor))
                throw new InvalidDataException($"'{sourcePath}' has no '{prefix}{slot.Name}' (the model needs it: a different architecture?)");
            var want = slot.Tensor.Shape.ToArray();
            if (tensor.Shape.SequenceEqual(want))
            {
                tensor.ReadFloat32(slot.Tensor.Span);
                continue;
            }
            if (!PositionTables.Contains(slot.Name) || tensor.Shape.Length != 3 || want.Length != 3 || tensor.Shape[2] != want[2])
                throw new InvalidDataException($"'{sourcePath}': '{prefix}{slot.Name}' has shape [{string.Join(", ", tensor.Shape)}], the model expects [{string.Join(", ", want)}]");
            int from = ArchitectureInference.SquareGrid(tensor.Shape[1], sourcePath, prefix + slot.Name);
            int to = ArchitectureInference.SquareGrid(want[1], sourcePath, "the model's " + slot.Name);
            PositionInterpolation.Bicubic(tensor.ReadFloat32(), from, from, to, to, want[2]).CopyTo(slot.Tensor.Span);
            interpolated.Add($"{prefix}{slot.Name} {from}x{from} -> {to}x{to}");
        }
        return set.Slots.Count;
    }
}
