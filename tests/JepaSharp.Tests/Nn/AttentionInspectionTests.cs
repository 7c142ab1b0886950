using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using JepaSharp.Nn;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Nn;

public class AttentionInspectionTests
{
    private static readonly VitShape Small = new(16, 16, 1, 4, 24, 3, 3);

    [Fact]
    public void ForwardWithAttentionReturnsTheNormalForwardsTokens()
    {
        var vit = new VisionTransformer(Small);
        using var set = vit.Materialize(new Random(3));
        using var graph = new Graph();
        var pixels = TestData.Uniform(2 * 16 * 16, 5, 2f);
        float[] expected;
        using (graph.NoGrad()) expected = vit.Forward(graph.Input(pixels, new Shape(2, 1, 16, 16))).ToArray();
        graph.Reset();
        var output = vit.ForwardWithAttention(graph.Input(pixels, new Shape(2, 1, 16, 16)), out var trace);
        Assert.Equal(expected, output.ToArray());
        Assert.Equal(3, trace.Probabilities.Count);
        Assert.Equal(2 * 3 * 16 * 16, trace.Probabilities[0].Length);
    }

    [Fact]
    public void ProbabilitiesAreTheKernelsSoftmaxAndRowsSumToOne()
    {
        var vit = new VisionTransformer(Small);
        using var set = vit.Materialize(new Random(4));
        using var graph = new Graph();
        var pixels = TestData.Uniform(2 * 16 * 16, 6, 2f);
        vit.ForwardWithAttention(graph.Input(pixels, new Shape(2, 1, 16, 16)), out var trace);

        // Replay the blocks by hand: the fused kernel's own probabilities and a double-precision softmax of q·kᵀ/√d.
        using var replay = new Graph();
        using (replay.NoGrad())
        {
            var x = Ops.AddBroadcast(vit.PatchEmbed.Forward(replay.Input(pixels, new Shape(2, 1, 16, 16))), vit.PosEmbed);
            for (int blockIndex = 0; blockIndex < vit.Blocks.Count; blockIndex++)
            {
                var block = vit.Blocks[blockIndex];
                var qkv = block.Attn.Qkv.Forward(block.Norm1.Forward(x));
                Ops.Attention(qkv, block.Attn.Heads, null, out var kernel);
                TestData.AssertClose(kernel.Span, trace.Probabilities[blockIndex], 1e-6, 1e-5, $"block {blockIndex} vs kernel");
                TestData.AssertClose(NaiveProbabilities(qkv.ToArray(), 2, 16, 3, 8), trace.Probabilities[blockIndex], 1e-6, 1e-5, $"block {blockIndex} vs naive");
                x = block.Forward(x);
            }
        }
        for (int block = 0; block < 3; block++)
            for (int image = 0; image < 2; image++)
                for (int head = 0; head < 3; head++)
                    for (int query = 0; query < 16; query++)
                    {
                        double sum = 0;
                        foreach (float p in trace.Row(block, image, head, query))
                        {
                            Assert.InRange(p, 0f, 1f);
                            sum += p;
                        }
                        Assert.Equal(1.0, sum, 5);
                    }
    }

    [Fact]
    public void ComputeRejectsAWrongSizedBuffer()
    {
        using var graph = new Graph();
        var qkv = graph.Input(new float[2 * 4 * 18], new Shape(2, 4, 18));
        var error = Assert.Throws<ArgumentException>(() => AttentionProbabilities.Compute(qkv, 3, new float[10]));
        Assert.Contains("[2, 3, 4, 4]", error.Message);
    }

    private static double[] NaiveProbabilities(float[] qkv, int batch, int tokens, int heads, int headDim)
    {
        int width = heads * headDim;
        var p = new double[batch * heads * tokens * tokens];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < tokens; i++)
                {
                    var scores = new double[tokens];
                    for (int j = 0; j < tokens; j++)
                    {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++)
                            dot += (double)qkv[(b * tokens + i) * 3 * width + h * headDim + d] * qkv[(b * tokens + j) * 3 * width + width + h * headDim + d];
                        scores[j] = dot / Math.Sqrt(headDim);
                    }
                    double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                    for (int j = 0; j < tokens; j++) p[((b * heads + h) * tokens + i) * tokens + j] = Math.Exp(scores[j] - max) / sum;
                }
        return p;
    }
}
