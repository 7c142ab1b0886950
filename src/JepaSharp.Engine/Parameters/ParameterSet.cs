using JepaSharp.Engine.Memory;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Parameters;

/// <summary>One parameter's place in the flat buffers.</summary>
/// <param name="Name">State-dict key, e.g. <c>blocks.3.attn.qkv.weight</c>.</param>
/// <param name="Offset">Float offset into <see cref="ParameterSet.Values"/> and <see cref="ParameterSet.Grads"/> (a multiple of 16).</param>
/// <param name="Trainable">False for fixed tensors saved with the model (e.g. sin-cos position tables): no gradient, no update.</param>
/// <param name="Decay">Whether AdamW applies weight decay (false for biases and 1-D parameters, as in I-JEPA's param groups).</param>
public sealed record ParameterSlot(string Name, Tensor Tensor, long Offset, int Length, bool Trainable, bool Decay);

/// <summary>
/// All parameters of a model in one 64-byte-aligned buffer, their gradients in a second buffer
/// with the same layout. Optimizer moments, EMA copies and gradient norms then become single
/// vectorized passes over flat memory, and two sets built from the same architecture share a
/// layout slot for slot. A set with no trainable parameter (an EMA target encoder) has an empty
/// gradient buffer, so it costs no gradient memory.
/// </summary>
public sealed unsafe class ParameterSet : IDisposable
{
    private const int AlignFloats = 16;

    public NativeBuffer Values { get; }
    public NativeBuffer Grads { get; }
    public IReadOnlyList<ParameterSlot> Slots { get; }
    private readonly Dictionary<string, ParameterSlot> _byName;
    private readonly bool _ownsValues;

    /// <summary>Total floats including alignment padding (padding is always zero in values and gradients).</summary>
    public long Length => Values.Length;

    /// <summary>Number of trainable scalars (excluding padding and fixed tensors).</summary>
    public long TrainableCount => Slots.Where(s => s.Trainable).Sum(s => (long)s.Length);

    /// <summary>
    /// Lays out <paramref name="parameters"/> (declared but not yet backed by memory) in flat
    /// buffers and points each tensor's Data (and, if trainable, Grad) into them.
    /// </summary>
    public ParameterSet(IEnumerable<(string Name, Tensor Tensor, bool Trainable)> parameters) : this(parameters, sharedValues: null) { }

    /// <summary>
    /// A set over the same values as <paramref name="values"/> with gradients of its own: <paramref name="parameters"/>
    /// (a second instance of the same architecture, declared but not backed) read <paramref name="values"/>' memory and
    /// accumulate into a new gradient buffer, so two threads can back-propagate through one model at once. The
    /// values stay owned by <paramref name="values"/>.
    /// </summary>
    public static ParameterSet SharingValues(IEnumerable<(string Name, Tensor Tensor, bool Trainable)> parameters, ParameterSet values)
        => new(parameters, values);

    private ParameterSet(IEnumerable<(string Name, Tensor Tensor, bool Trainable)> parameters, ParameterSet? sharedValues)
    {
        var slots = new List<ParameterSlot>();
        _byName = new Dictionary<string, ParameterSlot>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, tensor, trainable) in parameters)
        {
            if (_byName.ContainsKey(name)) throw new ArgumentException($"duplicate parameter name '{name}'");
            int length = tensor.Shape.Numel;
            bool decay = trainable && tensor.Shape.Rank > 1 && !name.EndsWith(".bias", StringComparison.Ordinal);
            var slot = new ParameterSlot(name, tensor, offset, length, trainable, decay);
            slots.Add(slot);
            _byName.Add(name, slot);
            offset += (length + AlignFloats - 1) / AlignFloats * AlignFloats;
        }
        // Checked before any tensor points into the shared values.
        if (sharedValues is not null) RequireSameLayout(slots, offset, sharedValues);
        _ownsValues = sharedValues is null;
        Values = sharedValues?.Values ?? new NativeBuffer(offset);
        Grads = new NativeBuffer(slots.Any(s => s.Trainable) ? offset : 0);
        foreach (var s in slots)
        {
            s.Tensor.Data = Values.Pointer + s.Offset;
            s.Tensor.Grad = s.Trainable ? Grads.Pointer + s.Offset : null;
            s.Tensor.RequiresGrad = s.Trainable;
            s.Tensor.Name = s.Name;
        }
        Slots = slots;
    }

    public ParameterSlot this[string name] =>
        _byName.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"no parameter named '{name}'");

    public bool TryGet(string name, out ParameterSlot slot) => _byName.TryGetValue(name, out slot!);

    public void ZeroGrad() => Grads.Clear();

    /// <summary>Copies every value from a set with the same layout (e.g. initialising an EMA target encoder).</summary>
    public void CopyFrom(ParameterSet other)
    {
        RequireSameLayout(other);
        other.Values.AsSpan().CopyTo(Values.AsSpan());
    }

    public void RequireSameLayout(ParameterSet other) => RequireSameLayout(Slots, Length, other);

    private static void RequireSameLayout(IReadOnlyList<ParameterSlot> slots, long length, ParameterSet other)
    {
        if (other.Slots.Count != slots.Count || other.Length != length)
            throw new ArgumentException($"parameter sets differ: {slots.Count} tensors / {length} floats vs {other.Slots.Count} / {other.Length}");
        for (int i = 0; i < slots.Count; i++)
            if (slots[i].Name != other.Slots[i].Name || slots[i].Tensor.Shape != other.Slots[i].Tensor.Shape)
                throw new ArgumentException($"parameter sets differ at '{slots[i].Name}'{slots[i].Tensor.Shape} vs '{other.Slots[i].Name}'{other.Slots[i].Tensor.Shape}");
    }

    public void Dispose()
    {
        if (_ownsValues) Values.Dispose();
        Grads.Dispose();
    }
}
