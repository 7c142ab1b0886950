using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Nn;

/// <summary>
/// The attention weights of multi-head self-attention, for inspection: P[b, h] = softmax(q·kᵀ / √d) over keys, from
/// qkv [B, T, 3·C] laid out [3, heads, d] per token (the attention kernel's input) into [B, heads, T, T]. The fused
/// kernel's math (scaled dot products, max-subtracted softmax), recomputed here so visualisation does not depend on
/// what the kernel keeps. Each row costs T·d multiply-adds for the scores and T exponentials.
/// </summary>
public static class AttentionProbabilities
{
    public static void Compute(Tensor qkv, int heads, Span<float> probabilities)
    {
        if (qkv.Shape.Rank != 3 || heads <= 0 || qkv.Shape[2] % (3 * heads) != 0)
            throw new ArgumentException($"attention probabilities: qkv {qkv.Shape} is not [B, T, 3·heads·head_dim] with heads={heads}");
        int batch = qkv.Shape[0], tokens = qkv.Shape[1], width = qkv.Shape[2] / 3, headDim = width / heads;
        long needed = (long)batch * heads * tokens * tokens;
        if (probabilities.Length != needed)
            throw new ArgumentException($"attention probabilities: buffer of {probabilities.Length} floats for [{batch}, {heads}, {tokens}, {tokens}] ({needed})");
        float scale = 1f / MathF.Sqrt(headDim);
        ReadOnlySpan<float> x = qkv.Span;
        int tokenStride = 3 * width;
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < tokens; i++)
                {
                    var q = x.Slice((b * tokens + i) * tokenStride + h * headDim, headDim);
                    var row = probabilities.Slice((int)((((long)b * heads + h) * tokens + i) * tokens), tokens);
                    for (int j = 0; j < tokens; j++)
                        row[j] = scale * TensorPrimitives.Dot(q, x.Slice((b * tokens + j) * tokenStride + width + h * headDim, headDim));
                    float max = TensorPrimitives.Max(row);
                    double sum = 0;
                    for (int j = 0; j < tokens; j++)
                    {
                        row[j] = MathF.Exp(row[j] - max);
                        sum += row[j];
                    }
                    TensorPrimitives.Multiply(row, (float)(1 / sum), row);
                }
    }
}
