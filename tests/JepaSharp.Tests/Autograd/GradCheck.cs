using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using Xunit;

namespace JepaSharp.Tests.Autograd;

/// <summary>
/// Central-difference gradient check: L = Σ f(inputs) ∘ w for a fixed random w, analytic
/// gradients from the tape against (L(x+ε) − L(x−ε)) / 2ε for every input element.
/// </summary>
public static class GradCheck
{
    public static void Check(string what, Func<Tensor[], Tensor> f, Shape[] shapes, int seed = 1,
        float eps = 1e-2f, double atol = 2e-3, double rtol = 2e-2, Func<int, float[]>? values = null, bool[]? differentiable = null)
    {
        var inputs = new float[shapes.Length][];
        for (int i = 0; i < shapes.Length; i++)
            inputs[i] = values?.Invoke(i) ?? Support.TestData.Uniform(shapes[i].Numel, seed * 31 + i);
        float[]? weights = null;

        using var graph = new Graph();
        double Loss(bool record, out float[][] grads)
        {
            graph.Reset();
            grads = Array.Empty<float[]>();
            Graph.NoGradScope? scope = record ? null : graph.NoGrad();
            var ts = new Tensor[shapes.Length];
            for (int i = 0; i < shapes.Length; i++)
                ts[i] = graph.Input(inputs[i], shapes[i], requiresGrad: differentiable?[i] ?? true);
            var y = f(ts);
            weights ??= Support.TestData.Uniform(y.Numel, seed * 17 + 5);
            double loss = 0;
            var ys = y.Span;
            for (int i = 0; i < ys.Length; i++) loss += (double)ys[i] * weights[i];
            if (record)
            {
                var l = Ops.Sum(Ops.Mul(y, graph.Input(weights, y.Shape)));
                graph.Backward(l);
                grads = ts.Select(t => !t.HasGrad ? new float[t.Numel] : t.GradSpan.ToArray()).ToArray();
            }
            scope?.Dispose();
            return loss;
        }

        Loss(true, out var analytic);
        for (int i = 0; i < shapes.Length; i++)
        {
            if (!(differentiable?[i] ?? true)) continue;
            for (int j = 0; j < inputs[i].Length; j++)
            {
                float saved = inputs[i][j];
                inputs[i][j] = saved + eps;
                double plus = Loss(false, out _);
                inputs[i][j] = saved - eps;
                double minus = Loss(false, out _);
                inputs[i][j] = saved;
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[i][j];
                if (Math.Abs(a - numeric) > atol + rtol * Math.Abs(numeric))
                    Assert.Fail($"{what}: d/d input{i}[{j}] analytic {a:G6} vs numeric {numeric:G6}");
            }
        }
    }
}
