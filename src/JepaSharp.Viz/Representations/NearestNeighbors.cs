using System.Numerics.Tensors;

namespace JepaSharp.Viz.Representations;

/// <summary>
/// Retrieval by cosine similarity: queries [Q, D] against a gallery [G, D], both L2-normalised (zero rows stay zero),
/// the k gallery rows with the highest dot product per query, ties broken by the lower gallery index.
/// </summary>
public static class NearestNeighbors
{
    public static (int Index, float Similarity)[][] Search(ReadOnlySpan<float> queries, ReadOnlySpan<float> gallery, int dim, int k,
        Func<int, int, bool>? exclude = null)
    {
        if (dim < 1 || queries.Length % dim != 0 || gallery.Length % dim != 0)
            throw new ArgumentException($"nearest neighbours: {queries.Length} query and {gallery.Length} gallery values are not rows of {dim}");
        int q = queries.Length / dim, g = gallery.Length / dim;
        var normalizedGallery = Normalized(gallery, dim);
        var normalizedQueries = Normalized(queries, dim);
        var result = new (int, float)[q][];
        var scores = new float[g];
        for (int i = 0; i < q; i++)
        {
            var query = normalizedQueries.AsSpan(i * dim, dim);
            for (int j = 0; j < g; j++) scores[j] = TensorPrimitives.Dot(query, normalizedGallery.AsSpan(j * dim, dim));
            result[i] = Enumerable.Range(0, g).Where(j => exclude is null || !exclude(i, j))
                .OrderByDescending(j => scores[j]).ThenBy(j => j).Take(k).Select(j => (j, scores[j])).ToArray();
        }
        return result;
    }

    private static float[] Normalized(ReadOnlySpan<float> rows, int dim)
    {
        var result = rows.ToArray();
        for (int r = 0; r < result.Length / dim; r++)
        {
            var row = result.AsSpan(r * dim, dim);
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Multiply(row, 1 / norm, row);
        }
        return result;
    }
}
