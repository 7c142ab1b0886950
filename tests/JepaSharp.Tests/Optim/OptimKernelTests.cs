using JepaSharp.Engine.Optim;
using Xunit;

namespace JepaSharp.Tests.Optim;

/// <summary>The raw kernels on unaligned, odd-length ranges, split anywhere.</summary>
[Collection(nameof(OptimKernelState))]
public unsafe class OptimKernelTests
{
    public static TheoryData<OptimKernelPath> Paths() => new(Enum.GetValues<OptimKernelPath>());

    private static T OnPath<T>(OptimKernelPath path, Func<T> run)
    {
        var saved = OptimKernels.Path;
        OptimKernels.Path = path;
        try
        {
            return run();
        }
        finally
        {
            OptimKernels.Path = saved;
        }
    }

    // Runs AdamWUpdate on n elements starting 3 floats in (unaligned), in pieces cut at `cuts`.
    private static float[] AdamWPieces(OptimKernelPath path, int n, int[] cuts)
    {
        var p = Support.TestData.Uniform(n + 3, 1);
        var g = Support.TestData.Uniform(n + 3, 2);
        var m = Support.TestData.Uniform(n + 3, 3, 0.1f);
        var v = Support.TestData.Uniform(n + 3, 4, 0.01f).Select(Math.Abs).ToArray();
        var c = AdamWCoefficients.Create(1e-3, 0.05, 0.9, 0.999, 1e-8, 7);
        return OnPath(path, () =>
        {
            fixed (float* pp = p, gp = g, mp = m, vp = v)
            {
                int start = 3;
                foreach (int end in cuts.Append(n + 3))
                {
                    OptimKernels.AdamWUpdate(pp + start, gp + start, mp + start, vp + start, end - start, c);
                    start = end;
                }
            }
            return p.Concat(m).Concat(v).ToArray();
        });
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void AdamWIsBitwiseIndependentOfPathAndSplits(OptimKernelPath path)
    {
        if (!OptimKernels.IsSupported(path)) return;
        const int n = 1001;
        var reference = AdamWPieces(OptimKernelPath.Scalar, n, []);
        OptimTestSets.AssertBitwiseEqual(reference, AdamWPieces(path, n, []), $"{path} whole");
        OptimTestSets.AssertBitwiseEqual(reference, AdamWPieces(path, n, [4, 21, 500, 517]), $"{path} split");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void AdamWMatchesTheTorchFloatOpOrder(OptimKernelPath path)
    {
        if (!OptimKernels.IsSupported(path)) return;
        const int n = 77;
        var actual = AdamWPieces(path, n, []);
        var p = Support.TestData.Uniform(n + 3, 1);
        var g = Support.TestData.Uniform(n + 3, 2);
        var m = Support.TestData.Uniform(n + 3, 3, 0.1f);
        var v = Support.TestData.Uniform(n + 3, 4, 0.01f).Select(Math.Abs).ToArray();
        double lr = 1e-3, wd = 0.05, b1 = 0.9, b2 = 0.999;
        int t = 7;
        for (int i = 3; i < n + 3; i++)
        {
            // torch: param.mul_(1-lr*wd); exp_avg.lerp_(grad, 1-b1); exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1-b2);
            // denom = (exp_avg_sq.sqrt() / sqrt(bc2)).add_(eps); param.addcdiv_(exp_avg, denom, value=-lr/bc1)
            p[i] *= (float)(1 - lr * wd);
            m[i] = MathF.FusedMultiplyAdd((float)(1 - b1), g[i] - m[i], m[i]);
            v[i] = v[i] * (float)b2 + (float)(1 - b2) * g[i] * g[i];
            float denom = MathF.Sqrt(v[i]) / (float)Math.Sqrt(1 - Math.Pow(b2, t)) + 1e-8f;
            p[i] += (float)(-lr / (1 - Math.Pow(b1, t))) * m[i] / denom;
        }
        OptimTestSets.AssertBitwiseEqual(p.Concat(m).Concat(v).ToArray(), actual, $"{path}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SumOfSquaresMatchesDouble(OptimKernelPath path)
    {
        if (!OptimKernels.IsSupported(path)) return;
        foreach (int n in new[] { 0, 1, 7, 15, 16, 33, 197, 1000, 4099 })
        {
            var x = Support.TestData.Uniform(n + 1, n, 3f);
            double expected = 0;
            for (int i = 1; i <= n; i++) expected += (double)x[i] * x[i];
            double actual = OnPath(path, () =>
            {
                fixed (float* xp = x) return OptimKernels.SumOfSquares(xp + 1, n);
            });
            Assert.Equal(expected, actual, Math.Max(expected, 1) * 1e-13);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void ScaleAndEmaAreBitwiseIndependentOfPath(OptimKernelPath path)
    {
        if (!OptimKernels.IsSupported(path)) return;
        const int n = 203;
        var x = Support.TestData.Uniform(n + 1, 5);
        var source = Support.TestData.Uniform(n + 1, 6);
        float[] Run(OptimKernelPath p) => OnPath(p, () =>
        {
            var a = (float[])x.Clone();
            var b = (float[])x.Clone();
            fixed (float* ap = a, bp = b, sp = source)
            {
                OptimKernels.Scale(ap + 1, n, 0.37f);
                OptimKernels.EmaLerp(bp + 1, sp + 1, n, 0.9973);
            }
            return a.Concat(b).ToArray();
        });
        var actual = Run(path);
        OptimTestSets.AssertBitwiseEqual(Run(OptimKernelPath.Scalar), actual, $"{path}");
        Assert.Equal(x[0], actual[0]);
        Assert.Equal(x[1] * 0.37f, actual[1]);
        Assert.Equal(x[n] * 0.37f, actual[n]);
    }
}
