namespace JepaSharp.Viz.Embeddings;

/// <summary>How faithfully a low-dimensional map keeps the neighbourhoods of the original points.</summary>
public static class EmbeddingQuality
{
    /// <summary>
    /// Trustworthiness (Venna &amp; Kaski 2001): T(k) = 1 − 2 / (n k (2n − 3k − 1)) Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k),
    /// where U_k(i) are the map's k nearest neighbours of i that are not among its k nearest in the original
    /// space and r(i, j) is j's rank among i's original neighbours (1 = nearest). 1 when the map invents no
    /// neighbours; requires k &lt; n/2 so the normaliser stays positive.
    /// </summary>
    public static double Trustworthiness(PointSet original, PointSet embedded, int k)
    {
        int n = RequireSameCount(original, embedded);
        if (k < 1 || 2 * n - 3 * k - 1 <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, $"trustworthiness needs 1 ≤ k < (2n − 1)/3 for n = {n}");
        var near = NeighborGraph.Exact(embedded, k);
        var penalty = new double[n];
        Parallel.For(0, n, () => (new double[n], new int[n], new int[n]), (i, _, scratch) =>
        {
            var (distance, order, rank) = scratch;
            for (int j = 0; j < n; j++)
            {
                distance[j] = j == i ? double.NegativeInfinity : original.SquaredDistance(i, j);
                order[j] = j;
            }
            Array.Sort(distance, order);
            // order[0] is i itself, so order[r] is the point of rank r.
            for (int r = 0; r < n; r++) rank[order[r]] = r;
            double sum = 0;
            for (int m = 0; m < k; m++) sum += Math.Max(0, rank[near.Indices[i * k + m]] - k);
            penalty[i] = sum;
            return scratch;
        }, _ => { });
        return 1 - 2.0 / ((double)n * k * (2 * n - 3 * k - 1)) * penalty.Sum();
    }

    /// <summary>The mean fraction of each point's k nearest original neighbours that are also among its k nearest in the map.</summary>
    public static double KnnPreservation(PointSet original, PointSet embedded, int k)
    {
        int n = RequireSameCount(original, embedded);
        var before = NeighborGraph.Exact(original, k);
        var after = NeighborGraph.Exact(embedded, k);
        long shared = 0;
        for (int i = 0; i < n; i++)
        {
            var kept = new HashSet<int>(before.Indices.AsSpan(i * k, k).ToArray());
            for (int m = 0; m < k; m++) shared += kept.Contains(after.Indices[i * k + m]) ? 1 : 0;
        }
        return shared / ((double)n * k);
    }

    private static int RequireSameCount(PointSet original, PointSet embedded)
    {
        if (original.Count != embedded.Count) throw new ArgumentException($"the map has {embedded.Count} points, the original {original.Count}");
        return original.Count;
    }
}
