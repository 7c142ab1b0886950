namespace JepaSharp.Viz.Embeddings;

/// <summary>A sparse symmetric n × n matrix of pair weights in CSR form (row i's entries are Columns/Values[RowStart[i] .. RowStart[i+1])).</summary>
public sealed class SparseAffinities
{
    private SparseAffinities(int count, int[] rowStart, int[] columns, double[] values)
    {
        Count = count;
        RowStart = rowStart;
        Columns = columns;
        Values = values;
    }

    public int Count { get; }
    public int[] RowStart { get; }
    public int[] Columns { get; }
    public double[] Values { get; }

    /// <summary>
    /// The symmetric union of a directed k-neighbour weighting a (row i holds a_ij for its k neighbours j):
    /// entry (i, j) = combine(a_ij, a_ji), a missing direction counting as 0. t-SNE combines by
    /// (a + b) / 2n, UMAP by the fuzzy union a + b − ab.
    /// </summary>
    public static SparseAffinities Symmetrize(NeighborGraph graph, double[] directed, Func<double, double, double> combine)
    {
        int n = graph.Count, k = graph.K;
        if (directed.Length != n * k) throw new ArgumentException($"{directed.Length} weights for a {n} × {k} neighbour graph");
        // Both orientations of every edge, keyed by (row, column); the forward weight and the backward weight are kept apart.
        var keys = new long[2 * n * k];
        var items = new (double Forward, double Backward)[keys.Length];
        for (int i = 0, e = 0; i < n; i++)
            for (int m = 0; m < k; m++, e += 2)
            {
                int j = graph.Indices[i * k + m];
                double a = directed[i * k + m];
                (keys[e], items[e]) = ((long)i * n + j, (a, 0));
                (keys[e + 1], items[e + 1]) = ((long)j * n + i, (0, a));
            }
        Array.Sort(keys, items);
        var rowStart = new int[n + 1];
        var columns = new List<int>(keys.Length);
        var values = new List<double>(keys.Length);
        for (int e = 0; e < keys.Length;)
        {
            long key = keys[e];
            double forward = 0, backward = 0;
            for (; e < keys.Length && keys[e] == key; e++)
            {
                forward += items[e].Forward;
                backward += items[e].Backward;
            }
            int row = (int)(key / n);
            rowStart[row + 1]++;
            columns.Add((int)(key % n));
            values.Add(combine(forward, backward));
        }
        for (int i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];
        return new SparseAffinities(n, rowStart, [.. columns], [.. values]);
    }
}
