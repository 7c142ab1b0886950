using System.CommandLine;
using JepaSharp.Data.Datasets;
using JepaSharp.Data.Images;
using JepaSharp.Eval;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Training;
using JepaSharp.Viz;

namespace JepaSharp.Cli;

/// <summary>
/// <c>jepa viz KIND</c> for the image figures (PNG/GIF): masks, attention, rollout, pca, neighbors, predictions, decode,
/// and images (the whole standard set). Each draws from a checkpoint over real images into --out, indexed in figures.json.
/// </summary>
public static class VizImageCommands
{
    private sealed record Common(Option<string> Checkpoint, Option<string?> Image, Option<string?> Dataset, Option<string> Split, Option<string?> Root,
        Option<string> Out, Option<int> Seed, Option<int> Scale, Option<EncoderChoice> Encoder);

    public static IEnumerable<Command> All()
    {
        yield return Kind("masks", "Mask grid over real images, per-patch coverage, faithful vs fixed sampler, and an animated GIF of successive masks.",
            f => f.Masks(), ImageInput.Allowed, Count("--images", "Images in the mask grid.", d => d.MaskImages, (o, v) => o with { MaskImages = v }),
            Count("--frames", "Frames of the GIF animation.", d => d.AnimationFrames, (o, v) => o with { AnimationFrames = v }));
        yield return Kind("attention", "Attention per layer and head, all heads of one layer, rollout, attention from one patch, early/middle/late, entropy.",
            f => f.Attention(), ImageInput.Allowed, Count("--images", "Images to draw.", d => d.AttentionImages, (o, v) => o with { AttentionImages = v }),
            Count("--layer", "Layer (1-based) whose heads are drawn side by side; 0 = the last.", d => d.HeadsLayer, (o, v) => o with { HeadsLayer = v }), PatchOption());
        yield return Kind("rollout", "Attention rollout across all layers.", f => f.Rollout(), ImageInput.Allowed,
            Count("--images", "Images to draw.", d => d.AttentionImages, (o, v) => o with { AttentionImages = v }));
        yield return Kind("pca", "PCA of patch features as RGB, per image and over a grid.", f => f.Pca(), ImageInput.Allowed,
            Count("--gallery", "Images the PCA is fitted on.", d => d.GalleryImages, (o, v) => o with { GalleryImages = v }));
        yield return Kind("neighbors", "Query images and their k nearest images by cosine similarity of pooled features.", f => f.Neighbors(),
            ImageInput.DatasetOnly, Count("--k", "Neighbours per query.", d => d.Neighbors, (o, v) => o with { Neighbors = v }),
            Count("--queries", "Query images.", d => d.QueryImages, (o, v) => o with { QueryImages = v }),
            Count("--gallery", "Images searched.", d => d.GalleryImages, (o, v) => o with { GalleryImages = v }));
        yield return Kind("predictions", "Predicted vs target features at the target blocks: per-patch L2 error and cosine maps.",
            f => f.PredictionErrors(), ImageInput.Allowed, Count("--images", "Images to draw.", d => d.PredictionImages, (o, v) => o with { PredictionImages = v }));
        yield return Kind("decode", "Train a pixel decoder on frozen target features, then decode the predictor's outputs: original / masked / decoded.",
            f => f.Decode(), ImageInput.DatasetOnly, Count("--images", "Images to draw.", d => d.PredictionImages, (o, v) => o with { PredictionImages = v }),
            Count("--gallery", "Images whose patches train the decoder.", d => d.GalleryImages, (o, v) => o with { GalleryImages = v }),
            Count("--decoder-steps", "AdamW steps of decoder training.", d => d.DecoderTraining.Steps, (o, v) => o with { DecoderTraining = o.DecoderTraining with { Steps = v } }));
        yield return Kind("images", "The whole standard set of image figures (masks, attention, representations, predictions).",
            f => f.StandardSet(), ImageInput.DatasetOnly);
    }

    private enum ImageInput
    {
        Allowed,
        DatasetOnly,
    }

    /// <summary>A kind-specific option and how it changes the figure options.</summary>
    private sealed record KindOption(Option Option, Func<ParseResult, ImageFigureOptions, ImageFigureOptions> Apply);

    private static readonly ImageFigureOptions Defaults = new();

    private static KindOption Count(string name, string description, Func<ImageFigureOptions, int> fallback, Func<ImageFigureOptions, int, ImageFigureOptions> apply)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback(Defaults) };
        return new KindOption(option, (parse, o) =>
        {
            int value = parse.GetValue(option);
            if (value < 0) throw new ArgumentException($"{name} must not be negative, got {value}");
            return apply(o, value);
        });
    }

    private static KindOption PatchOption()
    {
        var option = new Option<string?>("--patch") { Description = "Grid patch ROW,COL whose attention is drawn (default: the centre)." };
        return new KindOption(option, (parse, o) =>
        {
            if (parse.GetValue(option) is not { } text) return o;
            var parts = text.Split(',');
            if (parts.Length != 2 || !int.TryParse(parts[0], out int row) || !int.TryParse(parts[1], out int column))
                throw new ArgumentException($"--patch '{text}' is not ROW,COL (for example 3,3)");
            return o with { QueryPatch = (row, column) };
        });
    }

    private static Command Kind(string name, string description, Action<ImageFigures> draw, ImageInput input, params KindOption[] extra)
    {
        var common = new Common(
            new Option<string>("--checkpoint") { Required = true, Description = "Run directory, checkpoint folder or model.safetensors." },
            new Option<string?>("--image") { Description = input == ImageInput.Allowed ? "One PNG/JPEG image instead of a dataset." : "Not available for this kind (it needs many images)." },
            new Option<string?>("--dataset") { Description = "A named dataset (fashion-mnist, mnist, cifar10, cifar100); default: the one the model was trained on." },
            new Option<string>("--split") { DefaultValueFactory = _ => "test", Description = "train or test." },
            new Option<string?>("--root") { Description = "Folder holding the dataset files." },
            new Option<string>("--out") { Required = true, Description = "Folder for the figures and their figures.json." },
            new Option<int>("--seed") { DefaultValueFactory = _ => 0, Description = "Chooses images and masks; the same seed draws the same figures." },
            new Option<int>("--scale") { DefaultValueFactory = _ => 0, Description = "Figure pixels per image pixel (0: images at least 200 pixels wide)." },
            new Option<EncoderChoice>("--encoder") { DefaultValueFactory = _ => EncoderChoice.Target, Description = "target (EMA) or context encoder for attention and features." });
        var cmd = new Command(name, description)
        {
            common.Checkpoint, common.Image, common.Dataset, common.Split, common.Root, common.Out, common.Seed, common.Scale, common.Encoder,
        };
        foreach (var option in extra) cmd.Options.Add(option.Option);
        cmd.SetAction(parse =>
        {
            using var model = TrainedModel.Load(parse.GetValue(common.Checkpoint)!);
            string? imagePath = parse.GetValue(common.Image);
            if (imagePath is not null && input == ImageInput.DatasetOnly)
                throw new ArgumentException($"jepa viz {name} needs many images: give --dataset (or nothing, for the model's own dataset) instead of --image");
            if (imagePath is not null && parse.GetValue(common.Dataset) is not null) throw new ArgumentException("give --image or --dataset, not both");
            var dataset = imagePath is not null ? SingleImageDataset.Load(imagePath, model.Config.Data.Channels)
                : OpenDataset(model.Config, parse.GetValue(common.Dataset), DatasetLocator.ParseSplit(parse.GetValue(common.Split)!), parse.GetValue(common.Root));
            var options = new ImageFigureOptions
            {
                Seed = parse.GetValue(common.Seed), Scale = parse.GetValue(common.Scale), Encoder = parse.GetValue(common.Encoder),
                Log = message => Console.Error.WriteLine(message),
            };
            foreach (var option in extra) options = option.Apply(parse, options);
            string outDir = parse.GetValue(common.Out)!;
            var figures = new ImageFigures(model, dataset, outDir, options);
            draw(figures);
            foreach (var figure in figures.Written)
                Console.WriteLine($"wrote {Path.Combine(outDir, figure.File)} ({new FileInfo(Path.Combine(outDir, figure.File)).Length / 1024.0:0.0} KiB): {figure.Title}");
            return 0;
        });
        return cmd;
    }

    private static IImageDataset OpenDataset(TrainConfig config, string? name, DatasetSplit split, string? root)
    {
        if (name is not null) return DatasetLocator.Open(name, split, root);
        if (config.Data.Dataset == DatasetKind.Folder)
            throw new ArgumentException("the model was trained on an image folder: give --dataset NAME or --image FILE");
        return DatasetLocator.Open(Trainer.DatasetName(config.Data.Dataset), split, root ?? config.Data.RootPath);
    }

    /// <summary>One image file as a one-image dataset, converted to the model's channel count.</summary>
    private sealed class SingleImageDataset(string path, ByteImage image) : ImageDataset
    {
        public static SingleImageDataset Load(string path, int channels) => new(path, ImageCodec.Load(path).ToChannels(channels));

        public override string Name => Path.GetFileName(path);
        public override int Count => 1;
        public override int Channels => image.Channels;
        public override int Height => image.Height;
        public override int Width => image.Width;
        public override int Label(int index) => -1;
        protected override void ReadValidated(int index, Span<byte> hwc) => image.Pixels.CopyTo(hwc);
    }
}
