using System.Numerics;
using System.Runtime.CompilerServices;
using JepaSharp.Engine.Threading;
using DenseMatrix = MathNet.Numerics.LinearAlgebra.Matrix<double>;
using Symmetricity = MathNet.Numerics.LinearAlgebra.Symmetricity;

namespace JepaSharp.Eval;

/// <summary>
/// Label-free signs of representation collapse, measured on L2-normalised features (rows of zeros stay zero):
/// <list type="bullet">
/// <item><see cref="MeanDimensionStd"/>: the per-dimension standard deviation averaged over dimensions; 1/√D for
/// isotropic features, 0 for complete collapse.</item>
/// <item><see cref="RankMe"/>: the effective rank exp(−Σ pᵢ log pᵢ), pᵢ = σᵢ / Σσ, with σ the singular values of the
/// (uncentred) N × D feature matrix (Garrido et al., RankMe, 2023, without their ε); between 1 and D, 0 if every row
/// is zero.</item>
/// <item><see cref="TopComponentVarianceFraction"/>: the share of the total variance of the centred features along
/// the first principal component; 1/D for isotropic features, 1 when all variance lies on one line, and 1 when there
/// is no variance (total variance below 1e-12 of the mean squared norm: every row identical to float precision).</item>
/// </list>
/// σ² and the principal variances are eigenvalues of D × D matrices (the Gram matrix XᵀX and the covariance) that are
/// accumulated in double: float accumulation leaves ~1e-7 relative noise in the small eigenvalues, and the square
/// root turns that into ~3e-4 relative singular values, enough to lift RankMe of rank-1 features well above 1.
/// </summary>
public sealed record CollapseMetrics(int SampleCount, int Dimension, double MeanDimensionStd, double RankMe, double TopComponentVarianceFraction)
{
    private const int RowsPerUpdate = 8;

    public static CollapseMetrics Compute(FeatureSet features)
    {
        ArgumentNullException.ThrowIfNull(features);
        return ComputeChecked(features.Features, features.Count, features.Dimension);
    }

    /// <summary>The metrics of <paramref name="count"/> row-major feature vectors of length <paramref name="dimension"/>.</summary>
    public static CollapseMetrics Compute(float[] features, int count, int dimension)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "collapse metrics need at least one feature vector");
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "the feature dimension must be at least 1");
        if (features.LongLength != (long)count * dimension)
            throw new ArgumentException($"features has {features.LongLength} values, {count} vectors x {dimension} dimensions need {(long)count * dimension}", nameof(features));
        for (long i = 0; i < features.LongLength; i++)
            if (!float.IsFinite(features[i]))
                throw new ArgumentException($"feature {i % dimension} of vector {i / dimension} is {features[i]}", nameof(features));
        return ComputeChecked(features, count, dimension);
    }

    /// <summary>
    /// The singular values of the L2-normalised (uncentred) N × D feature matrix, largest first: the spectrum
    /// whose entropy <see cref="RankMe"/> summarises. D values (zeros included).
    /// </summary>
    public static double[] SingularValues(FeatureSet features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var (g, _) = Gram(features.Features, features.Count, features.Dimension);
        return [.. SymmetricEigenvalues(g).Select(l => Math.Sqrt(Math.Max(l, 0))).OrderDescending()];
    }

    /// <summary>The metrics of features whose shape and values were already checked.</summary>
    private static CollapseMetrics ComputeChecked(float[] features, int count, int dimension)
    {
        var (g, mean) = Gram(features, count, dimension);
        var covariance = new double[dimension, dimension];
        double meanStd = 0, totalVariance = 0, meanSquaredNorm = 0;
        for (int i = 0; i < dimension; i++)
        {
            meanSquaredNorm += g[i, i] / count;
            for (int j = 0; j < dimension; j++) covariance[i, j] = g[i, j] / count - mean[i] * mean[j];
            double variance = Math.Max(covariance[i, i], 0);
            meanStd += Math.Sqrt(variance);
            totalVariance += variance;
        }
        meanStd /= dimension;

        double rankMe = EffectiveRank(SymmetricEigenvalues(g));
        // The covariance is E[x̂x̂ᵀ] − μμᵀ, so when the rows barely vary it is cancellation noise of relative size ~1e-14;
        // variance that small means the rows are identical to float precision: complete collapse.
        bool hasVariance = totalVariance > 1e-12 * meanSquaredNorm;
        double topFraction = hasVariance ? Math.Clamp(SymmetricEigenvalues(covariance).Max() / totalVariance, 0, 1) : 1;
        return new CollapseMetrics(count, dimension, meanStd, rankMe, topFraction);
    }

    /// <summary>Σ x̂x̂ᵀ (D × D) and the mean of the L2-normalised rows x̂, accumulated in double on all cores.</summary>
    private static unsafe (double[,] Gram, double[] Mean) Gram(float[] features, int count, int dimension)
    {
        var pool = WorkerPool.Shared;
        int parts = Math.Max(1, Math.Min(pool.Threads, count / RowsPerUpdate));
        long square = (long)dimension * dimension;
        var partGram = new double[parts * square];
        var partSum = new double[parts * dimension];
        var rowScratch = new double[parts * RowsPerUpdate * dimension];
        fixed (float* x = features)
        fixed (double* gram = partGram, sum = partSum, scratch = rowScratch)
        {
            var job = new GramJob
            {
                Features = x, Count = count, Dimension = dimension, Parts = parts, PartGram = gram, PartSum = sum, RowScratch = scratch,
            };
            pool.For(parts, ref job);
        }

        // Sum the parts in a fixed order and mirror the upper triangle the job filled.
        var g = new double[dimension, dimension];
        var mean = new double[dimension];
        for (int part = 0; part < parts; part++)
        {
            long offset = part * square;
            for (int i = 0; i < dimension; i++)
            {
                for (int j = i; j < dimension; j++) g[i, j] += partGram[offset + (long)i * dimension + j];
                mean[i] += partSum[part * dimension + i];
            }
        }
        for (int i = 0; i < dimension; i++)
        {
            mean[i] /= count;
            for (int j = 0; j < i; j++) g[i, j] = g[j, i];
        }
        return (g, mean);
    }

    private static double[] SymmetricEigenvalues(double[,] matrix)
    {
        var evd = DenseMatrix.Build.DenseOfArray(matrix).Evd(Symmetricity.Symmetric);
        return evd.EigenValues.Select(value => value.Real).ToArray();
    }

    /// <summary>exp of the entropy of the normalised singular values σ = √max(λ, 0).</summary>
    private static double EffectiveRank(double[] gramEigenvalues)
    {
        var singular = gramEigenvalues.Select(l => Math.Sqrt(Math.Max(l, 0))).ToArray();
        double total = singular.Sum();
        if (total <= 0) return 0;
        double entropy = 0;
        foreach (double s in singular)
        {
            double p = s / total;
            if (p > 0) entropy -= p * Math.Log(p);
        }
        return Math.Exp(entropy);
    }

    /// <summary>
    /// Per part (a contiguous row range): Σ x̂ and the upper triangle of Σ x̂x̂ᵀ over L2-normalised rows x̂, in double.
    /// Rows are added eight at a time so every load and store of a Gram row carries eight multiply-adds.
    /// </summary>
    private unsafe struct GramJob : IParallelJob
    {
        public float* Features;
        public int Count, Dimension, Parts;
        public double* PartGram, PartSum, RowScratch;

        public void Execute(int begin, int end, int thread)
        {
            for (int part = begin; part < end; part++)
            {
                var (first, last) = WorkerPool.Slice(Count, part, Parts);
                int d = Dimension;
                double* gram = PartGram + (long)part * d * d;
                double* sum = PartSum + (long)part * d;
                double* rows = RowScratch + (long)part * RowsPerUpdate * d;
                new Span<double>(gram, d * d).Clear();
                new Span<double>(sum, d).Clear();
                for (int row = first; row < last; row += RowsPerUpdate)
                {
                    int take = Math.Min(RowsPerUpdate, last - row);
                    for (int r = 0; r < RowsPerUpdate; r++)
                    {
                        double* target = rows + (long)r * d;
                        if (r < take) NormalizeRow(Features + (long)(row + r) * d, target, d);
                        else new Span<double>(target, d).Clear();
                        for (int j = 0; j < d; j++) sum[j] += target[j];
                    }
                    AddUpperOuterProducts(gram, rows, d);
                }
            }
        }

        private static void NormalizeRow(float* source, double* target, int d)
        {
            double squares = 0;
            for (int j = 0; j < d; j++) squares += (double)source[j] * source[j];
            double scale = squares > 0 ? 1.0 / Math.Sqrt(squares) : 0;
            for (int j = 0; j < d; j++) target[j] = source[j] * scale;
        }

        /// <summary>gram[i, j] += Σ_r rows[r, i]·rows[r, j] for j ≥ i, over the eight rows of the block.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void AddUpperOuterProducts(double* gram, double* rows, int d)
        {
            int width = Vector<double>.Count;
            double* r0 = rows, r1 = rows + d, r2 = rows + 2 * d, r3 = rows + 3 * d;
            double* r4 = rows + 4 * d, r5 = rows + 5 * d, r6 = rows + 6 * d, r7 = rows + 7 * d;
            for (int i = 0; i < d; i++)
            {
                double a0 = r0[i], a1 = r1[i], a2 = r2[i], a3 = r3[i], a4 = r4[i], a5 = r5[i], a6 = r6[i], a7 = r7[i];
                double* g = gram + (long)i * d;
                var v0 = new Vector<double>(a0); var v1 = new Vector<double>(a1); var v2 = new Vector<double>(a2); var v3 = new Vector<double>(a3);
                var v4 = new Vector<double>(a4); var v5 = new Vector<double>(a5); var v6 = new Vector<double>(a6); var v7 = new Vector<double>(a7);
                int j = i;
                for (; j + width <= d; j += width)
                {
                    var acc = Vector.Load(g + j);
                    acc = Vector.FusedMultiplyAdd(v0, Vector.Load(r0 + j), acc);
                    acc = Vector.FusedMultiplyAdd(v1, Vector.Load(r1 + j), acc);
                    acc = Vector.FusedMultiplyAdd(v2, Vector.Load(r2 + j), acc);
                    acc = Vector.FusedMultiplyAdd(v3, Vector.Load(r3 + j), acc);
                    acc = Vector.FusedMultiplyAdd(v4, Vector.Load(r4 + j), acc);
                    acc = Vector.FusedMultiplyAdd(v5, Vector.Load(r5 + j), acc);
                    acc = Vector.FusedMultiplyAdd(v6, Vector.Load(r6 + j), acc);
                    acc = Vector.FusedMultiplyAdd(v7, Vector.Load(r7 + j), acc);
                    acc.Store(g + j);
                }
                for (; j < d; j++)
                    g[j] += a0 * r0[j] + a1 * r1[j] + a2 * r2[j] + a3 * r3[j] + a4 * r4[j] + a5 * r5[j] + a6 * r6[j] + a7 * r7[j];
            }
        }
    }
}
