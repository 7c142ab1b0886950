using JepaSharp.Engine.Optim;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Threading;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Optim;

[Collection(nameof(OptimKernelState))]
public unsafe class AdamWTests
{
    private const double Lr = 1e-2, Wd = 0.5;

    /// <summary>The update as written in the AdamW paper / PyTorch docs, in double, per slot.</summary>
    private sealed class NaiveAdamW(ParameterSet ps)
    {
        private readonly Dictionary<string, (double[] P, double[] M, double[] V)> _state = ps.Slots.ToDictionary(
            s => s.Name, s => (s.Tensor.Span.ToArray().Select(x => (double)x).ToArray(), new double[s.Length], new double[s.Length]));

        public int T;

        public void Step(double lr, double wd, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
        {
            T++;
            foreach (var s in ps.Slots.Where(s => s.Trainable))
            {
                var (p, m, v) = _state[s.Name];
                var g = s.Tensor.GradSpan;
                double decay = s.Decay ? wd : 0;
                for (int i = 0; i < s.Length; i++)
                {
                    p[i] -= lr * decay * p[i];
                    m[i] = b1 * m[i] + (1 - b1) * g[i];
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                    double mHat = m[i] / (1 - Math.Pow(b1, T)), vHat = v[i] / (1 - Math.Pow(b2, T));
                    p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
                }
            }
        }

        public (double[] P, double[] M, double[] V) this[string name] => _state[name];
    }

    [Fact]
    public void MatchesDoublePrecisionReferenceOverSeveralSteps()
    {
        using var ps = OptimTestSets.Vit();
        OptimTestSets.Fill(ps, seed: 1);
        var fixedBefore = ps["pos_embed"].Tensor.Span.ToArray();
        var naive = new NaiveAdamW(ps);
        using var opt = new AdamW(ps);
        using var pool = new WorkerPool(2);
        for (int step = 1; step <= 6; step++)
        {
            // Gradients shrinking by steps of 10 make the moments and bias corrections matter.
            OptimTestSets.FillGrads(ps, seed: 10 + step, scale: MathF.Pow(0.1f, step % 3));
            naive.Step(Lr, Wd);
            opt.Step(Lr, Wd, pool);
        }
        Assert.Equal(6, opt.StepCount);
        foreach (var s in ps.Slots.Where(s => s.Trainable))
        {
            var (p, m, v) = naive[s.Name];
            TestData.AssertClose(p, s.Tensor.Span, 1e-6, 1e-5, $"{s.Name} values");
            TestData.AssertClose(m, opt.ExpAvg.AsSpan(s.Offset, s.Length), 1e-7, 1e-5, $"{s.Name} exp_avg");
            TestData.AssertClose(v, opt.ExpAvgSq.AsSpan(s.Offset, s.Length), 1e-12, 1e-5, $"{s.Name} exp_avg_sq");
        }
        OptimTestSets.AssertBitwiseEqual(fixedBefore, ps["pos_embed"].Tensor.Span, "fixed tensor");
        var fixedSlot = ps["pos_embed"];
        Assert.All(opt.ExpAvg.AsSpan(fixedSlot.Offset, fixedSlot.Length).ToArray(), x => Assert.Equal(0f, x));
        Assert.All(opt.ExpAvgSq.AsSpan(fixedSlot.Offset, fixedSlot.Length).ToArray(), x => Assert.Equal(0f, x));
        OptimTestSets.AssertPaddingZero(ps, ps.Values.AsSpan(), "values");
        OptimTestSets.AssertPaddingZero(ps, opt.ExpAvg.AsSpan(), "exp_avg");
        OptimTestSets.AssertPaddingZero(ps, opt.ExpAvgSq.AsSpan(), "exp_avg_sq");
    }

    [Fact]
    public void WeightDecayOnlyReachesDecaySlots()
    {
        using var ps = OptimTestSets.Vit();
        OptimTestSets.Fill(ps, seed: 2);
        ps.ZeroGrad();
        var before = ps.Slots.ToDictionary(s => s.Name, s => s.Tensor.Span.ToArray());
        using var opt = new AdamW(ps);
        using var pool = new WorkerPool(1);
        // With zero gradients the Adam term is exactly 0 / (0 + eps), so only the decay moves anything.
        opt.Step(Lr, Wd, pool);
        float factor = (float)(1 - Lr * Wd);
        foreach (var s in ps.Slots)
        {
            Assert.Equal(s.Trainable && s.Tensor.Shape.Rank > 1 && !s.Name.EndsWith(".bias"), s.Decay);
            var expected = before[s.Name].Select(x => s.Decay ? x * factor : x).ToArray();
            OptimTestSets.AssertBitwiseEqual(expected, s.Tensor.Span, s.Name);
        }
    }

    [Fact]
    public void OneAndTwoThreadsGiveIdenticalBits()
    {
        using var one = OptimTestSets.Vit();
        using var two = OptimTestSets.Vit();
        Assert.True(one.Length >= 32 * 1024, "the set must be long enough for the step to be split across threads");
        OptimTestSets.Fill(one, seed: 3);
        OptimTestSets.Fill(two, seed: 3);
        using var optOne = new AdamW(one);
        using var optTwo = new AdamW(two);
        using var pool1 = new WorkerPool(1);
        using var pool2 = new WorkerPool(2);
        for (int step = 1; step <= 3; step++)
        {
            OptimTestSets.FillGrads(one, seed: 20 + step);
            OptimTestSets.FillGrads(two, seed: 20 + step);
            optOne.Step(Lr, Wd, pool1);
            optTwo.Step(Lr, Wd, pool2);
        }
        OptimTestSets.AssertBitwiseEqual(one.Values.AsSpan(), two.Values.AsSpan(), "values");
        OptimTestSets.AssertBitwiseEqual(optOne.ExpAvg.AsSpan(), optTwo.ExpAvg.AsSpan(), "exp_avg");
        OptimTestSets.AssertBitwiseEqual(optOne.ExpAvgSq.AsSpan(), optTwo.ExpAvgSq.AsSpan(), "exp_avg_sq");
    }

    [Fact]
    public void EveryVectorPathGivesIdenticalBits()
    {
        var saved = OptimKernels.Path;
        try
        {
            float[]? reference = null;
            foreach (var path in Enum.GetValues<OptimKernelPath>())
            {
                if (!OptimKernels.IsSupported(path)) continue;
                OptimKernels.Path = path;
                using var ps = OptimTestSets.Vit();
                OptimTestSets.Fill(ps, seed: 4);
                using var opt = new AdamW(ps);
                using var pool = new WorkerPool(1);
                opt.Step(Lr, Wd, pool);
                OptimTestSets.FillGrads(ps, seed: 5);
                opt.Step(Lr, Wd, pool);
                var result = ps.Values.AsSpan().ToArray().Concat(opt.ExpAvg.AsSpan().ToArray()).Concat(opt.ExpAvgSq.AsSpan().ToArray()).ToArray();
                if (reference is null) reference = result;
                else OptimTestSets.AssertBitwiseEqual(reference, result, $"path {path}");
            }
        }
        finally
        {
            OptimKernels.Path = saved;
        }
    }

    [Fact]
    public void LoadStateResumesExactly()
    {
        using var a = OptimTestSets.Vit();
        using var b = OptimTestSets.Vit();
        OptimTestSets.Fill(a, seed: 6);
        using var optA = new AdamW(a);
        using var optB = new AdamW(b);
        using var pool = new WorkerPool(2);
        optA.Step(Lr, Wd, pool);
        OptimTestSets.FillGrads(a, seed: 7);
        optA.Step(Lr, Wd, pool);

        b.CopyFrom(a);
        optB.LoadState(optA.StepCount, optA.ExpAvg.AsSpan(), optA.ExpAvgSq.AsSpan());
        Assert.Equal(2, optB.StepCount);
        OptimTestSets.FillGrads(a, seed: 8);
        OptimTestSets.FillGrads(b, seed: 8);
        optA.Step(Lr, Wd, pool);
        optB.Step(Lr, Wd, pool);
        OptimTestSets.AssertBitwiseEqual(a.Values.AsSpan(), b.Values.AsSpan(), "values after resume");
        OptimTestSets.AssertBitwiseEqual(optA.ExpAvgSq.AsSpan(), optB.ExpAvgSq.AsSpan(), "exp_avg_sq after resume");
    }

    [Fact]
    public void LoadStateRejectsAnotherLayout()
    {
        using var ps = OptimTestSets.Vit();
        using var opt = new AdamW(ps);
        var wrong = new float[ps.Length - 16];
        var right = new float[ps.Length];
        var e = Assert.Throws<ArgumentException>(() => opt.LoadState(1, wrong, right));
        Assert.Contains("does not match the parameter layout", e.Message);
        Assert.Contains($"{ps.Length}", e.Message);
        Assert.Throws<ArgumentException>(() => opt.LoadState(1, right, wrong));
        Assert.Throws<ArgumentOutOfRangeException>(() => opt.LoadState(-1, right, right));
    }

    [Fact]
    public void StepAllocatesNothing()
    {
        using var ps = OptimTestSets.Vit();
        OptimTestSets.Fill(ps, seed: 9);
        using var opt = new AdamW(ps);
        using var pool = new WorkerPool(2);
        for (int i = 0; i < 3; i++) opt.Step(Lr, Wd, pool);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) opt.Step(Lr, Wd, pool);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
