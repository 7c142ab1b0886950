using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Threading;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Kernels;

public unsafe class LayerNormKernelsTests
{
    private const float Eps = 1e-6f;

    /// <summary>Inputs with a per-row offset and spread, so skipping the centring or the scaling shows.</summary>
    private static float[] Input(int rows, int C, int seed)
    {
        var x = TestData.Uniform(rows * C, seed, 2f);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < C; c++)
                x[r * C + c] = x[r * C + c] * (1 + r % 3) + 0.5f * (r % 5) - 1f;
        return x;
    }

    private static (double[] Y, double[] Mean, double[] Rstd) ReferenceForward(float[] x, float[]? w, float[]? b, int rows, int C, double eps)
    {
        var y = new double[rows * C];
        var mean = new double[rows];
        var rstd = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double m = 0, v = 0;
            for (int c = 0; c < C; c++) m += x[r * C + c];
            m /= C;
            for (int c = 0; c < C; c++) v += (x[r * C + c] - m) * (x[r * C + c] - m);
            v /= C;
            double s = 1 / Math.Sqrt(v + eps);
            mean[r] = m;
            rstd[r] = s;
            for (int c = 0; c < C; c++)
                y[r * C + c] = (x[r * C + c] - m) * s * (w?[c] ?? 1.0) + (b?[c] ?? 0.0);
        }
        return (y, mean, rstd);
    }

    /// <summary>The analytic backward in double, from the given (saved) mean and rstd.</summary>
    private static (double[] Dx, double[] Dw, double[] Db) ReferenceBackward(float[] dy, float[] x, float[]? w, double[] mean, double[] rstd, int rows, int C)
    {
        var dx = new double[rows * C];
        var dw = new double[C];
        var db = new double[C];
        for (int r = 0; r < rows; r++)
        {
            double mg = 0, mgx = 0;
            for (int c = 0; c < C; c++)
            {
                double xh = (x[r * C + c] - mean[r]) * rstd[r], g = dy[r * C + c] * (w?[c] ?? 1.0);
                mg += g;
                mgx += g * xh;
                dw[c] += dy[r * C + c] * xh;
                db[c] += dy[r * C + c];
            }
            mg /= C;
            mgx /= C;
            for (int c = 0; c < C; c++)
            {
                double xh = (x[r * C + c] - mean[r]) * rstd[r], g = dy[r * C + c] * (w?[c] ?? 1.0);
                dx[r * C + c] = rstd[r] * (g - mg - xh * mgx);
            }
        }
        return (dx, dw, db);
    }

    [Fact]
    public void ReferenceBackwardMatchesFiniteDifferencesOfReferenceForward()
    {
        // Guards the analytic formula the kernel is checked against: L = Σ dy∘LN(x), perturbed in double.
        const int rows = 3, C = 7;
        var x = Input(rows, C, 1);
        var w = TestData.Uniform(C, 2);
        var b = TestData.Uniform(C, 3);
        var dy = TestData.Uniform(rows * C, 4);
        var (_, mean, rstd) = ReferenceForward(x, w, b, rows, C, Eps);
        var (dx, dw, db) = ReferenceBackward(dy, x, w, mean, rstd, rows, C);
        double Loss(double[] xs, double[] ws, double[] bs)
        {
            double l = 0;
            for (int r = 0; r < rows; r++)
            {
                double m = 0, v = 0;
                for (int c = 0; c < C; c++) m += xs[r * C + c];
                m /= C;
                for (int c = 0; c < C; c++) v += (xs[r * C + c] - m) * (xs[r * C + c] - m);
                double s = 1 / Math.Sqrt(v / C + Eps);
                for (int c = 0; c < C; c++) l += dy[r * C + c] * ((xs[r * C + c] - m) * s * ws[c] + bs[c]);
            }
            return l;
        }
        double[] xd = KernelAssert.ToDouble(x), wd = KernelAssert.ToDouble(w), bd = KernelAssert.ToDouble(b);
        const double h = 1e-6;
        double Fd(double[] v, int i)
        {
            double keep = v[i];
            v[i] = keep + h; double lp = Loss(xd, wd, bd);
            v[i] = keep - h; double lm = Loss(xd, wd, bd);
            v[i] = keep;
            return (lp - lm) / (2 * h);
        }
        for (int i = 0; i < rows * C; i++) Assert.Equal(dx[i], Fd(xd, i), 1e-6);
        for (int c = 0; c < C; c++)
        {
            Assert.Equal(dw[c], Fd(wd, c), 1e-6);
            Assert.Equal(db[c], Fd(bd, c), 1e-6);
        }
    }

    [Fact]
    public void ForwardMatchesDoubleReferenceAndIsBitIdenticalAcrossThreadCounts()
    {
        using var pool1 = new WorkerPool(1);
        using var pool2 = new WorkerPool(2);
        int seed = 10;
        foreach (var (rows, C) in KernelAssert.Shapes)
        {
            var x = Input(rows, C, ++seed);
            var wFull = TestData.Uniform(C, ++seed, 1.5f);
            var bFull = TestData.Uniform(C, ++seed);
            foreach (var (w, b) in new[] { (wFull, bFull), (wFull, null), (null, bFull), ((float[]?)null, (float[]?)null) })
            {
                var (ey, em, es) = ReferenceForward(x, w, b, rows, C, Eps);
                float[]? first = null, firstMean = null, firstRstd = null;
                foreach (var pool in new[] { pool1, pool2 })
                {
                    var y = new float[rows * C];
                    var mean = new float[rows];
                    var rstd = new float[rows];
                    fixed (float* py = y, pm = mean, ps = rstd, px = x, pw = w, pb = b)
                        LayerNormKernels.Forward(py, pm, ps, px, pw, pb, rows, C, Eps, pool);
                    string what = $"LN forward [{rows},{C}] w={w != null} b={b != null} threads={pool.Threads}";
                    TestData.AssertClose(ey, y, 1e-5, 1e-5, what + " y");
                    TestData.AssertClose(em, mean, 1e-6, 1e-6, what + " mean");
                    TestData.AssertClose(es, rstd, 0, 1e-5, what + " rstd");
                    if (first == null) (first, firstMean, firstRstd) = (y, mean, rstd);
                    else
                    {
                        KernelAssert.BitEqual(first, y, what + " y vs 1 thread");
                        KernelAssert.BitEqual(firstMean!, mean, what + " mean vs 1 thread");
                        KernelAssert.BitEqual(firstRstd!, rstd, what + " rstd vs 1 thread");
                    }
                }
            }
        }
    }

    [Fact]
    public void ForwardWithoutSavedStatisticsGivesTheSameOutputInPlace()
    {
        const int rows = 17, C = 197;
        var x = Input(rows, C, 3);
        var w = TestData.Uniform(C, 4);
        var b = TestData.Uniform(C, 5);
        var y = new float[rows * C];
        var mean = new float[rows];
        var rstd = new float[rows];
        var inPlace = (float[])x.Clone();
        fixed (float* py = y, pm = mean, ps = rstd, px = x, pw = w, pb = b, pi = inPlace)
        {
            LayerNormKernels.Forward(py, pm, ps, px, pw, pb, rows, C, Eps);
            LayerNormKernels.Forward(pi, null, null, pi, pw, pb, rows, C, Eps);
        }
        KernelAssert.BitEqual(y, inPlace, "in-place inference LN");
    }

    [Fact]
    public void BackwardAccumulatesTheReferenceGradients()
    {
        using var pool1 = new WorkerPool(1);
        using var pool2 = new WorkerPool(2);
        int seed = 100;
        foreach (var (rows, C) in KernelAssert.Shapes)
        {
            var x = Input(rows, C, ++seed);
            var dy = TestData.Uniform(rows * C, ++seed);
            var wFull = TestData.Uniform(C, ++seed, 1.5f);
            var dxInit = TestData.Uniform(rows * C, ++seed);
            var dwInit = TestData.Uniform(C, ++seed);
            var dbInit = TestData.Uniform(C, ++seed);
            foreach (var w in new[] { wFull, null })
            {
                var mean = new float[rows];
                var rstd = new float[rows];
                var y = new float[rows * C];
                fixed (float* py = y, pm = mean, ps = rstd, px = x, pw = w)
                    LayerNormKernels.Forward(py, pm, ps, px, pw, null, rows, C, Eps, pool1);
                var (edx, edw, edb) = ReferenceBackward(dy, x, w, KernelAssert.ToDouble(mean), KernelAssert.ToDouble(rstd), rows, C);
                for (int i = 0; i < edx.Length; i++) edx[i] += dxInit[i];
                for (int c = 0; c < C; c++) { edw[c] += dwInit[c]; edb[c] += dbInit[c]; }

                float[]? dx1 = null;
                foreach (var pool in new[] { pool1, pool2 })
                {
                    var dx = (float[])dxInit.Clone();
                    var dw = (float[])dwInit.Clone();
                    var db = (float[])dbInit.Clone();
                    fixed (float* pdx = dx, pdw = dw, pdb = db, pdy = dy, px = x, pw = w, pm = mean, ps = rstd)
                        LayerNormKernels.Backward(pdx, pdw, pdb, pdy, px, pw, pm, ps, rows, C, pool);
                    string what = $"LN backward [{rows},{C}] w={w != null} threads={pool.Threads}";
                    TestData.AssertClose(edx, dx, 2e-5, 1e-5, what + " dx");
                    TestData.AssertClose(edw, dw, 2e-6 * rows, 1e-5, what + " dweight");
                    TestData.AssertClose(edb, db, 2e-6 * rows, 1e-5, what + " dbias");
                    if (dx1 == null) dx1 = dx;
                    else KernelAssert.BitEqual(dx1, dx, what + " dx vs 1 thread");
                }
            }
        }
    }

    [Fact]
    public void BackwardReductionsAreDeterministicForAFixedThreadCount()
    {
        using var pool2 = new WorkerPool(2);
        const int rows = 197, C = 385;
        var x = Input(rows, C, 7);
        var dy = TestData.Uniform(rows * C, 8);
        var w = TestData.Uniform(C, 9);
        var mean = new float[rows];
        var rstd = new float[rows];
        var y = new float[rows * C];
        fixed (float* py = y, pm = mean, ps = rstd, px = x, pw = w)
            LayerNormKernels.Forward(py, pm, ps, px, pw, null, rows, C, Eps, pool2);
        float[]? dw0 = null, db0 = null;
        for (int run = 0; run < 3; run++)
        {
            var dw = new float[C];
            var db = new float[C];
            fixed (float* pdw = dw, pdb = db, pdy = dy, px = x, pw = w, pm = mean, ps = rstd)
                LayerNormKernels.Backward(null, pdw, pdb, pdy, px, pw, pm, ps, rows, C, pool2);
            if (dw0 == null) (dw0, db0) = (dw, db);
            else
            {
                KernelAssert.BitEqual(dw0, dw, $"dweight run {run}");
                KernelAssert.BitEqual(db0!, db, $"dbias run {run}");
            }
        }
    }

    [Fact]
    public void BackwardComputesOnlyTheRequestedGradients()
    {
        using var pool2 = new WorkerPool(2);
        const int rows = 64, C = 385;
        var x = Input(rows, C, 21);
        var dy = TestData.Uniform(rows * C, 22);
        var w = TestData.Uniform(C, 23);
        var mean = new float[rows];
        var rstd = new float[rows];
        var y = new float[rows * C];
        fixed (float* py = y, pm = mean, ps = rstd, px = x, pw = w)
            LayerNormKernels.Forward(py, pm, ps, px, pw, null, rows, C, Eps, pool2);

        var dxAll = new float[rows * C];
        var dwAll = new float[C];
        var dbAll = new float[C];
        fixed (float* pdx = dxAll, pdw = dwAll, pdb = dbAll, pdy = dy, px = x, pw = w, pm = mean, ps = rstd)
            LayerNormKernels.Backward(pdx, pdw, pdb, pdy, px, pw, pm, ps, rows, C, pool2);

        foreach (var (wantDx, wantDw, wantDb) in new[] { (true, false, false), (false, true, false), (false, false, true), (true, true, false), (false, true, true) })
        {
            var dx = wantDx ? new float[rows * C] : null;
            var dw = wantDw ? new float[C] : null;
            var db = wantDb ? new float[C] : null;
            fixed (float* pdx = dx, pdw = dw, pdb = db, pdy = dy, px = x, pw = w, pm = mean, ps = rstd)
                LayerNormKernels.Backward(pdx, pdw, pdb, pdy, px, pw, pm, ps, rows, C, pool2);
            string what = $"dx={wantDx} dw={wantDw} db={wantDb}";
            if (dx != null) KernelAssert.BitEqual(dxAll, dx, what + " dx");
            if (dw != null) KernelAssert.BitEqual(dwAll, dw, what + " dweight");
            if (db != null) KernelAssert.BitEqual(dbAll, db, what + " dbias");
        }
    }
}
