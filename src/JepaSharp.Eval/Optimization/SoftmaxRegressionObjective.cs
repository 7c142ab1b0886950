using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Eval.Optimization;

/// <summary>
/// The multinomial logistic-regression objective
///   f(W, b) = (1/N) Σᵢ −log softmax(W·xᵢ + b)[yᵢ] + (λ/2)·‖W‖²
/// over parameters laid out as [W row-major (C × D), b (C)]. The mean (not the sum) over examples keeps λ comparable
/// across training-set sizes; the bias is not regularised.
/// Logits Z = X·Wᵀ + b and the weight gradient (P − Y)ᵀ·X / N run on the float SGEMM; the per-row log-sum-exp and
/// every reduction accumulate in double, in a fixed order, so the value is deterministic for a given thread count.
/// </summary>
internal sealed unsafe class SoftmaxRegressionObjective : IDifferentiableFunction
{
    private readonly float[] _features;
    private readonly int[] _labels;
    private readonly int _count, _dimension, _classes;
    private readonly double _lambda;
    private readonly WorkerPool _pool;
    private readonly float[] _weights, _bias, _logits, _weightGradient;
    private readonly double[] _partLoss, _partBiasGradient;

    public int ParameterCount => _classes * _dimension + _classes;

    public SoftmaxRegressionObjective(FeatureSet train, double lambda, WorkerPool? pool = null)
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
        _weights = new float[_classes * _dimension];
        _bias = new float[_classes];
        _logits = new float[(long)_count * _classes];
        _weightGradient = new float[_classes * _dimension];
        _partLoss = new double[_pool.Threads];
        _partBiasGradient = new double[_pool.Threads * _classes];
    }

    public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
    {
        if (x.Length != ParameterCount) throw new ArgumentException($"expected {ParameterCount} parameters, got {x.Length}", nameof(x));
        if (gradient.Length != ParameterCount) throw new ArgumentException($"expected a gradient of {ParameterCount}, got {gradient.Length}", nameof(gradient));
        int weightCount = _classes * _dimension;
        for (int i = 0; i < weightCount; i++) _weights[i] = (float)x[i];
        for (int c = 0; c < _classes; c++) _bias[c] = (float)x[weightCount + c];

        fixed (float* features = _features, weights = _weights, bias = _bias, logits = _logits, weightGradient = _weightGradient)
        fixed (int* labels = _labels)
        fixed (double* partLoss = _partLoss, partBias = _partBiasGradient)
        {
            Sgemm.Run(false, true, _count, _classes, _dimension, 1f, features, _dimension, weights, _dimension, 0f, logits, _classes, _pool, bias);
            var job = new LossJob
            {
                Logits = logits, Labels = labels, Classes = _classes, Count = _count, Parts = _pool.Threads,
                InverseCount = 1f / _count, PartLoss = partLoss, PartBiasGradient = partBias,
            };
            _pool.For(job.Parts, ref job);
            // The logits now hold ∂(mean loss)/∂Z = (P − Y)/N, so the weight gradient is its transpose times X.
            Sgemm.Run(true, false, _classes, _dimension, _count, 1f, logits, _classes, features, _dimension, 0f, weightGradient, _dimension, _pool);
        }

        double dataLoss = 0;
        for (int part = 0; part < _partLoss.Length; part++) dataLoss += _partLoss[part];
        dataLoss /= _count;
        double penalty = 0;
        for (int i = 0; i < weightCount; i++)
        {
            penalty += x[i] * x[i];
            gradient[i] = _weightGradient[i] + _lambda * x[i];
        }
        for (int c = 0; c < _classes; c++)
        {
            double sum = 0;
            for (int part = 0; part < _partLoss.Length; part++) sum += _partBiasGradient[part * _classes + c];
            gradient[weightCount + c] = sum;
        }
        return dataLoss + 0.5 * _lambda * penalty;
    }

    /// <summary>Per row: loss = log Σ e^(z − max) − (z_y − max); then z ← (softmax(z) − onehot(y)) / N.</summary>
    private struct LossJob : IParallelJob
    {
        public float* Logits;
        public int* Labels;
        public int Classes, Count, Parts;
        public float InverseCount;
        public double* PartLoss, PartBiasGradient;

        public void Execute(int begin, int end, int thread)
        {
            for (int part = begin; part < end; part++)
            {
                var (first, last) = WorkerPool.Slice(Count, part, Parts);
                double loss = 0;
                double* biasGradient = PartBiasGradient + (long)part * Classes;
                for (int c = 0; c < Classes; c++) biasGradient[c] = 0;
                for (int row = first; row < last; row++)
                {
                    float* z = Logits + (long)row * Classes;
                    int label = Labels[row];
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
                PartLoss[part] = loss;
            }
        }
    }
}
