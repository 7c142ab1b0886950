using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using JepaSharp.Nn;

namespace JepaSharp.Bench;

public sealed record BlockResult(int Batch, int Tokens, int Dim, int Heads, double JepaMs, double JepaGflops,
    double? TorchMs, string? TorchConfig, double? Speedup, long AllocatedBytesPerStep);

/// <summary>One pre-norm ViT block forward + backward (loss = Σ out∘g) at a given batch, tokens and width.</summary>
public static class BlockBenchmark
{
    /// <summary>Forward + backward FLOPs of the block's matrix products (linear layers and attention).</summary>
    public static double Flops(int batch, int tokens, int dim, int heads)
    {
        double rows = (double)batch * tokens;
        double linear = 2 * rows * (dim * 3.0 * dim + dim * dim + 2 * dim * 4.0 * dim);
        double attention = 2 * 2 * (double)batch * tokens * tokens * dim;
        return 3 * (linear + attention); // backward costs two products per forward product
    }

    public static BlockResult Run(int batch, int tokens, int dim, int heads, bool withTorch, Action<string>? log = null, bool profile = false)
    {
        var block = new Block(dim, heads);
        using var parameters = block.Materialize(new Random(0));
        using var graph = new Graph();
        var rng = new Random(1);
        var x = new float[batch * tokens * dim];
        var g = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(rng.NextDouble() * 2 - 1);
            g[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        var shape = new Shape(batch, tokens, dim);
        void Step()
        {
            graph.Reset();
            parameters.ZeroGrad();
            var input = graph.Input(x, shape, requiresGrad: true);
            var y = block.Forward(input);
            graph.Backward(Ops.Sum(Ops.Mul(y, graph.Input(g, shape))));
        }
        double seconds = Timing.MedianSeconds(Step, warmup: 3, repeats: 10);
        if (profile && log != null)
        {
            graph.Profile = new OpProfile();
            for (int i = 0; i < 10; i++) Step();
            graph.Reset();
            foreach (var (op, fwd, bwd, calls) in graph.Profile.Rows())
                log($"  {op,-16} forward {fwd,7:F2} ms   backward {bwd,7:F2} ms   ({calls:F0} calls)");
            graph.Profile = null;
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        double gflops = Flops(batch, tokens, dim, heads) / seconds / 1e9;
        log?.Invoke($"jepa block: {seconds * 1e3:F2} ms ({gflops:F0} GFLOP/s), {allocated} managed bytes per step");

        TorchYardstick.Result? torch = null;
        if (withTorch)
        {
            (torch, var note) = TorchYardstick.Measure("bench_torch.py",
                ["block", "--batch", $"{batch}", "--tokens", $"{tokens}", "--dim", $"{dim}", "--heads", $"{heads}"],
                JepaSharp.Engine.Threading.WorkerPool.Shared.Threads);
            if (note != null) log?.Invoke(note);
        }
        return new BlockResult(batch, tokens, dim, heads, Math.Round(seconds * 1e3, 2), Math.Round(gflops, 1),
            torch == null ? null : Math.Round(torch["seconds"] * 1e3, 2), torch?.Config,
            torch == null ? null : Math.Round(torch["seconds"] / seconds, 2), allocated);
    }
}
