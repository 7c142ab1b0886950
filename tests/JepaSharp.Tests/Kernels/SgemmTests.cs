using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Threading;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Kernels;

[Collection(nameof(GemmKernelState))]
public unsafe class SgemmTests
{
    public static TheoryData<GemmKernelKind, bool, bool> Paths()
    {
        var data = new TheoryData<GemmKernelKind, bool, bool>();
        foreach (var kind in Enum.GetValues<GemmKernelKind>())
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(kind, ta, tb);
        return data;
    }

    private static double[] Naive(bool ta, bool tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                result[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * (double)c[i * ldc + j]);
            }
        return result;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void MatchesDoublePrecisionReference(GemmKernelKind kind, bool transA, bool transB)
    {
        WithKernel(kind, () =>
        {
            int seed = 0;
            // Odd sizes hit every edge: partial micro-tiles, K not a multiple of 16, several KC blocks, N > NC split.
            foreach (var (m, n, k, alpha, beta) in new[]
                     {
                         (1, 1, 1, 1f, 0f), (7, 17, 5, 1f, 0f), (13, 33, 16, 1f, 1f), (37, 70, 197, 0.5f, 0f),
                         (197, 96, 385, 1f, 1f), (64, 64, 800, 1f, 0.25f), (300, 45, 33, 2f, 0f), (25, 2100, 19, 1f, 1f),
                         // At most 16 columns (a probe's classes): the narrow tile, full and edge.
                         (61, 10, 197, 1f, 1f), (24, 16, 800, 0.5f, 0f), (13, 3, 40, 1f, 0.25f),
                     })
            {
                int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 5, ldc = n + 2;
                var a = TestData.Uniform((transA ? k : m) * lda, ++seed);
                var b = TestData.Uniform((transB ? n : k) * ldb, ++seed);
                var c = TestData.Uniform(m * ldc, ++seed);
                var expected = Naive(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                foreach (int threads in new[] { 1, 2 })
                {
                    using var pool = new WorkerPool(threads);
                    var actual = (float[])c.Clone();
                    fixed (float* pa = a, pb = b, pc = actual)
                        Sgemm.Run(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, pool);
                    var got = new float[m * n];
                    for (int i = 0; i < m; i++)
                    {
                        Array.Copy(actual, i * ldc, got, i * n, n);
                        for (int j = n; j < ldc; j++)
                            Assert.Equal(c[i * ldc + j], actual[i * ldc + j]); // padding columns untouched
                    }
                    TestData.AssertClose(expected, got, 1e-5 * Math.Sqrt(k), 1e-5, $"{kind} tA={transA} tB={transB} {m}x{n}x{k} threads={threads}");
                }
            }
        });
    }

    [Theory]
    [InlineData(GemmKernelKind.Avx512)]
    [InlineData(GemmKernelKind.Avx2)]
    [InlineData(GemmKernelKind.Scalar)]
    public void AddsResidualAndBiasWhileTheTileIsInRegisters(GemmKernelKind kind)
    {
        WithKernel(kind, () =>
        {
            int seed = 100;
            // A skip connection: C = residual + A·Bᵀ + bias, with edge tiles and (K = 800) several K blocks.
            foreach (var (m, n, k) in new[] { (13, 33, 16), (197, 96, 385), (50, 70, 800), (40, 10, 64) })
            {
                int ldc = n + 3;
                var a = TestData.Uniform(m * k, ++seed);
                var b = TestData.Uniform(n * k, ++seed);
                var bias = TestData.Uniform(n, ++seed);
                var residual = TestData.Uniform(m * ldc, ++seed);
                var expected = Naive(false, true, m, n, k, 1f, a, k, b, k, 1f, residual, ldc);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) expected[i * n + j] += bias[j];
                foreach (int threads in new[] { 1, 2 })
                {
                    using var pool = new WorkerPool(threads);
                    var c = new float[m * ldc];
                    fixed (float* pa = a, pb = b, pc = c, pbias = bias, pr = residual)
                        Sgemm.Run(false, true, m, n, k, 1f, pa, k, pb, k, 0f, pc, ldc, pool, pbias, pr);
                    var got = new float[m * n];
                    for (int i = 0; i < m; i++) Array.Copy(c, i * ldc, got, i * n, n);
                    TestData.AssertClose(expected, got, 1e-5 * Math.Sqrt(k), 1e-5, $"{kind} {m}x{n}x{k} threads={threads}");
                }
            }
        });
    }

    [Theory]
    [InlineData(GemmKernelKind.Avx512)]
    [InlineData(GemmKernelKind.Avx2)]
    [InlineData(GemmKernelKind.Scalar)]
    public void GeluOnAEqualsTheProductOfAGeluedCopyBitForBit(GemmKernelKind kind)
    {
        WithKernel(kind, () =>
        {
            int seed = 200;
            // An MLP's second layer: C = residual + GELU(H)·Wᵀ + bias, H with a row stride, edge tiles, several M and K blocks.
            foreach (var (m, n, k) in new[] { (13, 33, 16), (517, 96, 385), (50, 70, 800) })
            {
                int lda = k + 5, ldc = n + 3;
                var h = TestData.Uniform(m * lda, ++seed);
                for (int i = 0; i < h.Length; i++) h[i] *= 6f;
                var w = TestData.Uniform(n * k, ++seed);
                var bias = TestData.Uniform(n, ++seed);
                var residual = TestData.Uniform(m * ldc, ++seed);
                var gelued = new float[h.Length];
                foreach (int threads in new[] { 1, 2 })
                {
                    using var pool = new WorkerPool(threads);
                    var expected = new float[m * ldc];
                    var got = new float[m * ldc];
                    fixed (float* ph = h, pg = gelued, pw = w, pe = expected, pc = got, pbias = bias, pr = residual)
                    {
                        GeluKernels.Forward(pg, ph, h.Length, pool);
                        Sgemm.Run(false, true, m, n, k, 1f, pg, lda, pw, k, 0f, pe, ldc, pool, pbias, pr);
                        Sgemm.Run(false, true, m, n, k, 1f, ph, lda, pw, k, 0f, pc, ldc, pool, pbias, pr, aRows: RowTransform.Gelu);
                    }
                    Assert.True(expected.AsSpan().SequenceEqual(got), $"{kind} {m}x{n}x{k} threads={threads}");
                }
            }
        });
    }

    [Theory]
    [InlineData(GemmKernelKind.Avx512)]
    [InlineData(GemmKernelKind.Avx2)]
    [InlineData(GemmKernelKind.Scalar)]
    public void LayerNormOnAEqualsTheProductOfANormedCopyBitForBit(GemmKernelKind kind)
    {
        WithKernel(kind, () =>
        {
            int seed = 300;
            // A pre-norm block's first layer: C = LN(X)·Wᵀ + bias with the row statistics kept; edge tiles, several M
            // blocks, K = 800 over two K blocks, and a short wide product (8 x 4000: the threads split it by columns, over two column blocks).
            foreach (var (m, n, k) in new[] { (13, 33, 16), (517, 96, 192), (50, 70, 800), (8, 4000, 64) })
            {
                int lda = k + 5, ldc = n + 3;
                var x = TestData.Uniform(m * lda, ++seed);
                var gamma = TestData.Uniform(k, ++seed);
                var beta = TestData.Uniform(k, ++seed);
                var w = TestData.Uniform(n * k, ++seed);
                var bias = TestData.Uniform(n, ++seed);
                foreach (int threads in new[] { 1, 2 })
                {
                    using var pool = new WorkerPool(threads);
                    var normed = new float[m * k];
                    float[] expected = new float[m * ldc], got = new float[m * ldc];
                    float[] mean = new float[m], rstd = new float[m], gotMean = new float[m], gotRstd = new float[m];
                    var packed = new float[m * k];
                    for (int i = 0; i < m; i++) Array.Copy(x, i * lda, packed, i * k, k);
                    fixed (float* px = x, pp = packed, pn = normed, pg = gamma, pbeta = beta, pw = w, pbias = bias, pe = expected, pc = got)
                    fixed (float* pm = mean, pr = rstd, pgm = gotMean, pgr = gotRstd)
                    {
                        LayerNormKernels.Forward(pn, pm, pr, pp, pg, pbeta, m, k, 1e-6f, pool);
                        Sgemm.Run(false, true, m, n, k, 1f, pn, k, pw, k, 0f, pe, ldc, pool, pbias);
                        Sgemm.Run(false, true, m, n, k, 1f, px, lda, pw, k, 0f, pc, ldc, pool, pbias, aRows: RowTransform.LayerNorm(pg, pbeta, 1e-6f, pgm, pgr));
                    }
                    string at = $"{kind} {m}x{n}x{k} threads={threads}";
                    Assert.True(expected.AsSpan().SequenceEqual(got), at);
                    Assert.True(mean.AsSpan().SequenceEqual(gotMean), $"mean, {at}");
                    Assert.True(rstd.AsSpan().SequenceEqual(gotRstd), $"rstd, {at}");
                }
            }
        });
    }

    /// <summary>Runs <paramref name="test"/> with the process-wide GEMM kernel set to <paramref name="kind"/> (skipped where unsupported).</summary>
    [Theory]
    [InlineData(GemmKernelKind.Avx512)]
    [InlineData(GemmKernelKind.Avx2)]
    [InlineData(GemmKernelKind.Scalar)]
    public void AWeightPackedOnceGivesTheProductOfPackingItEachCallBitForBit(GemmKernelKind kind)
    {
        WithKernel(kind, () =>
        {
            int seed = 400;
            // Edge panels in N, two K blocks (K > 768), two column blocks (N > 2048), a weight with a row stride, a weight of
            // ten rows (the narrow tile's panels).
            foreach (var (m, n, k) in new[] { (29, 45, 70), (40, 100, 1000), (13, 2100, 24), (50, 10, 192) })
            {
                int ldw = k + 3, ldc = n + 1;
                var a = TestData.Uniform(m * k, ++seed);
                var w = TestData.Uniform(n * ldw, ++seed);
                var bias = TestData.Uniform(n, ++seed);
                var packed = new float[Sgemm.PackedWeightFloats(n, k)];
                foreach (int threads in new[] { 1, 2 })
                {
                    using var pool = new WorkerPool(threads);
                    var expected = new float[m * ldc];
                    var got = new float[m * ldc];
                    fixed (float* pa = a, pw = w, pp = packed, pe = expected, pc = got, pbias = bias)
                    {
                        Sgemm.Run(false, true, m, n, k, 1f, pa, k, pw, ldw, 0f, pe, ldc, pool, pbias);
                        Sgemm.PackWeight(pw, ldw, n, k, pp);
                        Sgemm.Run(false, true, m, n, k, 1f, pa, k, pw, ldw, 0f, pc, ldc, pool, pbias, packedB: pp);
                    }
                    Assert.True(expected.AsSpan().SequenceEqual(got), $"{kind} {m}x{n}x{k} threads={threads}");
                }
            }
        });
    }

    [Theory]
    [InlineData(GemmKernelKind.Avx512)]
    [InlineData(GemmKernelKind.Avx2)]
    [InlineData(GemmKernelKind.Scalar)]
    public void AProductSplitWithAnIdleThreadEqualsTheSerialOneBitForBit(GemmKernelKind kind)
    {
        WithKernel(kind, () =>
        {
            int seed = 500;
            // From inside a job whose other thread is idle, so the product is split with it: Bᵀ packed once and split by
            // rows (with a residual and a bias), B read in place, Aᵀ, alpha and beta, LayerNorm and GELU rows over two K
            // blocks, and a short wide product split by columns. Edge tiles everywhere.
            foreach (var (ta, tb, m, n, k, alpha, beta, rows) in new[]
                     {
                         (false, true, 517, 96, 192, 1f, 0f, RowTransformKind.None), (false, false, 300, 150, 100, 1f, 1f, RowTransformKind.None),
                         (true, false, 96, 192, 517, 1f, 1f, RowTransformKind.None), (true, true, 97, 130, 200, 0.5f, 0f, RowTransformKind.None),
                         (false, true, 200, 64, 800, 1f, 0f, RowTransformKind.LayerNorm), (false, true, 200, 64, 800, 1f, 0f, RowTransformKind.Gelu),
                         (false, false, 8, 4000, 64, 1f, 0.5f, RowTransformKind.None),
                     })
            {
                int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
                var a = TestData.Uniform((ta ? k : m) * lda, ++seed);
                var b = TestData.Uniform((tb ? n : k) * ldb, ++seed);
                var c = TestData.Uniform(m * ldc, ++seed);
                var gamma = TestData.Uniform(k, ++seed);
                var shift = TestData.Uniform(k, ++seed);
                var bias = TestData.Uniform(n, ++seed);
                bool skip = rows == RowTransformKind.None && tb && !ta && beta == 0f;
                float[] Product(WorkerPool pool, bool helped, float[] mean, float[] rstd)
                {
                    var result = (float[])c.Clone();
                    void Run()
                    {
                        fixed (float* pa = a, pb = b, pr = result, pg = gamma, ps = shift, pbias = bias, pm = mean, pd = rstd, pres = c)
                        {
                            var transform = rows switch
                            {
                                RowTransformKind.LayerNorm => RowTransform.LayerNorm(pg, ps, 1e-6f, pm, pd),
                                RowTransformKind.Gelu => RowTransform.Gelu,
                                _ => default,
                            };
                            Sgemm.Run(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pr, ldc, pool, skip ? pbias : null, skip ? pres : null, transform);
                        }
                    }
                    if (helped) IdleHelper.Run(pool, Run);
                    else Run();
                    return result;
                }
                using var serial = new WorkerPool(1);
                using var two = new WorkerPool(2);
                float[] expectedMean = new float[m], expectedRstd = new float[m], mean = new float[m], rstd = new float[m];
                var expected = Product(serial, false, expectedMean, expectedRstd);
                var got = Product(two, true, mean, rstd);
                string at = $"{kind} tA={ta} tB={tb} {m}x{n}x{k} {rows}";
                Assert.True(expected.AsSpan().SequenceEqual(got), at);
                Assert.True(expectedMean.AsSpan().SequenceEqual(mean) && expectedRstd.AsSpan().SequenceEqual(rstd), $"row statistics, {at}");
            }
        });
    }

    [Fact]
    public void RejectsPackedPanelsForAnUntransposedB()
    {
        var ex = Assert.Throws<ArgumentException>(() => Sgemm.Run(false, false, 4, 4, 4, 1f, null, 4, null, 4, 0f, null, 4, packedB: (float*)64));
        Assert.Contains("transB = true", ex.Message);
    }

    private static void WithKernel(GemmKernelKind kind, Action test)
    {
        if (!Sgemm.IsSupported(kind)) return;
        var saved = Sgemm.Kernel;
        Sgemm.Kernel = kind;
        try
        {
            test();
        }
        finally
        {
            Sgemm.Kernel = saved;
        }
    }

    [Fact]
    public void RejectsARowTransformOfATransposedOrScaledA()
    {
        var ex = Assert.Throws<ArgumentException>(() => Sgemm.Run(true, false, 4, 4, 4, 1f, null, 4, null, 4, 0f, null, 4, aRows: RowTransform.Gelu));
        Assert.Contains("row transform of A needs A untransposed and alpha = 1", ex.Message);
        Assert.Throws<ArgumentException>(() => Sgemm.Run(false, false, 4, 4, 4, 2f, null, 4, null, 4, 0f, null, 4, aRows: RowTransform.Gelu));
    }

    [Fact]
    public void RejectsAResidualWithANonzeroBeta()
    {
        var ex = Assert.Throws<ArgumentException>(() => Sgemm.Run(false, false, 4, 4, 4, 1f, null, 4, null, 4, 1f, null, 4, residual: (float*)16));
        Assert.Contains("residual needs beta = 0", ex.Message);
    }

    [Fact]
    public void RejectsLeadingDimensionsThatDoNotFitTheShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => Sgemm.Run(false, false, 4, 4, 8, 1f, null, 4, null, 4, 0f, null, 4));
        Assert.Contains("lda=4 < 8", ex.Message);
    }
}

/// <summary>Tests that switch the process-wide GEMM kernel must not run concurrently.</summary>
[CollectionDefinition(nameof(GemmKernelState), DisableParallelization = true)]
public sealed class GemmKernelState;
