using JepaSharp.Engine.Autograd;
using JepaSharp.Nn;

namespace JepaSharp.Viz.Representations;

/// <summary>An encoder's output for a set of images: every patch token [N, T, D] and their mean, the pooled feature [N, D].</summary>
public sealed class EncodedImages
{
    private EncodedImages(ModelImages images, float[] tokens, float[] pooled, int tokenCount, int dim)
    {
        Images = images;
        Tokens = tokens;
        Pooled = pooled;
        TokenCount = tokenCount;
        Dim = dim;
    }

    public ModelImages Images { get; }
    /// <summary>[N, T, D] final (normed) tokens.</summary>
    public float[] Tokens { get; }
    /// <summary>[N, D] token means: the pooled feature the evaluation uses.</summary>
    public float[] Pooled { get; }
    public int TokenCount { get; }
    public int Dim { get; }

    public ReadOnlySpan<float> ImageTokens(int i) => Tokens.AsSpan(i * TokenCount * Dim, TokenCount * Dim);

    /// <summary>Runs <paramref name="encoder"/> without gradients over all images, <paramref name="batchSize"/> at a time.</summary>
    public static EncodedImages Encode(VisionTransformer encoder, ModelImages images, int batchSize = 128)
    {
        int t = encoder.Shape.Tokens, d = encoder.Shape.Dim;
        var tokens = new float[(long)images.Count * t * d];
        var pooled = new float[images.Count * d];
        using var graph = new Graph();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, images.Count - start);
            graph.Reset();
            using (graph.NoGrad())
            {
                var output = encoder.Forward(images.Input(graph, start, count)).Span;
                output.CopyTo(tokens.AsSpan(start * t * d, count * t * d));
            }
        }
        for (int i = 0; i < images.Count; i++)
            for (int k = 0; k < t; k++)
                System.Numerics.Tensors.TensorPrimitives.Add(pooled.AsSpan(i * d, d), tokens.AsSpan((i * t + k) * d, d), pooled.AsSpan(i * d, d));
        System.Numerics.Tensors.TensorPrimitives.Multiply(pooled, 1f / t, pooled);
        return new EncodedImages(images, tokens, pooled, t, d);
    }
}
