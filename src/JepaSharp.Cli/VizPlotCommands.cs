using System.CommandLine;
using JepaSharp.Data.Datasets;
using JepaSharp.Eval;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Logging;
using JepaSharp.Jepa.Training;
using JepaSharp.Viz;
using JepaSharp.Viz.Training;

namespace JepaSharp.Cli;

/// <summary>The chart kinds of <c>jepa viz</c>: embedding maps, embedding health, masking statistics, training dynamics, loss landscape, and all of them.</summary>
public static class VizPlotCommands
{
    public static IEnumerable<Command> All()
    {
        yield return Embedding();
        yield return Health();
        yield return MaskStats();
        yield return Training();
        yield return Landscape();
        yield return Plots();
    }

    /// <summary>The options every checkpoint kind shares.</summary>
    private sealed class CheckpointOptions
    {
        public Option<string> Checkpoint { get; } = new("--checkpoint") { Required = true, Description = "Run directory, checkpoint folder or model.safetensors." };
        public Option<string?> Dataset { get; } = new("--dataset") { Description = "Labelled dataset (default: the one the model was trained on)." };
        public Option<string> Split { get; } = new("--split") { DefaultValueFactory = _ => "test", Description = "train or test." };
        public Option<string?> Root { get; } = new("--root") { Description = "Folder holding the dataset files." };
        public Option<int> Count { get; } = new("--count") { DefaultValueFactory = _ => 2000, Description = "Images used (the first of the split)." };
        public Option<string> Out { get; } = new("--out") { Required = true, Description = "Output folder; figures are recorded in its figures.json." };
        public Option<int> Seed { get; } = new("--seed") { DefaultValueFactory = _ => 0, Description = "Seed of the random parts (UMAP sampling, landscape directions, masks)." };
        public Option<EncoderChoice> Encoder { get; } = new("--encoder") { DefaultValueFactory = _ => EncoderChoice.Target, Description = "target (EMA) or context encoder features." };

        /// <param name="features">Whether the kind extracts features (--count images, --encoder); the landscape does not.</param>
        public Command Add(Command command, bool features = true)
        {
            foreach (var option in new Option[] { Checkpoint, Dataset, Split, Root, Out, Seed }) command.Options.Add(option);
            if (features)
            {
                command.Options.Add(Count);
                command.Options.Add(Encoder);
            }
            return command;
        }

        public IImageDataset OpenDataset(ParseResult parse, TrainedModel model) => DatasetLocator.Open(
            parse.GetValue(Dataset) ?? Trainer.DatasetName(model.Config.Data.Dataset), DatasetLocator.ParseSplit(parse.GetValue(Split)!), parse.GetValue(Root));

        public PlotFigureOptions Options(ParseResult parse) => new()
        {
            Count = parse.GetValue(Count), Seed = parse.GetValue(Seed), Encoder = parse.GetValue(Encoder), Log = message => Console.Error.WriteLine($"  {message}"),
        };
    }

    private static Command Embedding()
    {
        var common = new CheckpointOptions();
        var method = new Option<EmbeddingMethod[]>("--method") { Description = "pca, tsne and/or umap (repeatable; default all three).", AllowMultipleArgumentsPerToken = true };
        var cmd = common.Add(new Command("embedding", "2-D maps of a labelled set's encoder features (PCA, Barnes-Hut t-SNE, UMAP), coloured by class (SVG).") { method });
        cmd.SetAction(parse => WithModel(parse, common, (model, dataset, options, outDir) =>
        {
            var methods = parse.GetValue(method) is { Length: > 0 } chosen ? chosen : [EmbeddingMethod.Pca, EmbeddingMethod.Tsne, EmbeddingMethod.Umap];
            options = options with { Methods = methods };
            var features = PlotFigures.Features(model, dataset, options);
            return PlotFigures.Embeddings(features, dataset.ClassNames, $"{features.Count:N0} {dataset.Name} images", outDir, options);
        }));
        return cmd;
    }

    private static Command Health()
    {
        var common = new CheckpointOptions();
        var cmd = common.Add(new Command("health", "Embedding health: per-dimension std and mean, singular-value spectrum, cosine similarities, effective rank (SVG)."));
        cmd.SetAction(parse => WithModel(parse, common, (model, dataset, options, outDir) =>
        {
            var features = PlotFigures.Features(model, dataset, options);
            return PlotFigures.Health(features, $"{features.Count:N0} {dataset.Name} images", outDir);
        }));
        return cmd;
    }

    private static Command MaskStats()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Take the mask settings from this run directory, checkpoint or model.safetensors." };
        var config = new Option<string?>("--config") { Description = "Or from a built-in config or YAML file." };
        var batches = new Option<int>("--batches") { DefaultValueFactory = _ => 200, Description = "Batches sampled per sampler mode." };
        var outDir = new Option<string>("--out") { Required = true, Description = "Output folder." };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0, Description = "Mask sampler seed." };
        var cmd = new Command("mask-stats", "Masking statistics over many sampled batches, fixed vs faithful sampler: block sizes and aspects, context/target sizes and ratios, patch coverage (SVG).")
        {
            checkpoint, config, batches, outDir, seed,
        };
        cmd.SetAction(parse =>
        {
            TrainConfig cfg = (parse.GetValue(checkpoint), parse.GetValue(config)) switch
            {
                ({ } path, null) => LoadConfig(path),
                (null, { } name) => ConfigLoader.Load(name),
                _ => throw new ArgumentException("give exactly one of --checkpoint or --config"),
            };
            return Report(PlotFigures.MaskStatistics(cfg, parse.GetValue(outDir)!, new PlotFigureOptions { MaskBatches = parse.GetValue(batches), Seed = parse.GetValue(seed) }), parse.GetValue(outDir)!);
        });
        return cmd;
    }

    private static Command Training()
    {
        var run = new Option<string>("--run") { Required = true, Description = "Run directory (metrics.jsonl, optional evals.jsonl)." };
        var outDir = new Option<string?>("--out") { Description = "Output folder (default RUN/viz)." };
        var cmd = new Command("training", "Training dynamics from a run's logs: loss (raw and smoothed), schedules, gradient norm and per-layer gradient flow, evaluations during training (SVG).") { run, outDir };
        cmd.SetAction(parse =>
        {
            string dir = parse.GetValue(run)!, target = parse.GetValue(outDir) ?? Path.Combine(dir, "viz");
            return Report(PlotFigures.Training(dir, target), target);
        });
        return cmd;
    }

    private static Command Landscape()
    {
        var common = new CheckpointOptions();
        var resolution = new Option<int>("--resolution") { DefaultValueFactory = _ => 9, Description = "Grid points per axis (odd puts the checkpoint on the grid)." };
        var span = new Option<double>("--span") { DefaultValueFactory = _ => 1, Description = "Grid half-width in units of the filter-normalised directions." };
        var batches = new Option<int>("--batches") { DefaultValueFactory = _ => 1, Description = "Fixed batches the loss is averaged over." };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 48, Description = "Images per batch." };
        var cmd = common.Add(new Command("landscape", "2-D loss landscape around a checkpoint along two filter-normalised random directions (Li et al. 2018), as a heatmap (SVG).")
        {
            resolution, span, batches, batchSize,
        }, features: false);
        cmd.SetAction(parse => WithModel(parse, common, (model, dataset, options, outDir) => PlotFigures.Landscape(model, dataset, outDir, new LandscapeOptions
        {
            Resolution = parse.GetValue(resolution), Span = parse.GetValue(span), Batches = parse.GetValue(batches), BatchSize = parse.GetValue(batchSize), Seed = parse.GetValue(common.Seed),
        })));
        return cmd;
    }

    private static Command Plots()
    {
        var common = new CheckpointOptions();
        var run = new Option<string?>("--run") { Description = "Run directory with the logs (default: found from --checkpoint)." };
        var cmd = common.Add(new Command("plots", "The whole standard chart set: training dynamics, masking statistics, embedding health, PCA/t-SNE/UMAP maps, loss landscape.") { run });
        cmd.SetAction(parse => WithModel(parse, common, (model, dataset, options, outDir) =>
        {
            string runDir = parse.GetValue(run) ?? RunDirectoryOf(parse.GetValue(common.Checkpoint)!);
            return PlotFigures.RenderAll(runDir, model, dataset, outDir, options);
        }));
        return cmd;
    }

    private static int WithModel(ParseResult parse, CheckpointOptions common, Func<TrainedModel, IImageDataset, PlotFigureOptions, string, IReadOnlyList<Figure>> render)
    {
        using var model = TrainedModel.Load(parse.GetValue(common.Checkpoint)!);
        var dataset = common.OpenDataset(parse, model);
        string outDir = parse.GetValue(common.Out)!;
        return Report(render(model, dataset, common.Options(parse), outDir), outDir);
    }

    private static int Report(IReadOnlyList<Figure> figures, string outDir)
    {
        foreach (var figure in figures)
        {
            string path = Path.Combine(outDir, figure.File);
            Console.WriteLine($"{path}  ({new FileInfo(path).Length / 1024.0:F0} KiB)  {figure.Title}");
        }
        return 0;
    }

    private static TrainConfig LoadConfig(string checkpoint)
    {
        using var model = TrainedModel.Load(checkpoint);
        return model.Config;
    }

    /// <summary>The run directory a checkpoint path belongs to: the path itself, or the folder above checkpoints/step-N[/model.safetensors].</summary>
    private static string RunDirectoryOf(string checkpoint)
    {
        for (string? dir = File.Exists(checkpoint) ? Path.GetDirectoryName(Path.GetFullPath(checkpoint)) : Path.GetFullPath(checkpoint); dir != null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, MetricsLog.FileName))) return dir;
        throw new ArgumentException($"no {MetricsLog.FileName} in '{checkpoint}' or the folders above it; pass --run");
    }
}
