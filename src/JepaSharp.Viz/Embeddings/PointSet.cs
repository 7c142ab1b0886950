namespace JepaSharp.Viz.Embeddings;

/// <summary>
/// <see cref="Count"/> points of <see cref="Dimension"/> coordinates, row-major in double: the input of every
/// embedding method here. The constructor rejects non-finite coordinates, naming the point.
/// </summary>
public sealed class PointSet
{
    public PointSet(double[] values, int count, int dimension)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (count < 1 || dimension < 1) throw new ArgumentException($"a point set needs at least one point of at least one coordinate, got {count} × {dimension}");
        if (values.LongLength != (long)count * dimension)
            throw new ArgumentException($"{values.LongLength} values cannot be {count} points of {dimension} coordinates");
        for (long i = 0; i < values.LongLength; i++)
            if (!double.IsFinite(values[i])) throw new ArgumentException($"coordinate {i % dimension} of point {i / dimension} is {values[i]}");
        Values = values;
        Count = count;
        Dimension = dimension;
    }

    public double[] Values { get; }
    public int Count { get; }
    public int Dimension { get; }

    public ReadOnlySpan<double> Row(int i) => Values.AsSpan(i * Dimension, Dimension);

    /// <summary>Float features (e.g. an encoder's), optionally scaled to unit length so Euclidean distance ranks like cosine similarity.</summary>
    public static PointSet FromFloats(float[] features, int count, int dimension, bool normalizeRows = false)
    {
        if (features.LongLength != (long)count * dimension)
            throw new ArgumentException($"{features.LongLength} features cannot be {count} points of {dimension} coordinates");
        var values = new double[features.LongLength];
        for (int i = 0; i < count; i++)
        {
            var row = features.AsSpan(i * dimension, dimension);
            double norm = 0;
            foreach (float v in row) norm += (double)v * v;
            double scale = normalizeRows && norm > 0 ? 1 / Math.Sqrt(norm) : 1;
            for (int j = 0; j < dimension; j++) values[i * dimension + j] = row[j] * scale;
        }
        return new PointSet(values, count, dimension);
    }

    public double SquaredDistance(int i, int j)
    {
        var a = Row(i);
        var b = Row(j);
        double sum = 0;
        for (int k = 0; k < a.Length; k++)
        {
            double d = a[k] - b[k];
            sum += d * d;
        }
        return sum;
    }
}

/// <summary>The k nearest other points of each point (Euclidean), ascending by distance, ties in a fixed order: exact, O(n²·d) on all cores.</summary>
public sealed class NeighborGraph
{
    private NeighborGraph(int count, int k, int[] indices, double[] distances)
    {
        Count = count;
        K = k;
        Indices = indices;
        Distances = distances;
    }

    public int Count { get; }
    public int K { get; }
    /// <summary>[Count, K] neighbour indices.</summary>
    public int[] Indices { get; }
    /// <summary>[Count, K] Euclidean distances.</summary>
    public double[] Distances { get; }

    public static NeighborGraph Exact(PointSet points, int k)
    {
        int n = points.Count;
        if (k < 1 || k >= n) throw new ArgumentOutOfRangeException(nameof(k), k, $"neighbours per point must be in [1, {n - 1}] for {n} points");
        var indices = new int[n * k];
        var distances = new double[n * k];
        Parallel.For(0, n, () => (new double[n], new int[n]), (i, _, scratch) =>
        {
            var (d, order) = scratch;
            for (int j = 0; j < n; j++)
            {
                d[j] = j == i ? double.PositiveInfinity : points.SquaredDistance(i, j);
                order[j] = j;
            }
            // Sorting keys with their indices needs no comparison delegate; equal distances still land in a fixed order.
            Array.Sort(d, order);
            for (int m = 0; m < k; m++)
            {
                indices[i * k + m] = order[m];
                distances[i * k + m] = Math.Sqrt(d[m]);
            }
            return scratch;
        }, _ => { });
        return new NeighborGraph(n, k, indices, distances);
    }
}
