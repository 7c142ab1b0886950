using JepaSharp.Data.Datasets;
using JepaSharp.Data.Loading;
using JepaSharp.Data.Transforms;
using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Tensors;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Training;
using JepaSharp.Nn;

namespace JepaSharp.Eval;

/// <summary>Which encoder of an I-JEPA model produces evaluation features (recipe Q11).</summary>
public enum EncoderChoice
{
    /// <summary>The EMA target encoder, as the paper evaluates.</summary>
    Target,
    /// <summary>The context encoder, as the HF/timm conversions export.</summary>
    Context,
}

public sealed record FeatureOptions
{
    public EncoderChoice Encoder { get; init; } = EncoderChoice.Target;
    /// <summary>Concatenate the average-pooled outputs of this many last blocks.</summary>
    public int LastBlocks { get; init; } = 1;
    public int BatchSize { get; init; } = 256;
}

/// <summary>Frozen features of a dataset: average-pooled encoder tokens, or the normalised pixels (the raw baseline).</summary>
public static class FeatureExtractor
{
    /// <summary>The pipeline a model sees at evaluation: its training resolution and normalisation, no augmentation.</summary>
    public static ImagePipeline EvalPipeline(TrainedModel model) => EvalPipeline(model.Config);

    public static ImagePipeline EvalPipeline(TrainConfig config)
    {
        var d = config.Data;
        var normalization = new Normalization(d.NormalizeMean.Select(v => (float)v).ToArray(), d.NormalizeStd.Select(v => (float)v).ToArray());
        return ImagePipeline.Eval(d.CropSize, normalization);
    }

    /// <summary>[N, k·D] pooled features of every image, in dataset order, computed on all cores.</summary>
    public static FeatureSet Extract(TrainedModel model, IImageDataset dataset, FeatureOptions options, Action<int, int>? progress = null)
    {
        var encoder = options.Encoder == EncoderChoice.Target ? model.Model.TargetEncoder : model.Model.Encoder;
        return Extract(encoder, EvalPipeline(model.Config), dataset, options, progress);
    }

    /// <summary>[N, k·D] pooled features of one encoder (options.Encoder is not consulted) through a given pipeline.</summary>
    public static FeatureSet Extract(VisionTransformer encoder, ImagePipeline pipeline, IImageDataset dataset, FeatureOptions options, Action<int, int>? progress = null)
    {
        int dim = encoder.Shape.Dim * options.LastBlocks;
        if (dataset.Channels != encoder.Shape.Channels)
            throw new ArgumentException($"{dataset.Name} has {dataset.Channels}-channel images; the model was trained on {encoder.Shape.Channels}");
        var features = new float[(long)dataset.Count * dim];
        var labels = new int[dataset.Count];
        using var graph = new Graph();
        using var loader = new BatchLoader(dataset, pipeline, new BatchLoaderOptions
        {
            BatchSize = options.BatchSize, Shuffle = false, DropLast = false, Epochs = 1,
        });
        int done = 0;
        while (loader.TryNext(out var batch))
        {
            graph.Reset();
            using (graph.NoGrad())
            {
                var x = graph.Input(batch.Images, new Shape(batch.Count, batch.Channels, batch.Height, batch.Width));
                var pooled = encoder.PooledFeatures(x, options.LastBlocks).Span;
                for (int i = 0; i < batch.Count; i++)
                {
                    int index = batch.Indices[i];
                    pooled.Slice(i * dim, dim).CopyTo(features.AsSpan(index * dim, dim));
                    labels[index] = dataset.Label(index);
                }
            }
            done += batch.Count;
            progress?.Invoke(done, dataset.Count);
        }
        return new FeatureSet(dataset.Count, dim, features, labels, Math.Max(1, dataset.ClassCount));
    }

    /// <summary>The raw-pixel baseline: every image as its normalised pixel vector.</summary>
    public static FeatureSet Pixels(TrainedModel model, IImageDataset dataset)
    {
        var transform = EvalPipeline(model).Bind(dataset.Channels, dataset.Height, dataset.Width);
        int dim = transform.OutputFloats;
        var features = new float[(long)dataset.Count * dim];
        var labels = new int[dataset.Count];
        var bytes = new byte[dataset.Height * dataset.Width * dataset.Channels];
        var random = SampleRandom.ForSample(0, 0, 0);
        for (int i = 0; i < dataset.Count; i++)
        {
            dataset.ReadBytes(i, bytes);
            transform.Apply(bytes, features.AsSpan(i * dim, dim), ref random);
            labels[i] = dataset.Label(i);
        }
        return new FeatureSet(dataset.Count, dim, features, labels, Math.Max(1, dataset.ClassCount));
    }
}
