using System.Runtime.InteropServices;
using JepaSharp.Engine.Memory;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Autograd;

/// <summary>
/// One step's computation: an arena for activations and their gradients, a pool of tensor
/// objects, and the tape (the tensors that need a backward, in creation order).
/// <see cref="Backward"/> walks the tape in reverse; <see cref="Reset"/> forgets the step and
/// recycles every buffer, so a steady training loop allocates nothing.
/// </summary>
public sealed unsafe class Graph : IDisposable
{
    private readonly Arena _arena;
    private readonly List<Tensor> _pool = new();
    private readonly List<Tensor> _tape = new();
    // Dead buffers that backward may reuse (see RecycleGradients), with their capacity in floats; a buffer handed out
    // for a smaller request keeps its capacity in _reusedCapacity so it returns to the list at full size.
    private readonly List<(long Capacity, nint Pointer)> _freeBuffers = new();
    private readonly Dictionary<nint, long> _reusedCapacity = new();
    private int _poolUsed;
    private int _noGradDepth;

    public Graph(long initialArenaBytes = 64L << 20)
    {
        _arena = new Arena(initialArenaBytes);
    }

    public Arena Arena => _arena;

    /// <summary>
    /// When set, <see cref="Backward"/> hands an activation's gradient buffer, and the activation's own buffer, back
    /// for reuse as soon as the op that produced the activation has run its backward: every op that read either ran
    /// its backward earlier in the reverse walk, so both are dead from then on. The backward pass then writes its
    /// gradients into the memory of spent activations instead of growing the arena. Intermediate gradients and
    /// activations are gone after the backward (their <c>Grad</c> and <c>Data</c> are null); leave it off to inspect them.
    /// </summary>
    public bool RecycleGradients { get; set; }

    /// <summary>When set, op times are accumulated here (see <see cref="OpProfile"/>).</summary>
    public OpProfile? Profile { get; set; }

    /// <summary>Books the time since the previous recorded op to <paramref name="name"/> in the profile, if any: for work that records no op.</summary>
    public void ProfileSection(string name) => Profile?.Forward(name);

    /// <summary>False inside a <see cref="NoGrad"/> scope: ops then record nothing and save nothing.</summary>
    public bool GradEnabled => _noGradDepth == 0;

    public NoGradScope NoGrad()
    {
        _noGradDepth++;
        return new NoGradScope(this);
    }

    public readonly struct NoGradScope(Graph graph) : IDisposable
    {
        public void Dispose() => graph._noGradDepth--;
    }

    /// <summary>A new activation tensor with uninitialised (or zeroed) arena memory.</summary>
    public Tensor NewTensor(Shape shape, bool zero = false)
    {
        var t = Rent(shape);
        t.Data = _arena.AllocFloats(shape.Numel, zero);
        t.OwnsData = true;
        return t;
    }

    /// <summary>A pooled tensor over existing memory (no arena allocation).</summary>
    internal Tensor NewAlias(Shape shape, float* data)
    {
        var t = Rent(shape);
        t.Data = data;
        return t;
    }

    private Tensor Rent(Shape shape)
    {
        Tensor t;
        if (_poolUsed < _pool.Count)
        {
            t = _pool[_poolUsed];
            t.ResetRecord();
        }
        else
        {
            t = new Tensor();
            _pool.Add(t);
        }
        _poolUsed++;
        t.Graph = this;
        t.Shape = shape;
        return t;
    }

    /// <summary>An input tensor holding a copy of <paramref name="values"/>.</summary>
    public Tensor Input(ReadOnlySpan<float> values, Shape shape, bool requiresGrad = false)
    {
        if (values.Length != shape.Numel)
            throw new ArgumentException($"input of {values.Length} values does not fill shape {shape} ({shape.Numel} elements)");
        var t = NewInput(shape, requiresGrad);
        values.CopyTo(t.Span);
        return t;
    }

    /// <summary>An input tensor over uninitialised arena memory, for the caller to fill (e.g. from several buffers).</summary>
    public Tensor NewInput(Shape shape, bool requiresGrad = false)
    {
        var t = NewTensor(shape);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>
    /// A pooled alias of a parameter (or any tensor with its own gradient buffer) that belongs to
    /// this graph, so an op whose only input is a parameter knows where to allocate its output.
    /// </summary>
    public Tensor Bind(Tensor parameter)
    {
        if (parameter.Graph == this) return parameter;
        var t = NewAlias(parameter.Shape, parameter.Data);
        t.Grad = parameter.Grad;
        t.RequiresGrad = parameter.RequiresGrad && GradEnabled;
        t.Name = parameter.Name;
        return t;
    }


    /// <summary>A point to return to with <see cref="Compact"/>.</summary>
    public readonly record struct Mark(Arena.Position Arena, int Pool, int Tape);

    public Mark Checkpoint() => new(_arena.Mark(), _poolUsed, _tape.Count);

    /// <summary>
    /// Frees every tensor and buffer created since <paramref name="mark"/> except <paramref name="keep"/>,
    /// which moves down to the mark. Only for work recorded on no tape (no-grad inference), where
    /// nothing can refer to the freed memory: the target encoder's full-image pass keeps one
    /// block's activations alive instead of all of them.
    /// </summary>
    public Tensor Compact(Tensor keep, Mark mark)
    {
        if (_tape.Count != mark.Tape)
            throw new InvalidOperationException("compact: ops were recorded for backward since the mark; their saved tensors would be freed");
        var shape = keep.Shape;
        float* source = keep.Data;
        long bytes = (long)shape.Numel * sizeof(float);
        _arena.Release(mark.Arena);
        _poolUsed = mark.Pool;
        var kept = NewTensor(shape);
        Buffer.MemoryCopy(source, kept.Data, bytes, bytes); // overlapping ranges are safe: the destination starts lower
        return kept;
    }

    /// <summary>
    /// Temporary floats for the duration of one op: call <see cref="EndTemporary"/> with the returned mark before
    /// creating any tensor or gradient buffer that must outlive the op. Used by ops that recompute an intermediate
    /// instead of saving it.
    /// </summary>
    public float* BeginTemporary(long count, out Arena.Position mark)
    {
        mark = _arena.Mark();
        return _arena.AllocFloats(count);
    }

    public void EndTemporary(Arena.Position mark) => _arena.Release(mark);

    /// <summary>Scratch floats valid until the next reset.</summary>
    public float* Scratch(long count, bool zero = false) => _arena.AllocFloats(count, zero);

    public int* ScratchInts(long count) => _arena.AllocInts(count);

    /// <summary>True when an op over these inputs must record itself for backward.</summary>
    public bool NeedsGrad(Tensor a, Tensor? b = null, Tensor? c = null)
        => GradEnabled && (a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false));

    /// <summary>Marks <paramref name="output"/> as produced by <paramref name="op"/> and puts it on the tape.</summary>
    public void Record(Tensor output, OpBackward op, Tensor src0, Tensor? src1 = null, Tensor? src2 = null, Tensor? src3 = null, Tensor? src4 = null,
        Tensor? src5 = null, Tensor? src6 = null)
    {
        output.Op = op;
        output.Src0 = src0;
        output.Src1 = src1;
        output.Src2 = src2;
        output.Src3 = src3;
        output.Src4 = src4;
        output.Src5 = src5;
        output.Src6 = src6;
        src0.Readers++;
        if (src1 is not null) src1.Readers++;
        if (src2 is not null) src2.Readers++;
        if (src3 is not null) src3.Readers++;
        if (src4 is not null) src4.Readers++;
        if (src5 is not null) src5.Readers++;
        if (src6 is not null) src6.Readers++;
        output.RequiresGrad = true;
        _tape.Add(output);
        Profile?.Forward(op.Name);
    }

    /// <summary>
    /// The gradient buffer of <paramref name="t"/> for a backward that can overwrite: when the
    /// buffer did not exist yet it is allocated uninitialised and <paramref name="fresh"/> is true,
    /// so the caller writes instead of accumulating and saves a zeroing pass.
    /// </summary>
    public float* GradOf(Tensor? t, out bool fresh)
    {
        fresh = false;
        if (t is null || !t.RequiresGrad) return null;
        if (t.Grad == null)
        {
            t.Grad = AllocGrad(t.Numel, zero: false);
            fresh = true;
        }
        return t.Grad;
    }

    /// <summary>
    /// Lets <paramref name="t"/> take <paramref name="grad"/> as its gradient buffer when it has none yet, for ops whose
    /// input gradient equals the output's (a sum's operands): the output's buffer is dead once its backward ran, so
    /// sharing it saves an allocation and a copy. False when t needs no gradient or already has a buffer to accumulate into.
    /// </summary>
    public bool TryShareGrad(Tensor? t, float* grad)
    {
        if (t is null || !t.RequiresGrad || t.Grad != null) return false;
        t.Grad = grad;
        return true;
    }

    /// <summary>
    /// As <see cref="GradOf(Tensor?, out bool)"/>, but a fresh buffer is <paramref name="t"/>'s own memory when nothing will
    /// read t's values again: gradients are recycled, the caller is t's only reader, t owns its memory (no view shares
    /// it) and t's producer does not read its output in backward. The caller must read each element of t before it
    /// writes that element's gradient. Saves an allocation the size of t at the point of the backward where the most
    /// activations are alive.
    /// </summary>
    public float* GradOverwritingData(Tensor t, out bool fresh)
    {
        if (RecycleGradients && t.Grad == null && t.RequiresGrad && t.OwnsData && t.Readers == 1 && t.Op is { ReadsOutput: false })
        {
            t.Grad = t.Data;
            fresh = true;
            return t.Grad;
        }
        return GradOf(t, out fresh);
    }

    /// <summary>The gradient buffer of <paramref name="t"/>, allocated zeroed on first use; null if it needs none.</summary>
    public float* GradOf(Tensor? t)
    {
        if (t is null || !t.RequiresGrad) return null;
        if (t.Grad == null) t.Grad = AllocGrad(t.Numel, zero: true);
        return t.Grad;
    }

    /// <summary>Backpropagates from a scalar <paramref name="loss"/>, accumulating into every gradient buffer it reaches.</summary>
    public void Backward(Tensor loss)
    {
        if (loss.Numel != 1) throw new ArgumentException($"backward needs a scalar loss, got shape {loss.Shape}");
        if (!loss.RequiresGrad) throw new InvalidOperationException("the loss does not require grad: no parameter or input that requires grad reached it");
        GradOf(loss)[0] += 1f;
        for (int i = _tape.Count - 1; i >= 0; i--)
        {
            var t = _tape[i];
            if (t.Grad == null)
            {
                if (RecycleGradients) FreeActivation(t);
                continue;
            }
            if (Profile is null)
            {
                t.Op!.Backward(t, this);
            }
            else
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                t.Op!.Backward(t, this);
                Profile.Backward(t.Op.Name, start);
            }
            if (RecycleGradients)
            {
                FreeGrad(t);
                FreeActivation(t);
            }
        }
    }

    private float* AllocGrad(long numel, bool zero)
    {
        int best = RecycleGradients ? SmallestFreeBuffer(numel) : -1;
        if (best < 0) return _arena.AllocFloats(numel, zero);
        var (capacity, pointer) = _freeBuffers[best];
        _freeBuffers[best] = _freeBuffers[^1];
        _freeBuffers.RemoveAt(_freeBuffers.Count - 1);
        if (capacity != numel) _reusedCapacity[pointer] = capacity;
        float* reused = (float*)pointer;
        if (zero) new Span<float>(reused, checked((int)numel)).Clear();
        return reused;
    }

    /// <summary>Best fit: the index of the smallest free buffer that holds <paramref name="numel"/> floats, or −1.</summary>
    private int SmallestFreeBuffer(long numel)
    {
        int best = -1;
        for (int i = 0; i < _freeBuffers.Count; i++)
        {
            long capacity = _freeBuffers[i].Capacity;
            if (capacity >= numel && (best < 0 || capacity < _freeBuffers[best].Capacity)) best = i;
        }
        return best;
    }

    /// <summary>Returns t's gradient buffer to the free list unless an input took it over (<see cref="TryShareGrad"/>).</summary>
    private void FreeGrad(Tensor t)
    {
        float* grad = t.Grad;
        t.Grad = null;
        if (grad == t.Data) return; // the gradient took over the activation's memory, which FreeActivation returns
        if (grad == t.Src0?.Grad || grad == t.Src1?.Grad || grad == t.Src2?.Grad || grad == t.Src3?.Grad || grad == t.Src4?.Grad
            || grad == t.Src5?.Grad || grad == t.Src6?.Grad) return;
        Release(grad, t.Numel);
    }

    /// <summary>Returns t's activation buffer to the free list when t owns it (a reshape's view belongs to its source).</summary>
    private void FreeActivation(Tensor t)
    {
        if (!t.OwnsData) return;
        Release(t.Data, t.Numel);
        t.Data = null;
        t.OwnsData = false;
    }

    private void Release(float* buffer, long numel)
    {
        if (_reusedCapacity.Remove((nint)buffer, out long capacity)) numel = capacity;
        _freeBuffers.Add((numel, (nint)buffer));
    }

    /// <summary>Forgets the step: tape, tensors and arena memory are all recycled.</summary>
    public void Reset()
    {
        _tape.Clear();
        _freeBuffers.Clear();
        _reusedCapacity.Clear();
        for (int i = 0; i < _poolUsed; i++) _pool[i].ResetRecord();
        _poolUsed = 0;
        _arena.Reset();
        Profile?.EndStep();
    }

    public void Dispose() => _arena.Dispose();
}
