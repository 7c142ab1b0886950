using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Optim;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;
using JepaSharp.Nn;

namespace JepaSharp.Viz.Predictions;

/// <summary>How <see cref="PatchDecoder.Train"/> fits the decoder.</summary>
public sealed record DecoderTraining
{
    public int Steps { get; init; } = 600;
    public int BatchSize { get; init; } = 256;
    public double LearningRate { get; init; } = 2e-3;
    public double WeightDecay { get; init; } = 1e-4;
    public int Seed { get; init; }
}

/// <summary>
/// A small pixel decoder for frozen features: fc1 (D → hidden) → GELU → fc2 (hidden → C·p·p), one patch feature to
/// that patch's normalised pixels. Trained with our engine (AdamW on the mean squared pixel error, cosine-decayed
/// learning rate, minibatches drawn with a seeded shuffle), so decoding the predictor's outputs shows what it predicted.
/// </summary>
public sealed class PatchDecoder : Module, IDisposable
{
    private readonly ParameterSet parameters;

    public PatchDecoder(int featureDim, int hidden, int pixelsPerPatch, int seed)
    {
        FeatureDim = featureDim;
        PixelsPerPatch = pixelsPerPatch;
        Fc1 = Child("fc1", new Linear(featureDim, hidden));
        Fc2 = Child("fc2", new Linear(hidden, pixelsPerPatch));
        parameters = Materialize(new Random(seed));
    }

    public Linear Fc1 { get; }
    public Linear Fc2 { get; }
    public int FeatureDim { get; }
    public int PixelsPerPatch { get; }

    private Tensor Forward(Tensor features) => Fc2.Forward(Ops.Gelu(Fc1.Forward(features)));

    /// <summary>Fits <paramref name="rows"/> (feature, pixels) pairs; returns the minibatch loss of every step.</summary>
    public float[] Train(float[] features, float[] pixels, int rows, DecoderTraining training)
    {
        if (features.Length != rows * FeatureDim || pixels.Length != rows * PixelsPerPatch)
            throw new ArgumentException($"decoder training: {features.Length} feature and {pixels.Length} pixel values for {rows} rows of {FeatureDim} and {PixelsPerPatch}");
        int batch = Math.Min(training.BatchSize, rows);
        var order = Enumerable.Range(0, rows).ToArray();
        var random = new Random(training.Seed);
        var batchFeatures = new float[batch * FeatureDim];
        var batchPixels = new float[batch * PixelsPerPatch];
        var losses = new float[training.Steps];
        using var optimizer = new AdamW(parameters);
        using var graph = new Graph(16L << 20);
        int cursor = rows;
        for (int step = 0; step < training.Steps; step++)
        {
            for (int i = 0; i < batch; i++)
            {
                if (cursor == rows)
                {
                    random.Shuffle(order);
                    cursor = 0;
                }
                int row = order[cursor++];
                features.AsSpan(row * FeatureDim, FeatureDim).CopyTo(batchFeatures.AsSpan(i * FeatureDim));
                pixels.AsSpan(row * PixelsPerPatch, PixelsPerPatch).CopyTo(batchPixels.AsSpan(i * PixelsPerPatch));
            }
            graph.Reset();
            parameters.ZeroGrad();
            var prediction = Forward(graph.Input(batchFeatures, new Shape(batch, FeatureDim)));
            var loss = Ops.Loss(RegressionLoss.Mse, prediction, graph.Input(batchPixels, new Shape(batch, PixelsPerPatch)));
            losses[step] = loss.Span[0];
            graph.Backward(loss);
            double lr = training.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * step / training.Steps));
            optimizer.Step(lr, training.WeightDecay);
        }
        return losses;
    }

    /// <summary>Pixels [rows, C·p·p] decoded from <paramref name="rows"/> features.</summary>
    public float[] Decode(ReadOnlySpan<float> features, int rows)
    {
        if (features.Length != rows * FeatureDim) throw new ArgumentException($"decoder: {features.Length} values are not {rows} features of {FeatureDim}");
        using var graph = new Graph(4L << 20);
        using (graph.NoGrad()) return Forward(graph.Input(features, new Shape(rows, FeatureDim))).ToArray();
    }

    public void Dispose() => parameters.Dispose();
}
