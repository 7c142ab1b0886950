using System.CommandLine;
using JepaSharp.Data.Datasets;
using JepaSharp.Eval;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Training;
using JepaSharp.Viz;
using JepaSharp.Viz.Reports;

namespace JepaSharp.Cli;

/// <summary><c>jepa run</c> (pretrain → evaluate against baselines → report) and <c>jepa report</c>.</summary>
public static class RunCommand
{

    public static Command Create()
    {
        var config = new Option<string>("--config") { DefaultValueFactory = _ => "fmnist-small", Description = "Built-in config or YAML file." };
        var outDir = new Option<string?>("--out") { Description = "Run directory (default: the config's logging.folder)." };
        var maxMinutes = new Option<double?>("--max-minutes") { DefaultValueFactory = _ => 28, Description = "Training time limit (the evaluation runs after it)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out." };
        var cmd = new Command("run", "The whole job: pretrain I-JEPA, evaluate the checkpoint against raw pixels and random init, write report.html. Accepts --section.key value overrides.")
        {
            config, outDir, maxMinutes, resume,
        };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(parse =>
        {
            var cfg = ConfigLoader.Load(parse.GetValue(config)!);
            cfg.ApplyOverrides(TrainCommand.Overrides(parse.UnmatchedTokens));
            foreach (var warning in cfg.Warnings) Console.Error.WriteLine($"warning: {warning}");
            string dir = parse.GetValue(outDir) ?? cfg.Logging.Folder;
            if (cfg.Data.Dataset != DatasetKind.Folder && DataCommands.Ensure(Trainer.DatasetName(cfg.Data.Dataset), cfg.Data.RootPath) != 0) return 1;
            var result = TrainCommand.Train(cfg, new TrainOptions { OutDir = dir, Resume = parse.GetValue(resume), MaxMinutes = parse.GetValue(maxMinutes) });
            if (result.Outcome is TrainOutcome.Interrupted or TrainOutcome.Diverged || result.Checkpoint is null)
                return TrainCommand.ExitCode(result.Outcome);

            // Probes often peak before the end of pretraining: with evaluations during training, the best checkpoint is the one evaluated.
            string evaluated = result.BestCheckpoint ?? result.Checkpoint;
            // The final tokens (the default) and, as the I-JEPA paper's linear probes, the last four blocks' concatenation.
            int lastBlocks = Math.Min(4, cfg.Meta.ResolveEncoder().Depth);
            Console.Error.WriteLine($"evaluating {evaluated} (final tokens and the last {lastBlocks} blocks) against raw pixels and the random-init encoder…");
            var evaluation = CheckpointEvaluation.Run(evaluated, Trainer.DatasetName(cfg.Data.Dataset), cfg.Data.RootPath,
                [Baseline.Raw, Baseline.Random], new FeatureOptions(), new EvaluationOptions(), message => Console.Error.WriteLine($"  {message}"), lastBlocks);
            EvalCommands.WriteAtomically(Path.Combine(dir, RunReport.EvaluationFile), evaluation.ToJson());
            foreach (var (name, r) in evaluation.Results)
                Console.WriteLine($"{name,-26} linear probe {100 * r.LinearProbe.TestAccuracy:F2} %   k-NN {100 * r.Knn.WeightedAccuracy:F2} %   RankMe {r.Collapse.RankMe:F1}");

            DrawFigures(dir, evaluated);
            Console.WriteLine($"report: {RunReport.Write(dir)}");
            return 0;
        });
        return cmd;
    }

    /// <summary>The standard image and chart figures of a checkpoint over its dataset's test split, into RUN/viz.</summary>
    private static void DrawFigures(string runDir, string checkpoint)
    {
        string outDir = Path.Combine(runDir, RunReport.FiguresFolder);
        Console.Error.WriteLine($"drawing figures of {checkpoint} into {outDir}…");
        using var model = TrainedModel.Load(checkpoint);
        var test = DatasetLocator.Open(Trainer.DatasetName(model.Config.Data.Dataset), DatasetSplit.Test, model.Config.Data.RootPath);
        Action<string> log = message => Console.Error.WriteLine($"  {message}");
        ImageFigures.RenderAll(model, test, outDir, new ImageFigureOptions { Log = log });
        PlotFigures.RenderAll(runDir, model, test, outDir, new PlotFigureOptions { Log = log });
    }

    public static Command Report()
    {
        var run = new Option<string>("--run") { Required = true, Description = "Run directory (metrics.jsonl, optional evals.jsonl, eval.json and viz/figures.json)." };
        var figures = new Option<bool>("--figures") { Description = "First draw the standard figure set (jepa viz images + plots) of the best (else latest) checkpoint over the test split into RUN/viz." };
        var cmd = new Command("report", "(Re)write report.html of a run directory: summary, training dynamics, evaluation and every figure in RUN/viz/figures.json, as one self-contained file.")
        {
            run, figures,
        };
        cmd.SetAction(parse =>
        {
            string dir = parse.GetValue(run)!;
            if (parse.GetValue(figures)) DrawFigures(dir, Checkpoints.Best(dir) ?? dir);
            Console.WriteLine(RunReport.Write(dir));
            return 0;
        });
        return cmd;
    }
}
