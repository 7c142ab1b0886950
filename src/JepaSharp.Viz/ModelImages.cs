using JepaSharp.Data.Datasets;
using JepaSharp.Data.Transforms;
using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Tensors;
using JepaSharp.Eval;
using JepaSharp.Jepa.Training;
using JepaSharp.Viz.Raster;

namespace JepaSharp.Viz;

/// <summary>
/// Images as a model sees them (its evaluation pipeline: crop size and normalisation, planar floats) and as figures
/// show them (the same pixels de-normalised), so every picture is of exactly the model's input.
/// </summary>
public sealed class ModelImages
{
    private readonly float[] mean, std;

    private ModelImages(float[] normalized, int count, int channels, int size, int[] indices, int[] labels, float[] mean, float[] std)
    {
        Normalized = normalized;
        Count = count;
        Channels = channels;
        Size = size;
        Indices = indices;
        Labels = labels;
        this.mean = mean;
        this.std = std;
    }

    /// <summary>[Count, Channels, Size, Size] normalised pixels.</summary>
    public float[] Normalized { get; }
    public int Count { get; }
    public int Channels { get; }
    public int Size { get; }
    public int ImageFloats => Channels * Size * Size;
    /// <summary>The dataset index of each image.</summary>
    public IReadOnlyList<int> Indices { get; }
    /// <summary>The class of each image, −1 when unlabelled.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Images <paramref name="indices"/> of <paramref name="dataset"/> through <paramref name="model"/>'s evaluation pipeline.</summary>
    public static ModelImages Load(TrainedModel model, IImageDataset dataset, IReadOnlyList<int> indices)
    {
        var data = model.Config.Data;
        if (dataset.Channels != data.Channels)
            throw new ArgumentException($"{dataset.Name} has {dataset.Channels}-channel images; the model was trained on {data.Channels}");
        var pipeline = FeatureExtractor.EvalPipeline(model);
        var transform = pipeline.Bind(dataset.Channels, dataset.Height, dataset.Width);
        int floats = transform.OutputFloats;
        var normalized = new float[indices.Count * floats];
        var bytes = new byte[dataset.Height * dataset.Width * dataset.Channels];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            dataset.ReadBytes(indices[i], bytes);
            var random = SampleRandom.ForSample(0, 0, indices[i]);
            transform.Apply(bytes, normalized.AsSpan(i * floats, floats), ref random);
            labels[i] = dataset.Label(indices[i]);
        }
        var n = pipeline.Normalization;
        float[] channelMean = Enumerable.Range(0, dataset.Channels).Select(c => n.Channel(c).Mean).ToArray();
        float[] channelStd = Enumerable.Range(0, dataset.Channels).Select(c => n.Channel(c).Std).ToArray();
        return new ModelImages(normalized, indices.Count, dataset.Channels, transform.OutputHeight, indices.ToArray(), labels, channelMean, channelStd);
    }

    /// <summary><paramref name="count"/> distinct indices of [0, <paramref name="total"/>) drawn with <paramref name="seed"/> (all of them, shuffled, when fewer exist).</summary>
    public static int[] SampleIndices(int total, int count, int seed)
    {
        var order = Enumerable.Range(0, total).ToArray();
        new Random(seed).Shuffle(order);
        return order[..Math.Min(count, total)];
    }

    public ReadOnlySpan<float> Image(int i) => Normalized.AsSpan(i * ImageFloats, ImageFloats);

    /// <summary>Images [start, start + count) as a graph input [count, C, S, S].</summary>
    public Tensor Input(Graph graph, int start, int count)
        => graph.Input(Normalized.AsSpan(start * ImageFloats, count * ImageFloats), new Shape(count, Channels, Size, Size));

    /// <summary>Image <paramref name="i"/> de-normalised to [0, 1] pixels, CHW.</summary>
    public float[] Pixels(int i) => Denormalize(Image(i));

    /// <summary>Normalised planar values back to [0, 1] pixels.</summary>
    public float[] Denormalize(ReadOnlySpan<float> chw)
    {
        var pixels = new float[chw.Length];
        int plane = chw.Length / Channels;
        for (int c = 0; c < Channels; c++)
            for (int p = 0; p < plane; p++) pixels[c * plane + p] = chw[c * plane + p] * std[c] + mean[c];
        return pixels;
    }

    /// <summary>[0, 1] planar pixels into the model's normalised units.</summary>
    public float[] Normalize(ReadOnlySpan<float> pixels)
    {
        var chw = new float[pixels.Length];
        int plane = pixels.Length / Channels;
        for (int c = 0; c < Channels; c++)
            for (int p = 0; p < plane; p++) chw[c * plane + p] = (pixels[c * plane + p] - mean[c]) / std[c];
        return chw;
    }

    /// <summary>Image <paramref name="i"/> as a canvas, enlarged <paramref name="scale"/> times (nearest).</summary>
    public Canvas Display(int i, int scale) => Canvas.FromPlanes(Pixels(i), Channels, Size, Size).Scaled(scale);
}
