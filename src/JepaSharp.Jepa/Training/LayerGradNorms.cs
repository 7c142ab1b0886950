using JepaSharp.Engine.Optim;
using JepaSharp.Engine.Parameters;
using JepaSharp.Jepa.Models;

namespace JepaSharp.Jepa.Training;

/// <summary>
/// Gradient norms per layer (gradient flow): the trainable parameters of encoder and predictor grouped by module —
/// <c>encoder.blocks.3</c>, <c>predictor.predictor_embed</c>, … — and √Σg² of each group, measured before clipping.
/// </summary>
public sealed unsafe class LayerGradNorms
{
    private readonly (ParameterSet Set, ParameterSlot[] Slots)[] _groups;

    public LayerGradNorms(IJepaModel model)
    {
        var names = new List<string>();
        var groups = new List<(ParameterSet, ParameterSlot[])>();
        foreach (var (prefix, set) in new[] { ("encoder.", model.EncoderParameters), ("predictor.", model.PredictorParameters) })
        {
            foreach (var group in set.Slots.Where(s => s.Trainable).GroupBy(s => GroupOf(s.Name)))
            {
                names.Add(prefix + group.Key);
                groups.Add((set, group.ToArray()));
            }
        }
        Names = names;
        _groups = groups.ToArray();
        Values = new double[_groups.Length];
    }

    /// <summary>Group names, e.g. <c>encoder.patch_embed</c>, <c>encoder.blocks.0</c>, …, <c>predictor.predictor_proj</c>.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The norms of the last <see cref="Measure"/>, in the order of <see cref="Names"/>.</summary>
    public double[] Values { get; }

    /// <summary>The module a parameter belongs to: its first name component, or the first two for a numbered block.</summary>
    public static string GroupOf(string parameterName)
    {
        var parts = parameterName.Split('.');
        return parts.Length > 2 && int.TryParse(parts[1], out _) ? $"{parts[0]}.{parts[1]}" : parts[0];
    }

    public void Measure()
    {
        for (int g = 0; g < _groups.Length; g++)
        {
            var (set, slots) = _groups[g];
            double sum = 0;
            foreach (var slot in slots) sum += OptimKernels.SumOfSquares(set.Grads.Pointer + slot.Offset, slot.Length);
            Values[g] = Math.Sqrt(sum);
        }
    }
}
