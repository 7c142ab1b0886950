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

    /// <summary>
    /// False when the backward never reads the output's values (only its gradient and the inputs): the output's memory
    /// may then hold its own gradient once its one reader has run (see <see cref="Graph.GradOverwritingData"/>).
    /// </summary>
    internal virtual bool ReadsOutput => true;

    /// <summary>Accumulates (+=) the gradients of <paramref name="output"/>'s inputs from <c>output.Grad</c>.</summary>
    internal abstract void Backward(Tensor output, Graph graph);
}
