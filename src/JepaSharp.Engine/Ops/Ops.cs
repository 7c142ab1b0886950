using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Ops;

/// <summary>
/// Differentiable operations. Each op checks its shapes (naming the op and every shape involved),
/// computes its output with a kernel into the owning graph's arena, and, when a gradient is
/// needed, records a backward rule that calls the matching backward kernel. Backward rules
/// accumulate into their inputs' gradients, so a tensor used twice receives both contributions.
/// </summary>
public static unsafe partial class Ops
{
    /// <summary>The graph an op over these tensors runs in: the first input that belongs to one.</summary>
    private static Graph GraphOf(string op, Tensor a, Tensor? b = null, Tensor? c = null)
        => a.Graph ?? b?.Graph ?? c?.Graph
           ?? throw new InvalidOperationException($"{op}: none of the inputs belongs to a Graph (create inputs with graph.Input or pass an activation)");

    private static ArgumentException ShapeError(string op, string problem) => new($"{op}: {problem}");

    private static void RequireSameShape(string op, Tensor a, Tensor b)
    {
        if (a.Shape != b.Shape) throw ShapeError(op, $"shapes {a.Shape} and {b.Shape} differ (no implicit broadcasting)");
    }

    private static void RequireRank(string op, Tensor t, int rank, string name)
    {
        if (t.Shape.Rank != rank) throw ShapeError(op, $"{name} must have rank {rank}, got {t.Shape}");
    }
}
