using System.Diagnostics;
using System.Globalization;
using JepaSharp.Data.Datasets;
using JepaSharp.Eval;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Logging;
using JepaSharp.Jepa.Training;
using JepaSharp.Viz.Charts;
using JepaSharp.Viz.Embeddings;
using JepaSharp.Viz.Health;
using JepaSharp.Viz.Masking;
using JepaSharp.Viz.Training;

namespace JepaSharp.Viz;

public enum EmbeddingMethod { Pca, Tsne, Umap }

/// <summary>What the standard plot set draws; the defaults finish in about a minute on 2 cores for fmnist-small.</summary>
public sealed record PlotFigureOptions
{
    /// <summary>Images (the first of the dataset) whose features the embedding maps and health figure use.</summary>
    public int Count { get; init; } = 2000;
    public int Seed { get; init; }
    public EncoderChoice Encoder { get; init; } = EncoderChoice.Target;
    public IReadOnlyList<EmbeddingMethod> Methods { get; init; } = [EmbeddingMethod.Pca, EmbeddingMethod.Tsne, EmbeddingMethod.Umap];
    /// <summary>Batches sampled per mask mode for the masking statistics.</summary>
    public int MaskBatches { get; init; } = 200;
    /// <summary>The loss landscape's grid; null leaves the landscape out.</summary>
    public LandscapeOptions? Landscape { get; init; } = new();
    /// <summary>Receives one line per finished step (what and how long).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// The plot half of the visualization suite as library calls: training dynamics, masking statistics, embedding
/// health, embedding maps (PCA, t-SNE, UMAP) and the loss landscape. Every figure is written (atomically) into
/// the output folder and recorded in its <c>figures.json</c>, which <c>jepa report</c> embeds.
/// </summary>
public static class PlotFigures
{
    public const string EmbeddingsSection = "Embeddings";
    public const string RepresentationsSection = "Representations";

    /// <summary>The whole standard set for a trained run; <paramref name="dataset"/> must be labelled (e.g. the test split).</summary>
    public static IReadOnlyList<Figure> RenderAll(string runDir, TrainedModel model, IImageDataset dataset, string outDir, PlotFigureOptions options)
    {
        var figures = new List<Figure>();
        if (File.Exists(Path.Combine(runDir, MetricsLog.FileName))) figures.AddRange(Timed(options, "training dynamics", () => Training(runDir, outDir)));
        figures.AddRange(Timed(options, "masking statistics", () => MaskStatistics(model.Config, outDir, options)));
        var features = Timed(options, $"features of {Math.Min(options.Count, dataset.Count)} images", () => Features(model, dataset, options));
        figures.AddRange(Timed(options, "embedding health", () => Health(features, Describe(dataset, features, options), outDir)));
        figures.AddRange(Embeddings(features, dataset.ClassNames, Describe(dataset, features, options), outDir, options));
        if (options.Landscape is { } landscape) figures.AddRange(Timed(options, "loss landscape", () => Landscape(model, dataset, outDir, landscape)));
        return figures;
    }

    public static IReadOnlyList<Figure> Training(string runDir, string outDir) => TrainingPlots.Render(TrainingLog.Load(runDir), outDir);

    public static IReadOnlyList<Figure> MaskStatistics(TrainConfig config, string outDir, PlotFigureOptions options)
    {
        var sampler = ModelFactory.CreateMasks(config);
        return MaskStatisticsPlots.Render(sampler.Options, config.Data.BatchSize, options.MaskBatches, options.Seed, outDir);
    }

    /// <summary>Pooled encoder features of the first <see cref="PlotFigureOptions.Count"/> images of a labelled dataset.</summary>
    public static FeatureSet Features(TrainedModel model, IImageDataset dataset, PlotFigureOptions options)
    {
        if (dataset.ClassCount == 0) throw new ArgumentException($"{dataset.Name} has no labels; embedding maps and health need a labelled dataset");
        if (options.Count < 50) throw new ArgumentOutOfRangeException(nameof(options), options.Count, "embedding figures need at least 50 images (--count)");
        IImageDataset subset = options.Count < dataset.Count ? new SubsetDataset(dataset, options.Count) : dataset;
        return FeatureExtractor.Extract(model, subset, new FeatureOptions { Encoder = options.Encoder });
    }

    public static IReadOnlyList<Figure> Health(FeatureSet features, string what, string outDir)
    {
        var data = EmbeddingHealthData.Of(features);
        return [FigureFiles.Save(outDir, new Figure("embedding-health.svg", "Embedding health", EmbeddingHealth.Caption(data, what), EmbeddingsSection), EmbeddingHealth.Render(data))];
    }

    /// <summary>One map per method of the features (scaled to unit length, so distances rank like cosine similarity), coloured by class.</summary>
    public static IReadOnlyList<Figure> Embeddings(FeatureSet features, IReadOnlyList<string> classNames, string what, string outDir, PlotFigureOptions options)
    {
        var points = PointSet.FromFloats(features.Features, features.Count, features.Dimension, normalizeRows: true);
        var names = classNames.Count >= features.ClassCount ? classNames : [.. Enumerable.Range(0, features.ClassCount).Select(c => c.ToString(CultureInfo.InvariantCulture))];
        var figures = new List<Figure>();
        foreach (var method in options.Methods)
        {
            var (title, file, caption) = method switch
            {
                EmbeddingMethod.Pca => ("PCA", "embedding-pca.svg", "the first two principal components"),
                EmbeddingMethod.Tsne => ("t-SNE", "embedding-tsne.svg", "Barnes-Hut t-SNE (perplexity 30, θ = 0.5, PCA to 50 dimensions first, PCA initialisation)"),
                _ => ("UMAP", "embedding-umap.svg", "UMAP (15 neighbours, min_dist 0.1, PCA initialisation)"),
            };
            var map = Timed(options, title, () => method switch
            {
                EmbeddingMethod.Pca => Pca.Project(points, 2),
                EmbeddingMethod.Tsne => Tsne.Embed(points),
                _ => Umap.Embed(points, new UmapOptions { Seed = options.Seed }),
            });
            double trust = Timed(options, $"{title} trustworthiness", () => EmbeddingQuality.Trustworthiness(points, map, 10));
            var x = Enumerable.Range(0, map.Count).Select(i => map.Values[2 * i]).ToList();
            var y = Enumerable.Range(0, map.Count).Select(i => map.Values[2 * i + 1]).ToList();
            string svg = ScatterChart.Render(new ChartOptions($"{title} of the encoder's features", $"{title} 1", $"{title} 2")
            {
                Width = 820, Height = 600, Subtitle = $"{what}; trustworthiness@10 = {trust:F3}",
            }, x, y, features.Labels, names);
            figures.Add(FigureFiles.Save(outDir, new Figure(file, $"{title} embedding map",
                $"{what}, mapped to 2-D by {caption}, coloured by class. Trustworthiness@10 = {trust:F3} (1 = every map neighbour is a true neighbour).", RepresentationsSection), svg));
        }
        return figures;
    }

    public static IReadOnlyList<Figure> Landscape(TrainedModel model, IImageDataset dataset, string outDir, LandscapeOptions options)
    {
        var landscape = LossLandscape.Compute(model, dataset, options);
        int centre = options.Resolution / 2;
        bool onGrid = options.Resolution % 2 == 1;
        // Grid values sit at cell centres, so the cells reach half a step beyond ±Span.
        double extent = options.Span * options.Resolution / (options.Resolution - 1);
        var log = new double[options.Resolution, options.Resolution];
        for (int b = 0; b < options.Resolution; b++)
            for (int a = 0; a < options.Resolution; a++) log[b, a] = Math.Log10(landscape.Loss[b, a]);
        string centreText = onGrid ? $"loss {landscape.At(centre, centre):G4} at the checkpoint, " : "";
        string svg = HeatmapChart.Render(new ChartOptions("Loss landscape around the checkpoint", "α (direction 1)", "β (direction 2)")
        {
            Width = 640, Height = 560, Subtitle = $"{centreText}{landscape.Loss.Cast<double>().Min():G4} – {landscape.Loss.Cast<double>().Max():G4} on the grid",
        }, log, new HeatmapOptions((-extent, extent), (-extent, extent))
        {
            ColorLabel = "log₁₀ loss",
            Markers = [(0, 0, "checkpoint")],
        });
        return [FigureFiles.Save(outDir, new Figure("training-loss-landscape.svg", "Loss landscape",
            $"I-JEPA loss (log₁₀) of the context encoder and predictor at θ + α·d₁ + β·d₂ on a {options.Resolution}×{options.Resolution} grid, d₁ and d₂ random "
            + $"filter-normalised directions (Li et al. 2018; 1-D parameters unperturbed), the target encoder fixed, on {options.Batches} fixed batch(es) of {options.BatchSize} "
            + $"{dataset.Name} images with fixed masks. A sharp bowl means a narrow minimum.", TrainingPlots.Section), svg)];
    }

    private static string Describe(IImageDataset dataset, FeatureSet features, PlotFigureOptions options) =>
        $"{features.Count:N0} {dataset.Name} images, {options.Encoder.ToString().ToLowerInvariant()}-encoder features ({features.Dimension}-D)";

    private static T Timed<T>(PlotFigureOptions options, string what, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        var result = work();
        options.Log?.Invoke($"{what}: {clock.Elapsed.TotalSeconds:F1} s");
        return result;
    }
}
