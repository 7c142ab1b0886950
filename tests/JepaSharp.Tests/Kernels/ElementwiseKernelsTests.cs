using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Threading;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Kernels;

public unsafe class ElementwiseKernelsTests
{
    private static readonly int[] Lengths = [0, 1, 7, 17, 64, 197, 385];
    private const double Ulp = 1.2e-7; // one rounding of a float result

    private delegate void Binary(float* o, float* a, float* b, long n);

    private static void CheckBinary(string name, Binary op, Func<double, double, double> reference)
    {
        foreach (int n in Lengths)
        {
            var a = TestData.Uniform(n, n + 1, 3f);
            var b = TestData.Uniform(n, n + 2, 3f);
            var expected = new double[n];
            for (int i = 0; i < n; i++) expected[i] = reference(a[i], b[i]);
            var o = new float[n];
            var inPlace = (float[])a.Clone();
            fixed (float* po = o, pa = a, pb = b, pi = inPlace)
            {
                op(po, pa, pb, n);
                op(pi, pi, pb, n);
            }
            TestData.AssertClose(expected, o, 1e-30, Ulp, $"{name} n={n}");
            KernelAssert.BitEqual(o, inPlace, $"{name} n={n} in place");
        }
    }

    [Fact]
    public void AddMulScaleMatchReference()
    {
        CheckBinary("add", ElementwiseKernels.Add, (x, y) => x + y);
        CheckBinary("mul", ElementwiseKernels.Mul, (x, y) => x * y);
        CheckBinary("scale", (o, a, _, n) => ElementwiseKernels.Scale(o, a, -1.7f, n), (x, _) => x * (double)-1.7f);
    }

    [Fact]
    public void AddScaledAndMulAccumulateAccumulate()
    {
        CheckBinary("addScaled", (o, a, b, n) =>
        {
            if (o != a) Buffer.MemoryCopy(a, o, n * sizeof(float), n * sizeof(float));
            ElementwiseKernels.AddScaled(o, b, 0.3f, n);
        }, (x, y) => x + (double)0.3f * y);
        foreach (int n in Lengths)
        {
            var dst = TestData.Uniform(n, n + 5, 3f);
            var a = TestData.Uniform(n, n + 6, 3f);
            var b = TestData.Uniform(n, n + 7, 3f);
            var expected = new double[n];
            for (int i = 0; i < n; i++) expected[i] = dst[i] + (double)a[i] * b[i];
            fixed (float* pd = dst, pa = a, pb = b) ElementwiseKernels.MulAccumulate(pd, pa, pb, n);
            TestData.AssertClose(expected, dst, 1e-30, Ulp, $"mulAccumulate n={n}");
        }
    }

    [Fact]
    public void AddRowBroadcastAddsTheRowToEveryRow()
    {
        foreach (var (rows, C) in KernelAssert.Shapes)
        {
            var a = TestData.Uniform(rows * C, rows, 2f);
            var row = TestData.Uniform(C, C);
            var expected = new double[rows * C];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < C; c++) expected[r * C + c] = a[r * C + c] + (double)row[c];
            var o = new float[rows * C];
            fixed (float* po = o, pa = a, pr = row) ElementwiseKernels.AddRowBroadcast(po, pa, pr, rows, C);
            TestData.AssertClose(expected, o, 1e-30, Ulp, $"addRowBroadcast [{rows},{C}]");
        }
    }

    [Fact]
    public void ColumnSumAccumulatesAndIsBitIdenticalAcrossThreadCounts()
    {
        using var pool1 = new WorkerPool(1);
        using var pool2 = new WorkerPool(2);
        foreach (var (rows, C) in KernelAssert.Shapes.Append((400, 200)))
        {
            var src = TestData.Uniform(rows * C, rows + C, 2f);
            var init = TestData.Uniform(C, C + 1);
            var expected = new double[C];
            for (int c = 0; c < C; c++)
            {
                expected[c] = init[c];
                for (int r = 0; r < rows; r++) expected[c] += src[r * C + c];
            }
            float[]? first = null;
            foreach (var pool in new[] { pool1, pool2 })
            {
                var dst = (float[])init.Clone();
                fixed (float* pd = dst, ps = src) ElementwiseKernels.ColumnSum(pd, ps, rows, C, pool);
                string what = $"columnSum [{rows},{C}] threads={pool.Threads}";
                TestData.AssertClose(expected, dst, 1e-6 * rows, 1e-6, what);
                if (first == null) first = dst;
                else KernelAssert.BitEqual(first, dst, what + " vs 1 thread");
            }
        }
    }

    [Fact]
    public void ReductionsMatchReference()
    {
        foreach (int n in Lengths.Where(n => n > 0).Append(1000))
        {
            var a = TestData.Uniform(n, n + 11, 2f);
            var b = TestData.Uniform(n, n + 12, 2f);
            double sum = a.Sum(v => (double)v), dot = 0;
            for (int i = 0; i < n; i++) dot += (double)a[i] * b[i];
            float max = a.Max();
            fixed (float* pa = a, pb = b)
            {
                Assert.Equal(sum, ElementwiseKernels.Sum(pa, n), 1e-6 * Math.Sqrt(n));
                Assert.Equal(dot, ElementwiseKernels.Dot(pa, pb, n), 1e-6 * Math.Sqrt(n));
                Assert.Equal(max, ElementwiseKernels.Max(pa, n));
            }
        }
        var withNaN = TestData.Uniform(40, 1);
        withNaN[33] = float.NaN;
        fixed (float* p = withNaN) Assert.True(float.IsNaN(ElementwiseKernels.Max(p, 40)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ElementwiseKernels.Max(null, 0));
        Assert.Equal(0f, ElementwiseKernels.Sum(null, 0));
    }
}
