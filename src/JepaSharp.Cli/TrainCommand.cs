using System.CommandLine;
using System.Runtime.InteropServices;
using JepaSharp.Eval;
using JepaSharp.Interop.Mapping;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Models;
using JepaSharp.Jepa.Training;
using Spectre.Console;

namespace JepaSharp.Cli;

/// <summary><c>jepa train</c>: I-JEPA pretraining from a built-in config or a YAML file, with <c>--section.key value</c> overrides.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Required = true, Description = $"Built-in config ({string.Join(", ", ConfigLoader.BuiltInNames)}) or a YAML file." };
        var outDir = new Option<string?>("--out") { Description = "Run directory: config.yaml, metrics.jsonl, TensorBoard events, checkpoints/ (default: the config's logging.folder)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its latest checkpoint." };
        var seed = new Option<int?>("--seed") { Description = "Override meta.seed." };
        var maxMinutes = new Option<double?>("--max-minutes") { Description = "Stop (with a checkpoint) after this much time; the schedule keeps its length." };
        var maxSteps = new Option<long?>("--max-steps") { Description = "Stop (with a checkpoint) after this many steps; the schedule keeps its length." };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Steps between checkpoints (default: logging.checkpoint_every, else once per epoch)." };
        var evalEvery = new Option<int?>("--eval-every") { Description = "Steps between quick probes of the representation (default: logging.eval_every); the best checkpoint is kept in checkpoints/best." };
        var init = new Option<string?>("--init") { Description = "Start from these weights (jepa import formats: official .pth, HF/timm, a JepaSharp checkpoint) with a fresh optimizer and schedule." };
        var cmd = new Command("train", "Pretrain an I-JEPA model. Any config key can be overridden as --section.key value (e.g. --optimization.lr 5e-4).")
        {
            config, outDir, resume, seed, maxMinutes, maxSteps, checkpointEvery, evalEvery, init,
        };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(parse =>
        {
            var cfg = ConfigLoader.Load(parse.GetValue(config)!);
            var overrides = Overrides(parse.UnmatchedTokens);
            if (parse.GetValue(seed) is { } s) overrides.Add(("meta.seed", s.ToString()));
            cfg.ApplyOverrides(overrides);
            foreach (var warning in cfg.Warnings) Console.Error.WriteLine($"warning: {warning}");
            var options = new TrainOptions
            {
                OutDir = parse.GetValue(outDir) ?? cfg.Logging.Folder,
                Resume = parse.GetValue(resume),
                MaxMinutes = parse.GetValue(maxMinutes),
                MaxSteps = parse.GetValue(maxSteps),
                CheckpointEvery = parse.GetValue(checkpointEvery),
                EvalEvery = parse.GetValue(evalEvery),
                InitializeWeights = InitFrom(parse.GetValue(init), parse.GetValue(resume)),
            };
            return Run(cfg, options);
        });
        return cmd;
    }

    private static Action<IJepaModel>? InitFrom(string? path, bool resume)
    {
        if (path is null) return null;
        if (resume) throw new ArgumentException("--init starts a new run; --resume continues one: give only one of them");
        return model =>
        {
            foreach (var note in CheckpointImporter.LoadInto(path, model)) Console.Error.WriteLine($"--init: {note}");
            Console.Error.WriteLine($"--init: weights from {path}; fresh optimizer and schedule");
        };
    }

    /// <summary>Pairs <c>--section.key value</c> (or <c>--section.key=value</c>) tokens the parser did not recognise.</summary>
    public static List<(string Key, string Value)> Overrides(IReadOnlyList<string> tokens)
    {
        var pairs = new List<(string, string)>();
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || !token.Contains('.'))
                throw new ArgumentException($"unexpected argument '{token}' (config overrides look like --section.key value)");
            int eq = token.IndexOf('=');
            if (eq > 0)
            {
                pairs.Add((token[2..eq], token[(eq + 1)..]));
                continue;
            }
            if (i + 1 >= tokens.Count) throw new ArgumentException($"override {token} has no value");
            pairs.Add((token[2..], tokens[++i]));
        }
        return pairs;
    }

    /// <summary>Trains with Ctrl+C/SIGTERM handling and a progress display; returns the outcome.</summary>
    public static TrainResult Train(TrainConfig cfg, TrainOptions options)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            cancel.Cancel();
        });
        try
        {
            options = WithEvaluator(cfg, options);
            using var trainer = new Trainer(cfg, options);
            var encoder = cfg.Meta.ResolveEncoder();
            Console.Error.WriteLine($"training {cfg.Meta.ModelName} ({encoder.EmbedDim}-d x {encoder.Depth}, {trainer.Model.EncoderParameters.TrainableCount / 1e6:F2}M params) "
                + $"+ predictor ({trainer.Model.PredictorParameters.TrainableCount / 1e6:F2}M) for {trainer.Schedule.TrainingSteps} steps"
                + (trainer.Step > 0 ? $", resuming at step {trainer.Step}" : "") + $" -> {options.OutDir}");
            var result = Interactive() ? RunWithProgressBar(trainer, cancel.Token) : RunWithLogLines(trainer, cancel.Token, cfg.Logging.LogEvery);
            Console.Error.WriteLine(result.Message);
            return result;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Attaches the training probe when evaluations are asked for (option or logging.eval_every) and the images have labels.</summary>
    private static TrainOptions WithEvaluator(TrainConfig cfg, TrainOptions options)
    {
        if ((options.EvalEvery ?? cfg.Logging.EvalEvery) is null || options.Evaluator is not null) return options;
        var probe = TrainingProbe.ForConfig(cfg, out string? whyNot);
        if (probe is null) Console.Error.WriteLine($"warning: {whyNot}");
        return options with { Evaluator = probe };
    }

    public static int ExitCode(TrainOutcome outcome) => outcome switch
    {
        TrainOutcome.Completed or TrainOutcome.StoppedEarly => 0,
        TrainOutcome.Interrupted => 130,
        _ => 3,
    };

    private static int Run(TrainConfig cfg, TrainOptions options) => ExitCode(Train(cfg, options).Outcome);

    private static bool Interactive() => !Console.IsErrorRedirected && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    private static TrainResult RunWithLogLines(Trainer trainer, CancellationToken cancel, int every)
        => trainer.Run(cancel, m =>
        {
            if (m.Step % every == 0 || m.Step == m.TotalSteps) Console.WriteLine(Line(m));
        });

    private static TrainResult RunWithProgressBar(Trainer trainer, CancellationToken cancel)
    {
        TrainResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: trainer.Schedule.TrainingSteps);
                task.Value = trainer.Step;
                result = trainer.Run(cancel, m =>
                {
                    task.Value = m.Step;
                    task.Description = Markup.Escape(Line(m));
                });
            });
        return result!;
    }

    private static string Line(StepMetrics m)
        => $"step {m.Step}/{m.TotalSteps} ep {m.Epoch}  loss {m.Loss:F5}"
           + (double.IsNaN(m.RegularizerLoss) ? "" : $" (pred {m.PredictionLoss:F5} + reg {m.RegularizerLoss:F5})")
           + $"  lr {m.Lr:E2}  wd {m.WeightDecay:F3}  ema {m.Momentum:F4}  "
           + $"{m.ImagesPerSecond:F0} img/s  ctx {m.KeepContext} tgt {m.KeepTarget}  eta {TimeSpan.FromSeconds(m.EtaSeconds):hh\\:mm\\:ss}";
}
