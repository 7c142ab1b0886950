using JepaSharp.Nn;
using JepaSharp.Viz.Attention;
using Xunit;

namespace JepaSharp.Tests.Viz;

public class AttentionAnalysisTests
{
    [Fact]
    public void RolloutMatchesAHandComputedTwoLayerCase()
    {
        double[] first = [0.8, 0.2, 0.4, 0.6], second = [0.5, 0.5, 0.1, 0.9];
        // Â1 = ½A1 + ½I = [[0.9, 0.1], [0.2, 0.8]], Â2 = [[0.75, 0.25], [0.05, 0.95]], R = Â2·Â1.
        double[] expected = [0.725, 0.275, 0.235, 0.765];
        var rollout = AttentionAnalysis.Rollout([first, second], 2);
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], rollout[i], 12);
        Assert.Equal([1.0, 0, 0, 1.0], AttentionAnalysis.Rollout([], 2));
    }

    [Fact]
    public void MatrixAveragesHeadsAndReceivedIsTheColumnMean()
    {
        // One block, one image, two heads over two tokens.
        float[] probabilities = [1, 0, 0, 1, /* head 2 */ 0.5f, 0.5f, 0.2f, 0.8f];
        var maps = new AttentionMaps([probabilities], 1, 2, 2);
        var mean = AttentionAnalysis.Matrix(maps, 0, 0);
        Assert.Equal([0.75, 0.25, 0.1, 0.9], mean.Select(v => Math.Round(v, 6)));
        Assert.Equal([0.2, 0.8], AttentionAnalysis.Matrix(maps, 0, 0, head: 1).Skip(2).Select(v => Math.Round(v, 6)));
        var received = AttentionAnalysis.Received(mean, 2);
        Assert.Equal(0.425f, received[0], 6);
        Assert.Equal(0.575f, received[1], 6);
        Assert.Equal([0.1f, 0.9f], AttentionAnalysis.FromQuery(mean, 2, 1));
    }

    [Fact]
    public void EntropyIsLnTForUniformRowsAndZeroForOneHotRows()
    {
        const int tokens = 4;
        var uniform = Enumerable.Repeat(0.25f, tokens * tokens).ToArray();
        var oneHot = new float[tokens * tokens];
        for (int q = 0; q < tokens; q++) oneHot[q * tokens + (q + 1) % tokens] = 1;
        var maps = new AttentionMaps([[.. uniform, .. oneHot]], 1, 2, tokens);
        var entropy = AttentionAnalysis.Entropy(maps);
        Assert.Equal(Math.Log(tokens), entropy[0], 6);
        Assert.Equal(0, entropy[1], 12);
    }
}
