namespace JepaSharp.Viz.Embeddings;

public sealed record TsneOptions
{
    public double Perplexity { get; init; } = 30;
    public int Iterations { get; init; } = 750;
    /// <summary>Early exaggeration of the affinities (and momentum 0.5) for the first iterations, which lets clusters form.</summary>
    public int ExaggerationIterations { get; init; } = 250;
    public double Exaggeration { get; init; } = 12;
    /// <summary>Barnes-Hut accuracy: a cell is summarised when its side over its distance is below θ.</summary>
    public double Theta { get; init; } = 0.5;
    /// <summary>Sets with fewer points are embedded exactly: affinities over all pairs and θ = 0.</summary>
    public int ExactBelow { get; init; } = 500;
    /// <summary>Inputs with more dimensions are first projected on this many principal components (the usual denoising step).</summary>
    public int PcaDimensions { get; init; } = 50;
    /// <summary>Step size; null = max(n / exaggeration, 50) (Belkina et al. 2019).</summary>
    public double? LearningRate { get; init; }
}

/// <summary>
/// t-SNE (van der Maaten &amp; Hinton 2008) with the Barnes-Hut gradient (van der Maaten 2014). Input affinities
/// p_j|i ∝ exp(−β_i ‖x_i − x_j‖²) over the 3·perplexity nearest neighbours (all points for small sets), β_i set by
/// bisection so that each row's entropy is log(perplexity), symmetrised p_ij = (p_j|i + p_i|j) / 2n. The 2-D map
/// minimises KL(P‖Q) with q_ij ∝ (1 + ‖y_i − y_j‖²)⁻¹ by gradient descent with momentum and per-coordinate gains,
/// starting from the first two principal components (scaled to std 1e-4), so the same input gives the same map.
/// </summary>
public static class Tsne
{
    public static PointSet Embed(PointSet points, TsneOptions? options = null)
    {
        var o = options ?? new TsneOptions();
        int n = points.Count;
        if (n < 5) throw new ArgumentException($"t-SNE needs at least 5 points, got {n}");
        if (!(o.Perplexity > 1)) throw new ArgumentOutOfRangeException(nameof(options), o.Perplexity, "perplexity must be above 1");
        double perplexity = Math.Min(o.Perplexity, (n - 1) / 3.0);
        var input = points.Dimension > o.PcaDimensions ? Pca.Project(points, o.PcaDimensions) : points;
        bool exact = n < o.ExactBelow;
        var p = Affinities(input, perplexity, exact ? n - 1 : Math.Min(n - 1, (int)(3 * perplexity)));
        double theta = exact ? 0 : o.Theta;

        var start = Pca.Project(input, Math.Min(2, input.Dimension));
        var y = new double[2 * n];
        double std = Math.Sqrt(start.Values.Where((_, i) => i % start.Dimension == 0).Select(v => v * v).Average());
        for (int i = 0; i < n; i++)
            for (int c = 0; c < start.Dimension; c++) y[2 * i + c] = start.Values[i * start.Dimension + c] * (std > 0 ? 1e-4 / std : 0);

        double rate = o.LearningRate ?? Math.Max(n / o.Exaggeration, 50);
        var gradient = new double[2 * n];
        var update = new double[2 * n];
        var gains = new double[2 * n];
        Array.Fill(gains, 1.0);
        var tree = new SpaceTree();
        var scratch = new double[3 * n];
        for (int iteration = 0; iteration < o.Iterations; iteration++)
        {
            bool early = iteration < o.ExaggerationIterations;
            Gradient(p, y, theta, early ? o.Exaggeration : 1, gradient, tree, scratch);
            double momentum = early ? 0.5 : 0.8;
            for (int k = 0; k < 2 * n; k++)
            {
                // Delta-bar-delta: grow the step of coordinates that keep moving the same way, shrink the others.
                gains[k] = Math.Sign(gradient[k]) != Math.Sign(update[k]) ? gains[k] + 0.2 : Math.Max(0.01, gains[k] * 0.8);
                update[k] = momentum * update[k] - rate * gains[k] * gradient[k];
                y[k] += update[k];
            }
            Recentre(y, n);
        }
        return new PointSet(y, n, 2);
    }

    /// <summary>The symmetrised input affinities P over each point's <paramref name="neighbors"/> nearest neighbours.</summary>
    public static SparseAffinities Affinities(PointSet points, double perplexity, int neighbors)
    {
        int n = points.Count;
        var graph = NeighborGraph.Exact(points, neighbors);
        var conditional = new double[n * neighbors];
        double target = Math.Log(perplexity);
        Parallel.For(0, n, i =>
        {
            var d = graph.Distances.AsSpan(i * neighbors, neighbors);
            var row = conditional.AsSpan(i * neighbors, neighbors);
            double nearest = d[0] * d[0];
            double beta = 1, low = 0, high = double.PositiveInfinity;
            for (int step = 0; step < 200; step++)
            {
                // Shifting by the nearest squared distance keeps exp from underflowing; it cancels in the normalisation.
                double sum = 0, weighted = 0;
                for (int m = 0; m < neighbors; m++)
                {
                    double d2 = d[m] * d[m] - nearest;
                    row[m] = Math.Exp(-beta * d2);
                    sum += row[m];
                    weighted += d2 * row[m];
                }
                double entropy = Math.Log(sum) + beta * weighted / sum;
                for (int m = 0; m < neighbors; m++) row[m] /= sum;
                if (Math.Abs(entropy - target) < 1e-6) break;
                if (entropy > target)
                {
                    low = beta;
                    beta = double.IsPositiveInfinity(high) ? beta * 2 : (beta + high) / 2;
                }
                else
                {
                    high = beta;
                    beta = (beta + low) / 2;
                }
            }
        });
        return SparseAffinities.Symmetrize(graph, conditional, (a, b) => (a + b) / (2.0 * n));
    }

    /// <summary>
    /// ∂KL/∂y_i = 4 (α Σ_j p_ij q̃_ij (y_i − y_j) − Σ_j q̃_ij² (y_i − y_j) / Z), q̃_ij = (1 + ‖y_i − y_j‖²)⁻¹,
    /// Z = Σ_{k≠l} q̃_kl, α the exaggeration; y and the gradient are [n, 2]. The attraction is exact over P's
    /// entries, the repulsion Barnes-Hut with accuracy θ (exact at θ = 0). <paramref name="scratch"/> holds 3n
    /// doubles (each point's share of Z and its repulsion, kept until Z is summed in a fixed order).
    /// </summary>
    public static void Gradient(SparseAffinities p, double[] y, double theta, double exaggeration, double[] gradient, SpaceTree tree, double[] scratch)
    {
        int n = p.Count;
        if (y.Length != 2 * n || gradient.Length != 2 * n || scratch.Length != 3 * n)
            throw new ArgumentException($"t-SNE gradient of {n} points needs y and gradient of {2 * n} and scratch of {3 * n} values");
        tree.Build(y, n);
        Parallel.For(0, n, i =>
        {
            double yx = y[2 * i], yy = y[2 * i + 1], ax = 0, ay = 0;
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
            {
                int j = p.Columns[e];
                double dx = yx - y[2 * j], dy = yy - y[2 * j + 1];
                double pq = p.Values[e] / (1 + dx * dx + dy * dy);
                ax += pq * dx;
                ay += pq * dy;
            }
            gradient[2 * i] = exaggeration * ax;
            gradient[2 * i + 1] = exaggeration * ay;
            scratch[3 * i] = tree.Repulsion(yx, yy, theta, out scratch[3 * i + 1], out scratch[3 * i + 2]);
        });
        double z = 0;
        for (int i = 0; i < n; i++) z += scratch[3 * i];
        for (int i = 0; i < n; i++)
        {
            gradient[2 * i] = 4 * (gradient[2 * i] - scratch[3 * i + 1] / z);
            gradient[2 * i + 1] = 4 * (gradient[2 * i + 1] - scratch[3 * i + 2] / z);
        }
    }

    private static void Recentre(double[] y, int n)
    {
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++)
        {
            mx += y[2 * i];
            my += y[2 * i + 1];
        }
        mx /= n;
        my /= n;
        for (int i = 0; i < n; i++)
        {
            y[2 * i] -= mx;
            y[2 * i + 1] -= my;
        }
    }
}
