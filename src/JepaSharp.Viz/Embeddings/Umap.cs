namespace JepaSharp.Viz.Embeddings;

public sealed record UmapOptions
{
    public int Neighbors { get; init; } = 15;
    public double MinDist { get; init; } = 0.1;
    public double Spread { get; init; } = 1;
    /// <summary>Passes over the graph; null = 500 up to 10,000 points, 200 above (as umap-learn).</summary>
    public int? Epochs { get; init; }
    public int NegativeSamples { get; init; } = 5;
    public double LearningRate { get; init; } = 1;
    public int Seed { get; init; }
}

/// <summary>
/// UMAP (McInnes, Healy &amp; Melville 2018), our own implementation of umap-learn's algorithm:
/// exact k-nearest-neighbour graph; per point ρ_i (distance to the nearest neighbour) and σ_i by bisection so
/// that Σ_j exp(−(d_ij − ρ_i)/σ_i) = log₂ k; the fuzzy union w = a + b − ab of both directions; then a 2-D
/// layout by SGD on the fuzzy cross-entropy, attracting graph edges with weight (1 + a d^{2b})⁻¹ (a, b fitted to
/// MinDist and Spread) and repelling negative samples, each edge sampled in proportion to its weight.
/// Starts from the first two principal components scaled to ±10; one thread, so the same seed gives the same map.
/// </summary>
public static class Umap
{
    public static PointSet Embed(PointSet points, UmapOptions? options = null)
    {
        var o = options ?? new UmapOptions();
        int n = points.Count;
        if (o.Neighbors < 2) throw new ArgumentOutOfRangeException(nameof(options), o.Neighbors, "UMAP needs at least 2 neighbours per point");
        if (n <= o.Neighbors) throw new ArgumentException($"UMAP with {o.Neighbors} neighbours needs more than {o.Neighbors} points, got {n}");
        var graph = FuzzyGraph(points, o.Neighbors);
        var (a, b) = FitCurve(o.MinDist, o.Spread);
        int epochs = o.Epochs ?? (n <= 10_000 ? 500 : 200);

        var start = Pca.Project(points, Math.Min(2, points.Dimension));
        double extent = start.Values.Max(Math.Abs);
        var random = new Random(o.Seed);
        var y = new double[2 * n];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 2; c++)
                y[2 * i + c] = (c < start.Dimension && extent > 0 ? start.Values[i * start.Dimension + c] * 10 / extent : 0) + 1e-4 * (random.NextDouble() - 0.5);
        Optimize(graph, y, a, b, epochs, o, random);
        return new PointSet(y, n, 2);
    }

    /// <summary>The symmetric fuzzy simplicial set of the points' k-neighbour graph (k counts the point itself, as umap-learn).</summary>
    public static SparseAffinities FuzzyGraph(PointSet points, int neighbors)
    {
        int n = points.Count, k = neighbors - 1;
        var knn = NeighborGraph.Exact(points, k);
        var membership = new double[n * k];
        double target = Math.Log2(neighbors);
        Parallel.For(0, n, i =>
        {
            var d = knn.Distances.AsSpan(i * k, k);
            double rho = 0;
            foreach (double v in d)
                if (v > 0) { rho = v; break; }
            double low = 0, high = double.PositiveInfinity, sigma = 1;
            for (int step = 0; step < 64; step++)
            {
                double sum = 0;
                foreach (double v in d) sum += Math.Exp(-Math.Max(0, v - rho) / sigma);
                if (Math.Abs(sum - target) < 1e-5) break;
                if (sum > target)
                {
                    high = sigma;
                    sigma = (low + high) / 2;
                }
                else
                {
                    low = sigma;
                    sigma = double.IsPositiveInfinity(high) ? sigma * 2 : (low + high) / 2;
                }
            }
            // umap-learn's floor keeps σ from vanishing where all neighbours sit at the same distance.
            double mean = 0;
            foreach (double v in d) mean += v;
            sigma = Math.Max(sigma, 1e-3 * mean / k);
            for (int m = 0; m < k; m++) membership[i * k + m] = Math.Exp(-Math.Max(0, d[m] - rho) / sigma);
        });
        return SparseAffinities.Symmetrize(knn, membership, (x, t) => x + t - x * t);
    }

    /// <summary>
    /// a, b of the embedding kernel (1 + a d^{2b})⁻¹ fitted by Levenberg-Marquardt least squares to the target
    /// curve 1 for d &lt; minDist, exp(−(d − minDist)/spread) beyond, on 300 points of [0, 3·spread] (as umap-learn).
    /// </summary>
    public static (double A, double B) FitCurve(double minDist, double spread)
    {
        if (!(spread > 0) || !(minDist >= 0) || minDist > spread)
            throw new ArgumentOutOfRangeException(nameof(minDist), minDist, $"UMAP needs 0 ≤ min_dist ≤ spread and spread > 0, got min_dist {minDist}, spread {spread}");
        const int count = 300;
        var x = new double[count];
        var target = new double[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = 3 * spread * i / (count - 1);
            target[i] = x[i] < minDist ? 1 : Math.Exp(-(x[i] - minDist) / spread);
        }
        double a = 1, b = 1, damping = 1e-3;
        double Error(double pa, double pb)
        {
            double e = 0;
            for (int i = 0; i < count; i++)
            {
                double r = 1 / (1 + pa * Math.Pow(x[i], 2 * pb)) - target[i];
                e += r * r;
            }
            return e;
        }
        double error = Error(a, b);
        for (int iteration = 0; iteration < 200; iteration++)
        {
            // Normal equations JᵀJ δ = −Jᵀr of the 2 parameters, damped.
            double jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
            for (int i = 1; i < count; i++)
            {
                double power = Math.Pow(x[i], 2 * b), f = 1 / (1 + a * power), r = f - target[i];
                double da = -power * f * f, db = -a * power * 2 * Math.Log(x[i]) * f * f;
                jaa += da * da;
                jab += da * db;
                jbb += db * db;
                ga += da * r;
                gb += db * r;
            }
            double m00 = jaa * (1 + damping), m11 = jbb * (1 + damping), det = m00 * m11 - jab * jab;
            double stepA = -(m11 * ga - jab * gb) / det, stepB = -(m00 * gb - jab * ga) / det;
            double candidate = Error(a + stepA, b + stepB);
            if (candidate < error && a + stepA > 0 && b + stepB > 0)
            {
                bool converged = error - candidate < 1e-15;
                (a, b, error, damping) = (a + stepA, b + stepB, candidate, damping / 3);
                if (converged) break;
            }
            else damping *= 4;
        }
        return (a, b);
    }

    /// <summary>umap-learn's optimize_layout_euclidean: per epoch, every edge due for a sample pulls its ends together and pushes its head from random points.</summary>
    private static void Optimize(SparseAffinities graph, double[] y, double a, double b, int epochs, UmapOptions o, Random random)
    {
        int n = graph.Count, edges = graph.Values.Length;
        double maxWeight = graph.Values.Max();
        var heads = new int[edges];
        for (int i = 0; i < n; i++)
            for (int e = graph.RowStart[i]; e < graph.RowStart[i + 1]; e++) heads[e] = i;
        var perSample = new double[edges];
        var nextSample = new double[edges];
        var perNegative = new double[edges];
        var nextNegative = new double[edges];
        for (int e = 0; e < edges; e++)
        {
            // Edges too weak to be sampled once in the whole run are left out, as umap-learn does.
            perSample[e] = graph.Values[e] >= maxWeight / epochs ? maxWeight / graph.Values[e] : double.PositiveInfinity;
            nextSample[e] = perSample[e];
            perNegative[e] = perSample[e] / o.NegativeSamples;
            nextNegative[e] = perNegative[e];
        }
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            double alpha = o.LearningRate * (1 - (epoch - 1) / (double)epochs);
            for (int e = 0; e < edges; e++)
            {
                if (nextSample[e] > epoch) continue;
                int j = heads[e], k = graph.Columns[e];
                double dx = y[2 * j] - y[2 * k], dy = y[2 * j + 1] - y[2 * k + 1], d2 = dx * dx + dy * dy;
                if (d2 > 0)
                {
                    double power = Math.Pow(d2, b);
                    double coefficient = -2 * a * b * (power / d2) / (a * power + 1);
                    double gx = Clip(coefficient * dx) * alpha, gy = Clip(coefficient * dy) * alpha;
                    y[2 * j] += gx;
                    y[2 * j + 1] += gy;
                    y[2 * k] -= gx;
                    y[2 * k + 1] -= gy;
                }
                nextSample[e] += perSample[e];

                int negatives = (int)((epoch - nextNegative[e]) / perNegative[e]);
                for (int s = 0; s < negatives; s++)
                {
                    int other = random.Next(n);
                    if (other == j) continue;
                    dx = y[2 * j] - y[2 * other];
                    dy = y[2 * j + 1] - y[2 * other + 1];
                    d2 = dx * dx + dy * dy;
                    // Coincident points get the maximal push (4) so they separate.
                    double coefficient = d2 > 0 ? 2 * b / ((0.001 + d2) * (a * Math.Pow(d2, b) + 1)) : 0;
                    y[2 * j] += (coefficient > 0 ? Clip(coefficient * dx) : 4) * alpha;
                    y[2 * j + 1] += (coefficient > 0 ? Clip(coefficient * dy) : 4) * alpha;
                }
                nextNegative[e] += negatives * perNegative[e];
            }
        }
    }

    private static double Clip(double value) => Math.Clamp(value, -4, 4);
}
