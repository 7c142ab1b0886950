using JepaSharp.Engine.Optim;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;
using JepaSharp.Engine.Threading;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Optim;

[Collection(nameof(OptimKernelState))]
public class EmaTests
{
    private static (ParameterSet Target, ParameterSet Source) Pair()
    {
        var target = OptimTestSets.Vit();
        var source = OptimTestSets.Vit();
        OptimTestSets.Fill(target, seed: 1);
        OptimTestSets.Fill(source, seed: 2);
        return (target, source);
    }

    [Fact]
    public void MatchesNaiveLerpOverTheWholeBuffer()
    {
        var (target, source) = Pair();
        using var t = target;
        using var s = source;
        const double m = 0.996;
        var before = target.Values.AsSpan().ToArray();
        var src = source.Values.AsSpan().ToArray();
        using var pool = new WorkerPool(2);
        Ema.Update(target, source, m, pool);

        var expected = before.Select((x, i) => m * x + (1 - m) * src[i]).ToArray();
        TestData.AssertClose(expected, target.Values.AsSpan(), 1e-7, 1e-6, "ema");
        // I-JEPA's float order: param_k.mul_(m).add_((1 - m) * param_q).
        var torchOrder = before.Select((x, i) => x * (float)m + src[i] * (float)(1 - m)).ToArray();
        OptimTestSets.AssertBitwiseEqual(torchOrder, target.Values.AsSpan(), "ema in torch's op order");
        OptimTestSets.AssertPaddingZero(target, target.Values.AsSpan(), "ema values");
        OptimTestSets.AssertBitwiseEqual(src, source.Values.AsSpan(), "source");
    }

    [Fact]
    public void MomentumOneKeepsTargetAndZeroCopiesSource()
    {
        var (target, source) = Pair();
        using var t = target;
        using var s = source;
        var before = target.Values.AsSpan().ToArray();
        Ema.Update(target, source, 1.0);
        OptimTestSets.AssertBitwiseEqual(before, target.Values.AsSpan(), "momentum 1");
        Ema.Update(target, source, 0.0);
        OptimTestSets.AssertBitwiseEqual(source.Values.AsSpan(), target.Values.AsSpan(), "momentum 0");
    }

    [Fact]
    public void OneAndTwoThreadsAndEveryPathGiveIdenticalBits()
    {
        var saved = OptimKernels.Path;
        try
        {
            float[]? reference = null;
            foreach (var path in Enum.GetValues<OptimKernelPath>())
            {
                if (!OptimKernels.IsSupported(path)) continue;
                OptimKernels.Path = path;
                foreach (int threads in new[] { 1, 2 })
                {
                    var (target, source) = Pair();
                    using var t = target;
                    using var s = source;
                    using var pool = new WorkerPool(threads);
                    Ema.Update(target, source, 0.9991, pool);
                    Ema.Update(target, source, 0.9995, pool);
                    var result = target.Values.AsSpan().ToArray();
                    if (reference is null) reference = result;
                    else OptimTestSets.AssertBitwiseEqual(reference, result, $"path {path}, {threads} threads");
                }
            }
        }
        finally
        {
            OptimKernels.Path = saved;
        }
    }

    [Fact]
    public void LayoutMismatchNamesTheParameter()
    {
        using var target = new ParameterSet(new[]
        {
            ("w", Tensor.Declare(new Shape(5, 7)), true), ("b", Tensor.Declare(new Shape(7)), true), ("fixed", Tensor.Declare(new Shape(3)), false),
        });
        using var source = new ParameterSet(new[]
        {
            ("w", Tensor.Declare(new Shape(7, 5)), true), ("b", Tensor.Declare(new Shape(7)), true), ("fixed", Tensor.Declare(new Shape(3)), false),
        });
        var e = Assert.Throws<ArgumentException>(() => Ema.Update(target, source, 0.99));
        Assert.Contains("'w'", e.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void RejectsMomentumOutsideZeroToOne(double momentum)
    {
        var (target, source) = Pair();
        using var t = target;
        using var s = source;
        Assert.Throws<ArgumentOutOfRangeException>(() => Ema.Update(target, source, momentum));
    }

    [Fact]
    public void UpdateAllocatesNothing()
    {
        var (target, source) = Pair();
        using var t = target;
        using var s = source;
        using var pool = new WorkerPool(2);
        for (int i = 0; i < 3; i++) Ema.Update(target, source, 0.999, pool);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Ema.Update(target, source, 0.999, pool);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
