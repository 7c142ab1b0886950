using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Nn;

/// <summary>
/// A building block that declares its parameters and children by explicit name, so the dotted
/// paths (<c>blocks.3.attn.qkv.weight</c>) are the PyTorch state-dict keys. Parameters are only
/// declared here; <see cref="Materialize"/> lays them out in one flat <see cref="ParameterSet"/>.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Tensor, bool Trainable)> _parameters = new();
    private readonly List<(string Name, Module Module)> _children = new();

    protected Tensor Parameter(string name, Shape shape, bool trainable = true)
    {
        var t = Tensor.Declare(shape);
        _parameters.Add((name, t, trainable));
        return t;
    }

    protected T Child<T>(string name, T module) where T : Module
    {
        _children.Add((name, module));
        return module;
    }

    /// <summary>Parameters in registration order (own first, then children's), with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Tensor, bool Trainable)> NamedParameters(string prefix = "")
    {
        foreach (var (name, tensor, trainable) in _parameters) yield return (prefix + name, tensor, trainable);
        foreach (var (name, child) in _children)
            foreach (var p in child.NamedParameters(prefix + name + "."))
                yield return p;
    }

    /// <summary>Gives every parameter memory in a new flat set and initialises it from <paramref name="rng"/>.</summary>
    public ParameterSet Materialize(Random rng)
    {
        var set = new ParameterSet(NamedParameters());
        Initialize(rng);
        return set;
    }

    /// <summary>Sets initial values (children first, then this module's own rule), deterministically from <paramref name="rng"/>.</summary>
    public void Initialize(Random rng)
    {
        foreach (var (_, child) in _children) child.Initialize(rng);
        ResetParameters(rng);
    }

    /// <summary>This module's own initialisation; children are already initialised.</summary>
    protected virtual void ResetParameters(Random rng) { }
}
