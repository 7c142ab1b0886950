using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Autograd;

/// <summary>
/// The backward rule of one op. Each op has a single stateless instance; everything a backward
/// pass needs (inputs, saved statistics, integer arguments) is stored on the output tensor, so
/// recording an op allocates nothing.
/// </summary>
public abstract class OpBackward
{
    public abstract string Name { get; }

    /// <summary>Accumulates (+=) the gradients of <paramref name="output"/>'s inputs from <c>output.Grad</c>.</summary>
    internal abstract void Backward(Tensor output, Graph graph);
}
