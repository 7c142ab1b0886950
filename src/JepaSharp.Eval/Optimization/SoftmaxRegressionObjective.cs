using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Eval.Optimization;

/// <summary>
/// The multinomial logistic-regression objective
///   f(W, b) = (1/N) Σᵢ −log softmax(W·xᵢ + b)[yᵢ] + (λ/2)·‖W‖²
/// over parameters laid out as [W row-major (C × D), b (C)]. The mean (not the sum) over examples keeps λ comparable
/// across training-set sizes; the bias is not regularised.
/// Each thread takes a contiguous range of examples and walks it in blocks of rows that stay in cache (L2 or L3): the
/// logits Z = X·Wᵀ + b, the softmax and the weight gradient (P − Y)ᵀ·X / N all run on a block while it is there, so an
/// evaluation reads the features from memory once (a probe's features are tens to hundreds of MB; the two whole-set
/// products read them twice). The per-row log-sum-exp and every reduction accumulate in double and the threads' partial
/// sums are added in a fixed order, so the value is deterministic for a given thread count.
/// </summary>
internal sealed unsafe class SoftmaxRegressionObjective : IDifferentiableFunction
{
    /// <summary>
    /// The most feature bytes a block holds by default. Smaller blocks stay in L2 but make the products' row count too
    /// small: 2 MB (682 rows of 768 features) measured fastest between 128 KB and 8 MB.
    /// </summary>
    public const int DefaultBlockBytes = 2 << 20;

    private readonly float[] _features;
    private readonly int[] _labels;
    private readonly int _count, _dimension, _classes, _parts, _blockRows;
    private readonly double _lambda;
    private readonly WorkerPool _pool;
    private readonly float[] _weights, _bias, _packedWeights, _blockLogits, _partWeightGradient;
    private readonly double[] _partLoss, _partBiasGradient;

    public int ParameterCount => _classes * _dimension + _classes;

    public SoftmaxRegressionObjective(FeatureSet train, double lambda, WorkerPool? pool = null, int blockBytes = DefaultBlockBytes)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (!(lambda >= 0) || double.IsInfinity(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "the L2 strength must be finite and >= 0");
        _features = train.Features;
        _labels = train.Labels;
        _count = train.Count;
        _dimension = train.Dimension;
        _classes = train.ClassCount;
        _lambda = lambda;
        _pool = pool ?? WorkerPool.Shared;
        _parts = Math.Min(_pool.Threads, _count);
        if (blockBytes < 1) throw new ArgumentOutOfRangeException(nameof(blockBytes), blockBytes, "a block needs at least one byte");
        // No block is longer than a part, so few-feature sets do not get logits buffers for rows they do not have.
        _blockRows = (int)Math.Clamp(blockBytes / ((long)_dimension * sizeof(float)), 1, (_count + _parts - 1) / _parts);
        _weights = new float[_classes * _dimension];
        _bias = new float[_classes];
        _packedWeights = new float[Sgemm.PackedWeightFloats(_classes, _dimension)];
        _blockLogits = new float[(long)_parts * _blockRows * _classes];
        _partWeightGradient = new float[(long)_parts * _classes * _dimension];
        _partLoss = new double[_parts];
        _partBiasGradient = new double[_parts * _classes];
    }

    public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
    {
        if (x.Length != ParameterCount) throw new ArgumentException($"expected {ParameterCount} parameters, got {x.Length}", nameof(x));
        if (gradient.Length != ParameterCount) throw new ArgumentException($"expected a gradient of {ParameterCount}, got {gradient.Length}", nameof(gradient));
        int weightCount = _classes * _dimension;
        for (int i = 0; i < weightCount; i++) _weights[i] = (float)x[i];
        for (int c = 0; c < _classes; c++) _bias[c] = (float)x[weightCount + c];

        fixed (float* features = _features, weights = _weights, packed = _packedWeights, bias = _bias, logits = _blockLogits, partWeight = _partWeightGradient)
        fixed (int* labels = _labels)
        fixed (double* partLoss = _partLoss, partBias = _partBiasGradient)
        {
            Sgemm.PackWeight(weights, _dimension, _classes, _dimension, packed);
            var job = new BlockJob
            {
                Features = features, Labels = labels, Weights = weights, PackedWeights = packed, Bias = bias, BlockLogits = logits, PartWeightGradient = partWeight,
                Count = _count, Dimension = _dimension, Classes = _classes, Parts = _parts, BlockRows = _blockRows,
                InverseCount = 1f / _count, PartLoss = partLoss, PartBiasGradient = partBias,
            };
            _pool.For(_parts, ref job);
        }

        double dataLoss = 0;
        for (int part = 0; part < _parts; part++) dataLoss += _partLoss[part];
        dataLoss /= _count;
        double penalty = 0;
        for (int i = 0; i < weightCount; i++)
        {
            float weightGradient = _partWeightGradient[i];
            for (int part = 1; part < _parts; part++) weightGradient += _partWeightGradient[(long)part * weightCount + i];
            penalty += x[i] * x[i];
            gradient[i] = weightGradient + _lambda * x[i];
        }
        for (int c = 0; c < _classes; c++)
        {
            double sum = 0;
            for (int part = 0; part < _parts; part++) sum += _partBiasGradient[part * _classes + c];
            gradient[weightCount + c] = sum;
        }
        return dataLoss + 0.5 * _lambda * penalty;
    }

    /// <summary>
    /// One part's examples, a block of rows at a time: Z = X·Wᵀ + b; per row loss = log Σ e^(z − max) − (z_y − max) and
    /// z ← (softmax(z) − onehot(y)) / N; then the part's weight gradient += Zᵀ·X. Products called inside a job run on this thread.
    /// </summary>
    private struct BlockJob : IParallelJob
    {
        public float* Features, Weights, PackedWeights, Bias, BlockLogits, PartWeightGradient;
        public int* Labels;
        public int Count, Dimension, Classes, Parts, BlockRows;
        public float InverseCount;
        public double* PartLoss, PartBiasGradient;

        public void Execute(int begin, int end, int thread)
        {
            for (int part = begin; part < end; part++)
            {
                var (first, last) = WorkerPool.Slice(Count, part, Parts);
                float* z = BlockLogits + (long)part * BlockRows * Classes;
                float* weightGradient = PartWeightGradient + (long)part * Classes * Dimension;
                double* biasGradient = PartBiasGradient + (long)part * Classes;
                for (int c = 0; c < Classes; c++) biasGradient[c] = 0;
                double loss = 0;
                for (int row = first; row < last; row += BlockRows)
                {
                    int rows = Math.Min(BlockRows, last - row);
                    float* x = Features + (long)row * Dimension;
                    Sgemm.Run(false, true, rows, Classes, Dimension, 1f, x, Dimension, Weights, Dimension, 0f, z, Classes, bias: Bias, packedB: PackedWeights);
                    loss += SoftmaxGradientRows(z, Labels + row, rows, biasGradient);
                    // The block's logits now hold ∂(mean loss)/∂Z = (P − Y)/N, so its share of the weight gradient is Zᵀ·X.
                    Sgemm.Run(true, false, Classes, Dimension, rows, 1f, z, Classes, x, Dimension, row == first ? 0f : 1f, weightGradient, Dimension);
                }
                PartLoss[part] = loss;
            }
        }

        /// <summary>Turns each row's logits into (softmax − onehot)/N in place; returns the rows' summed loss and adds their bias gradient.</summary>
        private readonly double SoftmaxGradientRows(float* logits, int* labels, int rows, double* biasGradient)
        {
            double loss = 0;
            for (int r = 0; r < rows; r++)
            {
                float* z = logits + (long)r * Classes;
                int label = labels[r];
                float max = z[0];
                for (int c = 1; c < Classes; c++) max = Math.Max(max, z[c]);
                double labelLogit = (double)z[label] - max;
                float sum = 0;
                for (int c = 0; c < Classes; c++)
                {
                    float e = FastMath.Exp(z[c] - max);
                    z[c] = e;
                    sum += e;
                }
                loss += Math.Log(sum) - labelLogit;
                float scale = InverseCount / sum;
                for (int c = 0; c < Classes; c++) z[c] *= scale;
                z[label] -= InverseCount;
                for (int c = 0; c < Classes; c++) biasGradient[c] += z[c];
            }
            return loss;
        }
    }
}
