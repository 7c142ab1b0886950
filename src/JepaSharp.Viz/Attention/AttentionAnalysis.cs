using JepaSharp.Nn;

namespace JepaSharp.Viz.Attention;

/// <summary>Summaries of attention probabilities (an <see cref="AttentionMaps"/>): head means, attention received, rollout, entropy.</summary>
public static class AttentionAnalysis
{
    /// <summary>Head <paramref name="head"/> of block <paramref name="block"/> for one image as a T × T matrix (query rows), or the mean over heads when head is −1.</summary>
    public static double[] Matrix(AttentionMaps trace, int block, int image, int head = -1)
    {
        int t = trace.Tokens;
        var matrix = new double[t * t];
        int first = head < 0 ? 0 : head, last = head < 0 ? trace.Heads - 1 : head;
        for (int h = first; h <= last; h++)
            for (int q = 0; q < t; q++)
            {
                var row = trace.Row(block, image, h, q);
                for (int k = 0; k < t; k++) matrix[q * t + k] += row[k];
            }
        double scale = 1.0 / (last - first + 1);
        for (int i = 0; i < matrix.Length; i++) matrix[i] *= scale;
        return matrix;
    }

    /// <summary>The attention each key receives, averaged over all queries: a per-patch map that sums to 1.</summary>
    public static float[] Received(double[] matrix, int tokens)
    {
        var map = new float[tokens];
        for (int q = 0; q < tokens; q++)
            for (int k = 0; k < tokens; k++) map[k] += (float)(matrix[q * tokens + k] / tokens);
        return map;
    }

    /// <summary>Row <paramref name="query"/> of a T × T matrix: where that patch looks.</summary>
    public static float[] FromQuery(double[] matrix, int tokens, int query)
        => Enumerable.Range(0, tokens).Select(k => (float)matrix[query * tokens + k]).ToArray();

    /// <summary>
    /// Attention rollout (Abnar &amp; Zuidema, 2020) through blocks 0 … L−1: each head-averaged matrix A_l gets the residual
    /// path, Â_l = ½A_l + ½I (rows still sum to 1), and R = Â_{L−1} ⋯ Â_1 · Â_0 says how much each output token draws from
    /// each input patch. Computed in double; T × T in and out.
    /// </summary>
    public static double[] Rollout(IReadOnlyList<double[]> headMeans, int tokens)
    {
        var rollout = Identity(tokens);
        var next = new double[tokens * tokens];
        foreach (var a in headMeans)
        {
            if (a.Length != tokens * tokens) throw new ArgumentException($"rollout: a matrix of {a.Length} values is not {tokens}x{tokens}");
            // next = (½A + ½I) · rollout
            for (int i = 0; i < tokens; i++)
                for (int j = 0; j < tokens; j++)
                {
                    double sum = 0.5 * rollout[i * tokens + j];
                    for (int k = 0; k < tokens; k++) sum += 0.5 * a[i * tokens + k] * rollout[k * tokens + j];
                    next[i * tokens + j] = sum;
                }
            (rollout, next) = (next, rollout);
        }
        return rollout;
    }

    private static double[] Identity(int n)
    {
        var m = new double[n * n];
        for (int i = 0; i < n; i++) m[i * n + i] = 1;
        return m;
    }

    /// <summary>
    /// Mean entropy −Σ_k p_k ln p_k (nats) of the attention rows per block and head, averaged over queries and images:
    /// [blocks × heads] row-major. ln T means uniform attention, 0 attention to one patch.
    /// </summary>
    public static double[] Entropy(AttentionMaps trace)
    {
        int blocks = trace.Probabilities.Count;
        var entropy = new double[blocks * trace.Heads];
        for (int b = 0; b < blocks; b++)
            for (int h = 0; h < trace.Heads; h++)
            {
                double sum = 0;
                for (int image = 0; image < trace.Batch; image++)
                    for (int q = 0; q < trace.Tokens; q++)
                        foreach (float p in trace.Row(b, image, h, q))
                            if (p > 0) sum -= p * Math.Log(p);
                entropy[b * trace.Heads + h] = sum / (trace.Batch * trace.Tokens);
            }
        return entropy;
    }
}
