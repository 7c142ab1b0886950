using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using Xunit;

namespace JepaSharp.Tests.Autograd;

public class GraphTests
{
    [Fact]
    public void FanOutAccumulatesBothGradientContributions()
    {
        using var g = new Graph();
        var x = g.Input([1f, 2f, 3f], new Shape(3), requiresGrad: true);
        var loss = Ops.Sum(Ops.Mul(x, x)); // d/dx Σx² = 2x, reached through both operands
        g.Backward(loss);
        Assert.Equal([2f, 4f, 6f], x.GradSpan.ToArray());
    }

    [Fact]
    public void SumsShareTheOutputGradientWithoutMixingOperands()
    {
        using var g = new Graph();
        var x = g.Input([1f, 2f], new Shape(2), requiresGrad: true);
        var w = g.Input([3f, 5f], new Shape(2), requiresGrad: true);
        // Residual: r = x + x·w, then x + x (one tensor as both operands), then a broadcast add.
        var r = Ops.Add(x, Ops.Mul(x, w));
        var doubled = Ops.Add(r, r);
        var row = g.Input([0.5f, -0.5f], new Shape(1, 2), requiresGrad: true);
        var y = Ops.AddBroadcast(Ops.Reshape(doubled, new Shape(1, 2)), row);
        g.Backward(Ops.Sum(Ops.Mul(y, g.Input([1f, 10f], new Shape(1, 2)))));
        // dL/dr = 2·[1, 10]; dL/dx = dL/dr · (1 + w); dL/dw = dL/dr · x; dL/drow = [1, 10].
        Assert.Equal([8f, 120f], x.GradSpan.ToArray());
        Assert.Equal([2f, 40f], w.GradSpan.ToArray());
        Assert.Equal([1f, 10f], row.GradSpan.ToArray());
    }

    [Fact]
    public void RecycledGradientBuffersGiveTheSameGradientsInLessMemory()
    {
        var input = Support.TestData.Uniform(64 * 48, 3);
        var weights = Enumerable.Range(0, 4).Select(i => Support.TestData.Uniform(48 * 48, 10 + i, 0.2f)).ToArray();
        (float[][] Grads, long Peak) Run(bool recycle)
        {
            using var g = new Graph { RecycleGradients = recycle };
            var x = g.Input(input, new Shape(64, 48), requiresGrad: true);
            var ws = weights.Select(w => g.Input(w, new Shape(48, 48), requiresGrad: true)).ToArray();
            var h = x;
            foreach (var w in ws) h = Ops.Add(h, Ops.Gelu(Ops.Linear(Ops.LayerNorm(h, null, null, 1e-5f), w)));
            g.Backward(Ops.Sum(Ops.Mul(h, h)));
            return ([x.GradSpan.ToArray(), .. ws.Select(w => w.GradSpan.ToArray())], g.Arena.PeakBytes);
        }
        var (plain, plainPeak) = Run(false);
        var (recycled, recycledPeak) = Run(true);
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], recycled[i]);
        Assert.True(recycledPeak < 0.8 * plainPeak, $"peak {recycledPeak} bytes with recycling vs {plainPeak} without");
    }

    [Fact]
    public void BackwardWritesGradientsIntoSpentActivations()
    {
        // Eight pre-norm residual layers: with recycling, every gradient after the first layer's lands in the memory of
        // an activation whose last reader has run its backward, so the backward adds a few buffers, not one per op.
        const int rows = 64, dim = 48, layers = 8;
        var input = Support.TestData.Uniform(rows * dim, 3);
        var weights = Enumerable.Range(0, layers).Select(i => Support.TestData.Uniform(dim * dim, 10 + i, 0.2f)).ToArray();
        var gamma = Enumerable.Repeat(1f, dim).ToArray();
        (long Extra, float[] Grad) Run(bool recycle)
        {
            using var g = new Graph { RecycleGradients = recycle };
            var x = g.Input(input, new Shape(rows, dim), requiresGrad: true);
            var ones = g.Input(gamma, new Shape(dim), requiresGrad: true);
            var zeros = g.Input(new float[dim], new Shape(dim), requiresGrad: true);
            var h = x;
            foreach (var w in weights)
                h = Ops.GeluLinear(Ops.NormLinear(h, ones, zeros, 1e-6f, g.Input(w, new Shape(dim, dim)), null), g.Input(w, new Shape(dim, dim)), null, residual: h);
            var loss = Ops.Sum(Ops.Mul(h, h));
            long forward = g.Arena.BytesInUse;
            g.Backward(loss);
            return (g.Arena.PeakBytes - forward, x.GradSpan.ToArray());
        }
        var (plainExtra, plainGrad) = Run(false);
        var (recycledExtra, recycledGrad) = Run(true);
        long activation = rows * dim * sizeof(float);
        Assert.Equal(plainGrad, recycledGrad);
        Assert.True(plainExtra >= layers * activation, $"without recycling the backward added {plainExtra} bytes");
        // Three fresh buffers (the loss's product, its gradient, the last layer's first input gradient) and the scalars.
        Assert.True(recycledExtra <= 3 * activation + 1024, $"with recycling the backward added {recycledExtra} bytes, over three {activation}-byte buffers");
    }

    [Fact]
    public void GradientsTakeOverActivationsNothingReadsAgain()
    {
        // A pre-norm block's two halves: qkv and the MLP's hidden h are read by one op each, whose backward writes dqkv
        // and dh over them. A second reader recorded before (so its backward runs after) must keep its own copy.
        const int batch = 2, tokens = 9, dim = 16, heads = 2, hidden = 256;
        var input = Support.TestData.Uniform(batch * tokens * dim, 5);
        float[] W(int rows, int cols, int seed) => Support.TestData.Uniform(rows * cols, seed, 0.3f);
        var (qkvW, projW, fc1W, fc2W) = (W(3 * dim, dim, 6), W(dim, dim, 7), W(hidden, dim, 8), W(dim, hidden, 9));
        (float[][] Grads, long Extra) Run(bool recycle, bool hiddenReadTwice, bool grads = true)
        {
            using var g = new Graph { RecycleGradients = recycle };
            var x = g.Input(input, new Shape(batch, tokens, dim), requiresGrad: true);
            var ones = g.Input(Enumerable.Repeat(1f, dim).ToArray(), new Shape(dim), requiresGrad: true);
            var zeros = g.Input(new float[dim], new Shape(dim), requiresGrad: true);
            var ws = new[] { qkvW, projW, fc1W, fc2W }.Select((w, i) => g.Input(w, new Shape(i % 2 == 0 ? w.Length / dim : dim, i % 2 == 0 ? dim : w.Length / dim), requiresGrad: grads)).ToArray();
            var mid = Ops.AttentionLinear(Ops.NormLinear(x, ones, zeros, 1e-6f, ws[0], null), heads, ws[1], null, residual: x);
            var h = Ops.NormLinear(mid, ones, zeros, 1e-6f, ws[2], null);
            Tensor? extra = hiddenReadTwice ? Ops.Sum(Ops.Mul(h, h)) : null;
            var y = Ops.GeluLinear(h, ws[3], null, residual: mid);
            var loss = Ops.Sum(Ops.Mul(y, y));
            if (extra is not null) loss = Ops.Add(loss, extra);
            long forward = g.Arena.BytesInUse;
            g.Backward(loss);
            return ([x.GradSpan.ToArray(), ones.GradSpan.ToArray(), .. ws.Where(w => w.HasGrad).Select(w => w.GradSpan.ToArray())], g.Arena.PeakBytes - forward);
        }
        foreach (bool twice in new[] { false, true })
        {
            var (plain, _) = Run(recycle: false, twice);
            var (recycled, _) = Run(recycle: true, twice);
            for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], recycled[i]);
        }
        // With constant weights the backward needs one [rows, hidden] temporary (GELU(h), then dA) and no buffer for dh.
        long hiddenBytes = batch * tokens * hidden * sizeof(float);
        long added = Run(recycle: true, hiddenReadTwice: false, grads: false).Extra;
        Assert.True(added < 2 * hiddenBytes, $"the backward added {added} bytes: dh did not take over h ({hiddenBytes} bytes)");
    }

    [Fact]
    public void ProfileCountsTheStepsItSawAndBooksSectionsToTheirOwnRows()
    {
        using var g = new Graph();
        void Step(bool withSection)
        {
            g.Reset();
            var x = g.Input([1f, 2f, 3f], new Shape(3), requiresGrad: true);
            if (withSection) g.ProfileSection("setup");
            g.Backward(Ops.Sum(Ops.Scale(x, 2f)));
        }
        Step(withSection: false); // before the profile is attached: must not count
        g.Profile = new OpProfile();
        for (int i = 0; i < 3; i++) Step(withSection: true);
        g.Reset();
        var rows = g.Profile.Rows().ToDictionary(r => r.Op);
        Assert.Equal(3, g.Profile.Steps);
        Assert.Equal(["scale", "setup", "sum"], rows.Keys.Order());
        Assert.All(rows.Values, r => Assert.Equal(1.0, r.Calls));
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        using var g = new Graph();
        var x = g.Input([1f, 2f], new Shape(2), requiresGrad: true);
        Tensor y;
        using (g.NoGrad()) y = Ops.Scale(x, 3f);
        Assert.False(y.RequiresGrad);
        Assert.Equal([3f, 6f], y.ToArray());
        Assert.Throws<InvalidOperationException>(() => g.Backward(Ops.Sum(y)));
    }

    [Fact]
    public void ShapeMismatchNamesTheOpAndBothShapes()
    {
        using var g = new Graph();
        var a = g.Input(new float[6], new Shape(2, 3));
        var b = g.Input(new float[6], new Shape(3, 2));
        var e = Assert.Throws<ArgumentException>(() => Ops.Add(a, b));
        Assert.Contains("add", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[3, 2]", e.Message);
        var w = g.Input(new float[8], new Shape(2, 4));
        e = Assert.Throws<ArgumentException>(() => Ops.Linear(a, w));
        Assert.Contains("linear", e.Message);
        Assert.Contains("[2, 4]", e.Message);
    }

    [Fact]
    public void SteadyStateStepsReuseArenaMemory()
    {
        using var g = new Graph(initialArenaBytes: 1 << 20);
        var input = new float[64 * 300];
        long reserved = 0;
        for (int step = 0; step < 4; step++)
        {
            g.Reset();
            var x = g.Input(input, new Shape(64, 300), requiresGrad: true);
            g.Backward(Ops.Sum(Ops.Gelu(Ops.Scale(x, 2f))));
            if (step == 1) reserved = g.Arena.BytesReserved;
            if (step > 1) Assert.Equal(reserved, g.Arena.BytesReserved);
        }
    }
}
