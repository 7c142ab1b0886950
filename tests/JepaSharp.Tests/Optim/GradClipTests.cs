using JepaSharp.Engine.Optim;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Threading;
using Xunit;

namespace JepaSharp.Tests.Optim;

[Collection(nameof(OptimKernelState))]
public class GradClipTests
{
    private static double NaiveNorm(ParameterSet ps)
    {
        double sum = 0;
        foreach (var s in ps.Slots.Where(s => s.Trainable))
            foreach (float g in s.Tensor.GradSpan)
                sum += (double)g * g;
        return Math.Sqrt(sum);
    }

    /// <summary>A set whose fixed slot has garbage in the gradient buffer, which the norm must not see.</summary>
    private static ParameterSet Filled(int seed)
    {
        var ps = OptimTestSets.Vit();
        OptimTestSets.Fill(ps, seed);
        var fixedSlot = ps["pos_embed"];
        ps.Grads.AsSpan(fixedSlot.Offset, fixedSlot.Length).Fill(1000f);
        return ps;
    }

    [Fact]
    public void GlobalNormMatchesNaiveOnEveryPathAndThreadCount()
    {
        using var ps = Filled(1);
        double expected = NaiveNorm(ps);
        var saved = OptimKernels.Path;
        try
        {
            foreach (var path in Enum.GetValues<OptimKernelPath>())
            {
                if (!OptimKernels.IsSupported(path)) continue;
                OptimKernels.Path = path;
                using var pool1 = new WorkerPool(1);
                using var pool2 = new WorkerPool(2);
                double one = GradClip.GlobalNorm(ps, pool1);
                double two = GradClip.GlobalNorm(ps, pool2);
                Assert.Equal(BitConverter.DoubleToInt64Bits(one), BitConverter.DoubleToInt64Bits(two));
                Assert.Equal(expected, one, expected * 1e-12);
            }
        }
        finally
        {
            OptimKernels.Path = saved;
        }
    }

    [Fact]
    public void ClipsToMaxNormAndReturnsThePreClipNorm()
    {
        using var ps = Filled(2);
        using var pool = new WorkerPool(2);
        double norm = NaiveNorm(ps);
        double maxNorm = norm / 4;
        var before = ps.Grads.AsSpan().ToArray();
        double returned = GradClip.ClipByGlobalNorm(ps, maxNorm, pool);
        Assert.Equal(norm, returned, norm * 1e-12);
        Assert.Equal(maxNorm, GradClip.GlobalNorm(ps, pool), maxNorm * 1e-5);
        float coef = (float)(maxNorm / (returned + 1e-6));
        foreach (var s in ps.Slots)
        {
            var expected = before.AsSpan((int)s.Offset, s.Length).ToArray().Select(g => s.Trainable ? g * coef : g).ToArray();
            OptimTestSets.AssertBitwiseEqual(expected, ps.Grads.AsSpan(s.Offset, s.Length), s.Name);
        }
        OptimTestSets.AssertPaddingZero(ps, ps.Grads.AsSpan(), "gradients");
    }

    [Fact]
    public void LeavesGradientsBelowMaxNormUntouched()
    {
        using var ps = Filled(3);
        double norm = NaiveNorm(ps);
        var before = ps.Grads.AsSpan().ToArray();
        Assert.Equal(norm, GradClip.ClipByGlobalNorm(ps, norm * 2), norm * 1e-12);
        Assert.Equal(norm, GradClip.ClipByGlobalNorm(ps, norm * (1 + 1e-9)), norm * 1e-12);
        OptimTestSets.AssertBitwiseEqual(before, ps.Grads.AsSpan(), "gradients");
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteNormIsReturnedWithGradientsUntouched(float bad)
    {
        using var ps = Filled(4);
        var slot = ps["blocks.0.mlp.fc1.weight"];
        slot.Tensor.GradSpan[12345] = bad;
        var before = ps.Grads.AsSpan().ToArray();
        double norm = GradClip.ClipByGlobalNorm(ps, 1e-3);
        if (float.IsNaN(bad)) Assert.True(double.IsNaN(norm), $"norm {norm}");
        else Assert.Equal(double.PositiveInfinity, norm);
        OptimTestSets.AssertBitwiseEqual(before, ps.Grads.AsSpan(), "gradients");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void RejectsNonPositiveMaxNorm(double maxNorm)
    {
        using var ps = Filled(5);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradClip.ClipByGlobalNorm(ps, maxNorm));
    }

    [Fact]
    public void EmptySetHasZeroNorm()
    {
        using var ps = new ParameterSet([]);
        Assert.Equal(0.0, GradClip.GlobalNorm(ps));
        Assert.Equal(0.0, GradClip.ClipByGlobalNorm(ps, 1.0));
    }

    [Fact]
    public void NormAndClipAllocateNothing()
    {
        using var ps = Filled(6);
        using var pool = new WorkerPool(2);
        double norm = GradClip.GlobalNorm(ps, pool);
        for (int i = 0; i < 3; i++) GradClip.ClipByGlobalNorm(ps, norm * 2, pool);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            GradClip.GlobalNorm(ps, pool);
            GradClip.ClipByGlobalNorm(ps, norm * 2, pool);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
