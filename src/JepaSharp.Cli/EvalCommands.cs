using System.CommandLine;
using JepaSharp.Data.Datasets;
using JepaSharp.Engine.IO;
using JepaSharp.Eval;
using JepaSharp.Jepa.Training;
using Spectre.Console;

namespace JepaSharp.Cli;

/// <summary><c>jepa eval</c> and <c>jepa features</c>: how good a checkpoint's representation is, and the representation itself.</summary>
public static class EvalCommands
{
    public static Command Eval()
    {
        var checkpoint = new Option<string>("--checkpoint") { Required = true, Description = "Run directory, checkpoint folder or model.safetensors." };
        var dataset = new Option<string>("--dataset") { DefaultValueFactory = _ => "fashion-mnist", Description = "Labelled dataset (train split fits, test split scores)." };
        var root = new Option<string?>("--root") { Description = "Folder holding the dataset files." };
        var baseline = new Option<Baseline[]>("--baseline") { Description = "Also evaluate raw pixels and/or the random-init encoder (repeatable).", AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with every figure." };
        var output = new Option<string?>("--output") { Description = "Also write the JSON to this file (atomically)." };
        var (encoder, lastBlocks) = FeatureOptions();
        var cmd = new Command("eval", "Linear probe, k-NN, low-shot and collapse metrics of a checkpoint's frozen features, beside baselines.")
        {
            checkpoint, dataset, root, baseline, encoder, lastBlocks, json, output,
        };
        cmd.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            var result = CheckpointEvaluation.Run(parse.GetValue(checkpoint)!, parse.GetValue(dataset)!, parse.GetValue(root),
                parse.GetValue(baseline) ?? [], Options(parse, encoder, lastBlocks), new EvaluationOptions(),
                asJson ? null : message => Console.Error.WriteLine(message));
            if (parse.GetValue(output) is { } path) WriteAtomically(path, result.ToJson());
            if (asJson) Console.WriteLine(result.ToJson());
            else Render(result);
            return 0;
        });
        return cmd;
    }

    public static Command Features()
    {
        var checkpoint = new Option<string>("--checkpoint") { Required = true, Description = "Run directory, checkpoint folder or model.safetensors." };
        var dataset = new Option<string?>("--dataset") { Description = "A named dataset (fashion-mnist, mnist, cifar10, cifar100)." };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "train", Description = "train or test." };
        var images = new Option<string?>("--images") { Description = "A folder of PNG/JPEG images instead of a dataset." };
        var root = new Option<string?>("--root") { Description = "Folder holding the dataset files." };
        var output = new Option<string>("--out") { Required = true, Description = "Output .npy (float32 [N, D]); labels go to <name>.labels.npy when known." };
        var (encoder, lastBlocks) = FeatureOptions();
        var cmd = new Command("features", "Write a checkpoint's pooled features as a NumPy .npy file.") { checkpoint, dataset, split, images, root, output, encoder, lastBlocks };
        cmd.SetAction(parse =>
        {
            using var model = TrainedModel.Load(parse.GetValue(checkpoint)!);
            var d = model.Config.Data;
            IImageDataset data = (parse.GetValue(dataset), parse.GetValue(images)) switch
            {
                ({ } name, null) => DatasetLocator.Open(name, DatasetLocator.ParseSplit(parse.GetValue(split)!), parse.GetValue(root)),
                (null, { } folder) => new ImageFolderDataset(folder, d.CropSize, d.CropSize, d.Channels),
                _ => throw new ArgumentException("give exactly one of --dataset or --images"),
            };
            var features = FeatureExtractor.Extract(model, data, Options(parse, encoder, lastBlocks),
                (done, total) => Console.Error.Write($"\r{done}/{total} images"));
            Console.Error.WriteLine();
            string path = parse.GetValue(output)!;
            Npy.WriteFloat32(path, features.Features, features.Count, features.Dimension);
            Console.WriteLine($"wrote {path}: [{features.Count}, {features.Dimension}] float32");
            if (data.ClassCount > 0)
            {
                string labels = Path.ChangeExtension(path, null) + ".labels.npy";
                Npy.WriteInt64(labels, features.Labels.Select(l => (long)l).ToArray(), features.Count);
                Console.WriteLine($"wrote {labels}: [{features.Count}] int64");
            }
            return 0;
        });
        return cmd;
    }

    private static (Option<EncoderChoice> Encoder, Option<int> LastBlocks) FeatureOptions() =>
    (
        new Option<EncoderChoice>("--encoder") { DefaultValueFactory = _ => EncoderChoice.Target, Description = "target (EMA, as the paper) or context." },
        new Option<int>("--last-blocks") { DefaultValueFactory = _ => 1, Description = "Concatenate the pooled outputs of this many last blocks." }
    );

    private static FeatureOptions Options(ParseResult parse, Option<EncoderChoice> encoder, Option<int> lastBlocks)
        => new() { Encoder = parse.GetValue(encoder), LastBlocks = parse.GetValue(lastBlocks) };

    private static void Render(CheckpointEvaluationResult result)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(result.Dataset)}[/] — {Markup.Escape(result.Checkpoint)} (step {result.Step}, {result.Encoder} encoder)");
        table.AddColumn("features");
        foreach (var column in new[] { "dim", "linear probe", "k-NN (T=0.07)", "k-NN (vote)", "1% labels", "10% labels", "RankMe", "top PC" })
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (var (name, r) in result.Results)
            table.AddRow(name, $"{r.FeatureDimension}", Pct(r.LinearProbe.TestAccuracy), Pct(r.Knn.WeightedAccuracy), Pct(r.Knn.MajorityAccuracy),
                LowShot(r, 0.01), LowShot(r, 0.1), $"{r.Collapse.RankMe:F1}", $"{r.Collapse.TopComponentVarianceFraction:P1}");
        AnsiConsole.Write(table);
    }

    private static string Pct(double accuracy) => $"{100 * accuracy:F2}%";

    private static string LowShot(EvaluationReport r, double fraction)
        => r.LowShot.FirstOrDefault(l => Math.Abs(l.Fraction - fraction) < 1e-9) is { } l ? $"{100 * l.MeanAccuracy:F1}±{100 * l.StdAccuracy:F1}%" : "-";

    internal static void WriteAtomically(string path, string text)
    {
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
