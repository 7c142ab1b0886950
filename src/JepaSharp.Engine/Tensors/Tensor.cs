using JepaSharp.Engine.Autograd;

namespace JepaSharp.Engine.Tensors;

/// <summary>
/// A contiguous float32 tensor: a shape and a pointer into native memory (a parameter buffer or a
/// step arena). A tensor produced by an op also records how it was made (its op, its inputs and
/// what the op saved) so <see cref="Graph.Backward"/> can run the op's backward kernel.
/// Activation tensors are pooled by their <see cref="Autograd.Graph"/> and valid until its reset.
/// </summary>
public sealed unsafe class Tensor
{
    public Shape Shape { get; internal set; }
    public float* Data { get; internal set; }

    /// <summary>The gradient buffer: parameters own one in their flat gradient buffer; activations get one during backward.</summary>
    public float* Grad { get; internal set; }

    public bool RequiresGrad { get; internal set; }

    /// <summary>The graph that owns this activation; null for parameters and free-standing tensors.</summary>
    public Graph? Graph { get; internal set; }

    /// <summary>A parameter's state-dict key (for example <c>blocks.3.attn.qkv.weight</c>).</summary>
    public string? Name { get; internal set; }

    // How this tensor was produced (null Op = leaf). Ops decide what the slots mean.
    internal OpBackward? Op;
    internal Tensor? Src0, Src1, Src2, Src3, Src4, Src5, Src6;
    internal void* Saved0, Saved1, Saved2;
    internal int Arg0, Arg1, Arg2, Arg3;
    internal float FArg0, FArg1;
    /// <summary>True when Data is this tensor's own arena allocation (not a view of another tensor or a parameter).</summary>
    internal bool OwnsData;
    /// <summary>How many input slots of recorded ops hold this tensor (a tensor read twice by one op counts twice).</summary>
    internal int Readers;

    public int Numel => Shape.Numel;

    public bool HasGrad => Grad != null;

    public Span<float> Span => new(Data, Shape.Numel);

    public Span<float> GradSpan => Grad == null
        ? throw new InvalidOperationException($"tensor {Describe()} has no gradient")
        : new Span<float>(Grad, Shape.Numel);

    internal Tensor() { }

    /// <summary>A parameter declared with its shape; a <see cref="Parameters.ParameterSet"/> gives it memory.</summary>
    public static Tensor Declare(Shape shape) => new() { Shape = shape };

    /// <summary>A tensor over memory the caller owns (a parameter buffer, a pinned array).</summary>
    public static Tensor Wrap(float* data, Shape shape, float* grad = null, string? name = null)
        => new() { Data = data, Shape = shape, Grad = grad, RequiresGrad = grad != null, Name = name };

    internal void ResetRecord()
    {
        Op = null;
        Src0 = Src1 = Src2 = Src3 = Src4 = Src5 = Src6 = null;
        Saved0 = Saved1 = Saved2 = null;
        Arg0 = Arg1 = Arg2 = Arg3 = 0;
        FArg0 = FArg1 = 0;
        Grad = null;
        RequiresGrad = false;
        OwnsData = false;
        Readers = 0;
        Name = null;
    }

    public float[] ToArray() => Span.ToArray();

    public string Describe() => Name is null ? $"tensor{Shape}" : $"'{Name}'{Shape}";

    public override string ToString() => Describe();
}
