using System.Diagnostics;
using JepaSharp.Data.Datasets;
using JepaSharp.Eval;
using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Training;
using JepaSharp.Nn;
using JepaSharp.Viz.Attention;
using JepaSharp.Viz.Masking;
using JepaSharp.Viz.Predictions;
using JepaSharp.Viz.Representations;

namespace JepaSharp.Viz;

/// <summary>What the image figures show and how many; the defaults make the standard set.</summary>
public sealed record ImageFigureOptions
{
    /// <summary>Chooses the images and seeds the mask sampler and the decoder: the same seed gives the same figures.</summary>
    public int Seed { get; init; }
    /// <summary>Pixels per image pixel in figures; 0 picks the smallest factor that makes images at least 200 pixels wide.</summary>
    public int Scale { get; init; }
    public EncoderChoice Encoder { get; init; } = EncoderChoice.Target;
    public int MaskImages { get; init; } = 8;
    public int CoverageBatches { get; init; } = 100;
    public int CoverageBatchSize { get; init; } = 32;
    public int AnimationImages { get; init; } = 4;
    public int AnimationFrames { get; init; } = 12;
    public int AttentionImages { get; init; } = 4;
    /// <summary>The patch (grid row, column) whose attention row is drawn; null = the centre patch.</summary>
    public (int Row, int Column)? QueryPatch { get; init; }
    /// <summary>The layer (1-based) whose heads are drawn side by side; 0 = the last.</summary>
    public int HeadsLayer { get; init; }
    public int GalleryImages { get; init; } = 500;
    public int PcaImages { get; init; } = 4;
    public int PcaGridImages { get; init; } = 16;
    public int QueryImages { get; init; } = 6;
    public int Neighbors { get; init; } = 6;
    public int PredictionImages { get; init; } = 6;
    public int DecoderHidden { get; init; } = 256;
    public DecoderTraining DecoderTraining { get; init; } = new();
    /// <summary>Progress lines (what is being drawn, how long it took); null for silence.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// The image and heatmap figures of a trained model over a dataset: masking, attention, representations and
/// predictions. Each group can be drawn alone; <see cref="RenderAll"/> draws the standard set, encoding the shared
/// gallery of images once. Figures go to one folder and its figures.json.
/// </summary>
public sealed class ImageFigures
{
    private readonly TrainedModel model;
    private readonly IImageDataset dataset;
    private readonly ImageFigureOptions options;
    private readonly FigureWriter writer;
    private readonly int[] order;
    private EncodedImages? gallery;

    public ImageFigures(TrainedModel model, IImageDataset dataset, string outDir, ImageFigureOptions? options = null)
    {
        this.model = model;
        this.dataset = dataset;
        this.options = options ?? new ImageFigureOptions();
        if (dataset.Count == 0) throw new ArgumentException($"{dataset.Name} has no images to draw");
        writer = new FigureWriter(outDir);
        order = ModelImages.SampleIndices(dataset.Count, dataset.Count, this.options.Seed);
        var shape = model.Model.Encoder.Shape;
        Scale = this.options.Scale > 0 ? this.options.Scale : Math.Max(1, (200 + shape.ImageWidth - 1) / shape.ImageWidth);
    }

    public int Scale { get; }
    public IReadOnlyList<Figure> Written => writer.Written;
    private VitShape Shape => model.Model.Encoder.Shape;
    private VisionTransformer Encoder => options.Encoder == EncoderChoice.Target ? model.Model.TargetEncoder : model.Model.Encoder;
    private string EncoderName => options.Encoder == EncoderChoice.Target ? "target" : "context";

    /// <summary>Draws every figure of the standard set into <paramref name="outDir"/>.</summary>
    public static IReadOnlyList<Figure> RenderAll(TrainedModel model, IImageDataset dataset, string outDir, ImageFigureOptions? options = null)
    {
        var figures = new ImageFigures(model, dataset, outDir, options);
        figures.StandardSet();
        return figures.Written;
    }

    /// <summary>Masks, attention, representations and predictions: every figure of the standard set.</summary>
    public void StandardSet()
    {
        Masks();
        Attention();
        Representations();
        Predictions();
    }

    /// <summary>Up to <paramref name="count"/> images of the seeded order, from <paramref name="skip"/> on.</summary>
    private ModelImages Images(int count, int skip = 0)
    {
        int available = Math.Min(count, order.Length - skip);
        if (available < 1) throw new ArgumentException($"{dataset.Name} has {order.Length} images, too few for this figure (it needs more than {skip})");
        return ModelImages.Load(model, dataset, order.AsSpan(skip, available).ToArray());
    }

    /// <summary>Gallery size: as asked, but leaving the query images out of a small dataset.</summary>
    private int GalleryCount => Math.Max(1, Math.Min(options.GalleryImages, order.Length - options.QueryImages));

    private MultiBlockMaskCollator Collator() => new(ModelFactory.CreateMasks(model.Config).Options, options.Seed);

    private T Timed<T>(string what, Func<T> draw)
    {
        var watch = Stopwatch.StartNew();
        var result = draw();
        options.Log?.Invoke($"{what}: {watch.Elapsed.TotalSeconds:0.0} s");
        return result;
    }

    /// <summary>Mask grid, coverage, faithful vs fixed, and the animation.</summary>
    public void Masks()
    {
        var collator = Collator();
        var images = Images(options.MaskImages);
        Timed("mask grid", () => MaskFigures.Grid(writer, images, collator, 0, Scale));
        Timed("mask coverage", () => MaskFigures.Coverage(writer, collator, options.CoverageBatches, options.CoverageBatchSize));
        var few = Images(Math.Min(options.AnimationImages, options.MaskImages));
        MultiBlockMaskCollator? faithful = null;
        try
        {
            faithful = new MultiBlockMaskCollator(collator.Options with { Mode = MaskMode.Faithful }, options.Seed);
        }
        catch (ArgumentException e)
        {
            // The faithful sampler rejects some settings the fixed one accepts (its blocks can be smaller); say so instead of failing the set.
            options.Log?.Invoke($"faithful vs fixed skipped: {e.Message}");
        }
        if (faithful is not null)
        {
            var fixedSampler = new MultiBlockMaskCollator(collator.Options with { Mode = MaskMode.Fixed }, options.Seed);
            Timed("faithful vs fixed", () => MaskFigures.SamplerComparison(writer, few, faithful!, fixedSampler, 0, Scale,
                options.CoverageBatches, options.CoverageBatchSize));
        }
        Timed("mask animation", () => MaskFigures.Animation(writer, few, collator, options.AnimationFrames, Scale));
    }

    private AttentionFigures AttentionOf() => Timed("attention pass", () => AttentionFigures.Compute(Encoder, EncoderName, Images(options.AttentionImages), Scale));

    /// <summary>Per layer and head, all heads of one layer, rollout, attention from one patch, early/middle/late, and entropy.</summary>
    public void Attention()
    {
        int depth = Shape.Depth;
        int layer = options.HeadsLayer > 0 ? options.HeadsLayer : depth;
        if (layer > depth) throw new ArgumentException($"layer {layer} does not exist: the encoder has {depth}");
        var (row, column) = options.QueryPatch ?? (Shape.GridHeight / 2, Shape.GridWidth / 2);
        if ((uint)row >= (uint)Shape.GridHeight || (uint)column >= (uint)Shape.GridWidth)
            throw new ArgumentException($"patch ({row}, {column}) is outside the {Shape.GridHeight}x{Shape.GridWidth} patch grid");
        var attention = AttentionOf();
        Timed("attention figures", () =>
        {
            attention.LayersAndHeads(writer);
            attention.HeadsOfLayer(writer, layer - 1);
            attention.Rollout(writer);
            attention.FromPatch(writer, row, column);
            attention.EarlyMiddleLate(writer);
            return attention.Entropy(writer);
        });
    }

    /// <summary>Attention rollout only.</summary>
    public void Rollout() => AttentionOf().Rollout(writer);

    private EncodedImages Gallery() => gallery ??= Timed($"encode {GalleryCount} gallery images", () => EncodedImages.Encode(Encoder, Images(GalleryCount)));

    /// <summary>PCA colours of patch features (per image and over a grid) and nearest-neighbour retrieval.</summary>
    public void Representations()
    {
        Pca();
        Neighbors();
    }

    public void Pca()
    {
        var encoded = Gallery();
        int rows = encoded.Images.Count * encoded.TokenCount;
        var pca = Timed("fit PCA", () => PatchPca.Fit(encoded.Tokens, rows, encoded.Dim));
        string fit = $"fit on the {rows} patches of {encoded.Images.Count} images";
        RepresentationFigures.PcaImages(writer, encoded, pca, Enumerable.Range(0, Math.Min(options.PcaImages, encoded.Images.Count)).ToArray(),
            Shape.GridWidth, Shape.GridHeight, Scale, fit, EncoderName);
        RepresentationFigures.PcaGrid(writer, encoded, pca, Enumerable.Range(0, Math.Min(options.PcaGridImages, encoded.Images.Count)).ToArray(),
            Shape.GridWidth, Shape.GridHeight, Scale, 4);
    }

    public void Neighbors()
    {
        var encoded = Gallery();
        // Queries come after the gallery in the seeded order, so none is its own neighbour.
        var queries = EncodedImages.Encode(Encoder, Images(options.QueryImages, encoded.Images.Count));
        Timed("neighbours", () => RepresentationFigures.Neighbors(writer, queries, encoded, options.Neighbors, Scale, dataset.ClassNames, EncoderName));
    }

    /// <summary>Prediction error maps and the decoded predictions.</summary>
    public void Predictions()
    {
        var probe = Probe(out var images);
        Timed("prediction errors", () => PredictionFigures.Errors(writer, images, probe, Scale));
        Decode(probe, images);
    }

    private PredictionProbe Probe(out ModelImages images)
    {
        var shown = Images(options.PredictionImages);
        images = shown;
        return Timed("prediction pass", () => PredictionProbe.Run(model.Model, shown, Collator().Sample(shown.Count, 0), (float)model.Config.Optimization.TargetNormEps));
    }

    /// <summary>Only the prediction error maps.</summary>
    public void PredictionErrors()
    {
        var probe = Probe(out var images);
        PredictionFigures.Errors(writer, images, probe, Scale);
    }

    /// <summary>Only the decoded predictions (trains the pixel decoder first).</summary>
    public void Decode()
    {
        var probe = Probe(out var images);
        Decode(probe, images);
    }

    private void Decode(PredictionProbe probe, ModelImages images)
    {
        var training = options.DecoderTraining with { Seed = options.DecoderTraining.Seed + options.Seed };
        // The decoder must read the target encoder's features: those are what the predictor learned to predict.
        var targetGallery = options.Encoder == EncoderChoice.Target ? Gallery()
            : Timed("encode gallery (target encoder)", () => EncodedImages.Encode(model.Model.TargetEncoder, Images(GalleryCount)));
        var (decoder, quality) = Timed("train pixel decoder", () => PredictionFigures.FitDecoder(targetGallery, Shape.PatchSize,
            (float)model.Config.Optimization.TargetNormEps, options.DecoderHidden, training));
        using (decoder) Timed("decoded predictions", () => PredictionFigures.Decoded(writer, images, probe, decoder, quality, Shape.PatchSize, Scale));
    }
}
