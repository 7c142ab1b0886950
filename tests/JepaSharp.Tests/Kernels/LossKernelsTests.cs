using JepaSharp.Engine.Kernels;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Kernels;

public unsafe class LossKernelsTests
{
    private static readonly int[] Lengths = [1, 7, 17, 64, 197, 1155];

    /// <summary>Predictions and targets with some exact ties (d = 0) and differences of exactly ±β.</summary>
    private static (float[] Pred, float[] Target) Pair(int n, int seed, float beta)
    {
        var p = TestData.Uniform(n, seed, 2f);
        var t = TestData.Uniform(n, seed + 1000, 2f);
        for (int i = 0; i < n; i += 5) t[i] = p[i];
        if (n > 3) { p[1] = 0.25f; t[1] = 0.25f - beta; p[3] = -0.5f; t[3] = -0.5f + beta; }
        return (p, t);
    }

    private static double RefSmoothL1(double d, double beta) => beta == 0 ? Math.Abs(d) : Math.Abs(d) < beta ? 0.5 * d * d / beta : Math.Abs(d) - 0.5 * beta;
    private static double RefSmoothL1Grad(double d, double beta) => beta != 0 && Math.Abs(d) < beta ? d / beta : Math.Sign(d);

    private delegate double LossFn(float* p, float* t, long n);
    private delegate void LossBackwardFn(float* dp, float* p, float* t, long n, float scale);

    private static void CheckLoss(string name, LossFn loss, LossBackwardFn backward, Func<double, double> term, Func<double, double> grad, float beta)
    {
        foreach (int n in Lengths)
        {
            var (p, t) = Pair(n, n, beta);
            double expected = 0;
            for (int i = 0; i < n; i++) expected += term((double)p[i] - t[i]);
            expected /= n;
            double got;
            fixed (float* pp = p, pt = t) got = loss(pp, pt, n);
            Assert.True(Math.Abs(got - expected) <= 1e-13 * Math.Max(1, Math.Abs(expected)), $"{name} n={n}: {got:R} vs {expected:R}");

            const float scale = 0.75f;
            var init = TestData.Uniform(n, n + 7);
            var dp = (float[])init.Clone();
            fixed (float* pdp = dp, pp = p, pt = t) backward(pdp, pp, pt, n, scale);
            var expectedGrad = new double[n];
            for (int i = 0; i < n; i++) expectedGrad[i] = init[i] + scale * grad((double)p[i] - t[i]) / n;
            TestData.AssertClose(expectedGrad, dp, 1e-9, 1e-6, $"{name} backward n={n}");
            for (int i = 0; i < n; i += 5) Assert.Equal(init[i], dp[i]); // d = 0: no gradient (sign(0) = 0)
        }
    }

    [Fact]
    public void SmoothL1MatchesReferenceForSeveralBetas()
    {
        foreach (float beta in new[] { 1f, 0.5f, 2.5f })
            CheckLoss($"smoothL1 β={beta}", (p, t, n) => LossKernels.SmoothL1(p, t, n, beta),
                (dp, p, t, n, s) => LossKernels.SmoothL1Backward(dp, p, t, n, beta, s),
                d => RefSmoothL1(d, beta), d => RefSmoothL1Grad(d, beta), beta);
    }

    [Fact]
    public void SmoothL1WithBetaZeroIsL1()
    {
        CheckLoss("smoothL1 β=0", (p, t, n) => LossKernels.SmoothL1(p, t, n, 0f),
            (dp, p, t, n, s) => LossKernels.SmoothL1Backward(dp, p, t, n, 0f, s),
            d => Math.Abs(d), d => Math.Sign(d), 0f);
        var (pr, ta) = Pair(385, 3, 0f);
        fixed (float* pp = pr, pt = ta) Assert.Equal(LossKernels.L1(pp, pt, 385), LossKernels.SmoothL1(pp, pt, 385, 0f));
    }

    [Fact]
    public void MseAndL1MatchReference()
    {
        CheckLoss("mse", LossKernels.Mse, LossKernels.MseBackward, d => d * d, d => 2 * d, 0.5f);
        CheckLoss("l1", LossKernels.L1, LossKernels.L1Backward, Math.Abs, d => Math.Sign(d), 0.5f);
    }

    [Fact]
    public void LossesRejectBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LossKernels.SmoothL1(null, null, 4, -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LossKernels.SmoothL1(null, null, 4, float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => LossKernels.Mse(null, null, -1));
        Assert.True(double.IsNaN(LossKernels.Mse(null, null, 0)));
    }

    // ------------------------------------------------------------------ cross-entropy

    private static (double Loss, double[] Probs) ReferenceCrossEntropy(float[] z, int[] labels, int rows, int classes)
    {
        var probs = new double[rows * classes];
        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (int c = 0; c < classes; c++) m = Math.Max(m, z[r * classes + c]);
            for (int c = 0; c < classes; c++) s += Math.Exp(z[r * classes + c] - m);
            for (int c = 0; c < classes; c++) probs[r * classes + c] = Math.Exp(z[r * classes + c] - m) / s;
            loss += Math.Log(s) + m - z[r * classes + labels[r]];
        }
        return (loss / rows, probs);
    }

    [Fact]
    public void CrossEntropyMatchesReferenceAndAccumulatesItsGradient()
    {
        int seed = 0;
        foreach (var (rows, classes) in KernelAssert.Shapes)
        {
            var z = TestData.Uniform(rows * classes, ++seed, 8f);
            for (int r = 0; r < rows; r++) z[r * classes] += 500f * (r % 3); // stability: e^500 overflows without the shift
            var rng = new Random(seed);
            var labels = Enumerable.Range(0, rows).Select(_ => rng.Next(classes)).ToArray();
            var (expectedLoss, expectedProbs) = ReferenceCrossEntropy(z, labels, rows, classes);
            var probs = new float[rows * classes];
            double loss;
            fixed (float* pz = z, pp = probs)
            fixed (int* pl = labels)
                loss = LossKernels.SoftmaxCrossEntropy(pz, pl, pp, rows, classes);
            string what = $"CE [{rows},{classes}]";
            Assert.True(Math.Abs(loss - expectedLoss) <= 1e-6 * Math.Max(1, Math.Abs(expectedLoss)), $"{what}: loss {loss:R} vs {expectedLoss:R}");
            TestData.AssertClose(expectedProbs, probs, 1e-30, 2e-6, what + " probs");

            // probs may overwrite the logits.
            var inPlace = (float[])z.Clone();
            double loss2;
            fixed (float* pi = inPlace)
            fixed (int* pl = labels)
                loss2 = LossKernels.SoftmaxCrossEntropy(pi, pl, pi, rows, classes);
            Assert.Equal(loss, loss2);
            KernelAssert.BitEqual(probs, inPlace, what + " in place");

            const float scale = 1.5f;
            var init = TestData.Uniform(rows * classes, ++seed);
            var dz = (float[])init.Clone();
            fixed (float* pdz = dz, pp = probs)
            fixed (int* pl = labels)
                LossKernels.SoftmaxCrossEntropyBackward(pdz, pp, pl, rows, classes, scale);
            var expectedGrad = new double[rows * classes];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < classes; c++)
                    expectedGrad[r * classes + c] = init[r * classes + c] + scale * ((double)probs[r * classes + c] - (c == labels[r] ? 1 : 0)) / rows;
            TestData.AssertClose(expectedGrad, dz, 1e-7, 1e-6, what + " backward");
        }
    }

    [Fact]
    public void CrossEntropyGradientMatchesFiniteDifferencesOfTheLoss()
    {
        const int rows = 3, classes = 5;
        var z = TestData.Uniform(rows * classes, 42, 3f);
        int[] labels = [4, 0, 2];
        var probs = new float[rows * classes];
        var dz = new float[rows * classes];
        fixed (float* pz = z, pp = probs, pdz = dz)
        fixed (int* pl = labels)
        {
            LossKernels.SoftmaxCrossEntropy(pz, pl, pp, rows, classes);
            LossKernels.SoftmaxCrossEntropyBackward(pdz, pp, pl, rows, classes, 1f);
        }
        for (int i = 0; i < z.Length; i++)
        {
            var zp = (float[])z.Clone();
            var zm = (float[])z.Clone();
            zp[i] += 1e-2f;
            zm[i] -= 1e-2f;
            double fd = (ReferenceCrossEntropy(zp, labels, rows, classes).Loss - ReferenceCrossEntropy(zm, labels, rows, classes).Loss) / ((double)zp[i] - zm[i]);
            Assert.Equal(fd, dz[i], 1e-4);
        }
    }

    [Fact]
    public void CrossEntropyRejectsOutOfRangeLabels()
    {
        var z = new float[3 * 4];
        var probs = new float[3 * 4];
        foreach (int bad in new[] { 4, -1 })
        {
            int[] labels = [0, bad, 1];
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            {
                fixed (float* pz = z, pp = probs)
                fixed (int* pl = labels)
                    LossKernels.SoftmaxCrossEntropy(pz, pl, pp, 3, 4);
            });
            Assert.Contains("row 1", ex.Message);
            Assert.Contains($"label {bad}", ex.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() =>
            {
                fixed (float* pz = z, pp = probs)
                fixed (int* pl = labels)
                    LossKernels.SoftmaxCrossEntropyBackward(pz, pp, pl, 3, 4, 1f);
            });
        }
    }
}
