using JepaSharp.Data.Datasets;
using JepaSharp.Data.Transforms;
using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;
using JepaSharp.Eval;
using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Training;

namespace JepaSharp.Viz.Training;

public sealed record LandscapeOptions
{
    /// <summary>Grid points per axis; odd, so the checkpoint itself (0, 0) is on the grid.</summary>
    public int Resolution { get; init; } = 9;
    /// <summary>The grid covers α, β ∈ [−Span, Span] in units of the filter-normalised directions.</summary>
    public double Span { get; init; } = 1;
    public int Batches { get; init; } = 1;
    public int BatchSize { get; init; } = 48;
    public int Seed { get; init; }
}

/// <summary>The I-JEPA loss on a grid around a checkpoint: Loss[b, a] at θ + Alphas[a]·d₁ + Betas[b]·d₂.</summary>
public sealed record LossLandscape(double[] Alphas, double[] Betas, double[,] Loss)
{
    public double At(int alpha, int beta) => Loss[beta, alpha];

    /// <summary>
    /// Evaluates the loss of the context encoder + predictor (the trained networks; the EMA target encoder, which
    /// supplies the regression targets, stays fixed) on fixed images — the first Batches × BatchSize of the
    /// dataset through the evaluation pipeline, with the run's mask sampler at batch indices 0, 1, … — along two
    /// random directions with filter normalisation (Li et al. 2018): each filter (output row of a weight matrix)
    /// of a Gaussian direction is rescaled to the norm of the same filter of the weights, and 1-D parameters
    /// (biases, norms) get no perturbation. The model's weights are restored afterwards, also on failure.
    /// </summary>
    public static LossLandscape Compute(TrainedModel model, IImageDataset dataset, LandscapeOptions options, Action<int, int>? progress = null)
    {
        if (options.Resolution < 2) throw new ArgumentOutOfRangeException(nameof(options), options.Resolution, "a landscape grid needs at least 2 points per axis");
        if (options.Batches < 1 || options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "landscape batches and batch size must be at least 1");
        int images = options.Batches * options.BatchSize;
        if (dataset.Count < images) throw new ArgumentException($"{dataset.Name} has {dataset.Count} images; the landscape needs {images} ({options.Batches} batches of {options.BatchSize})");
        using var evaluator = new FixedBatchLoss(model, dataset, options);
        var sets = new[] { model.Model.EncoderParameters, model.Model.PredictorParameters };
        var random = new Random(options.Seed);
        var first = sets.Select(s => FilterNormalizedDirection(s, random)).ToArray();
        var second = sets.Select(s => FilterNormalizedDirection(s, random)).ToArray();
        var saved = sets.Select(s => s.Values.AsSpan().ToArray()).ToArray();
        var axis = Enumerable.Range(0, options.Resolution).Select(i => options.Span * (2.0 * i / (options.Resolution - 1) - 1)).ToArray();
        var loss = new double[options.Resolution, options.Resolution];
        try
        {
            for (int b = 0; b < options.Resolution; b++)
                for (int a = 0; a < options.Resolution; a++)
                {
                    for (int s = 0; s < sets.Length; s++)
                    {
                        var values = sets[s].Values.AsSpan();
                        for (int k = 0; k < values.Length; k++) values[k] = (float)(saved[s][k] + axis[a] * first[s][k] + axis[b] * second[s][k]);
                    }
                    loss[b, a] = evaluator.Mean();
                    progress?.Invoke(b * options.Resolution + a + 1, options.Resolution * options.Resolution);
                }
        }
        finally
        {
            for (int s = 0; s < sets.Length; s++) saved[s].CopyTo(sets[s].Values.AsSpan());
        }
        return new LossLandscape(axis, (double[])axis.Clone(), loss);
    }

    /// <summary>A Gaussian direction over the set's layout with each filter scaled to its weights' filter norm; zero on 1-D and fixed tensors.</summary>
    private static float[] FilterNormalizedDirection(ParameterSet set, Random random)
    {
        var direction = new float[set.Values.Length];
        var weights = set.Values.AsSpan();
        foreach (var slot in set.Slots)
        {
            if (!slot.Trainable || slot.Tensor.Shape.Rank < 2) continue;
            int filters = slot.Tensor.Shape[0], size = slot.Length / filters;
            for (int f = 0; f < filters; f++)
            {
                long offset = slot.Offset + (long)f * size;
                double weightNorm = 0, directionNorm = 0;
                for (int k = 0; k < size; k++)
                {
                    double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                    direction[offset + k] = (float)g;
                    directionNorm += g * g;
                    weightNorm += (double)weights[(int)(offset + k)] * weights[(int)(offset + k)];
                }
                float scale = directionNorm > 0 ? (float)(Math.Sqrt(weightNorm) / Math.Sqrt(directionNorm)) : 0;
                for (int k = 0; k < size; k++) direction[offset + k] *= scale;
            }
        }
        return direction;
    }
}

/// <summary>The model's I-JEPA loss, averaged over a fixed set of images and masks, without gradients.</summary>
internal sealed class FixedBatchLoss : IDisposable
{
    private readonly Graph _graph = new();
    private readonly TrainedModel _model;
    private readonly float[][] _images;
    private readonly MaskBatch[] _masks;
    private readonly Shape _shape;

    public FixedBatchLoss(TrainedModel model, IImageDataset dataset, LandscapeOptions options)
    {
        _model = model;
        var d = model.Config.Data;
        var transform = FeatureExtractor.EvalPipeline(model).Bind(dataset.Channels, dataset.Height, dataset.Width);
        _shape = new Shape(options.BatchSize, d.Channels, d.CropSize, d.CropSize);
        var bytes = new byte[dataset.Height * dataset.Width * dataset.Channels];
        var random = SampleRandom.ForSample(options.Seed, 0, 0);
        _images = new float[options.Batches][];
        for (int b = 0; b < options.Batches; b++)
        {
            _images[b] = new float[transform.OutputFloats * options.BatchSize];
            for (int i = 0; i < options.BatchSize; i++)
            {
                dataset.ReadBytes(b * options.BatchSize + i, bytes);
                transform.Apply(bytes, _images[b].AsSpan(i * transform.OutputFloats, transform.OutputFloats), ref random);
            }
        }
        var sampler = ModelFactory.CreateMasks(model.Config);
        _masks = [.. Enumerable.Range(0, options.Batches).Select(b => sampler.Sample(options.BatchSize, b))];
    }

    public double Mean()
    {
        var o = _model.Config.Optimization;
        var kind = ModelFactory.Loss(_model.Config);
        double total = 0;
        var graph = _graph;
        for (int b = 0; b < _images.Length; b++)
        {
            graph.Reset();
            using (graph.NoGrad())
            {
                var input = graph.Input(_images[b], _shape);
                var m = _masks[b];
                total += _model.Model.Loss(input, m.Context, m.KeepEnc, m.Targets, m.KeepPred, kind, (float)o.SmoothL1Beta, (float)o.TargetNormEps).Span[0];
            }
        }
        return total / _images.Length;
    }

    public void Dispose() => _graph.Dispose();
}
