using System.Diagnostics;
using JepaSharp.Data.Datasets;
using JepaSharp.Data.Loading;
using JepaSharp.Data.Transforms;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Logging;
using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Models;
using JepaSharp.Jepa.Schedules;

namespace JepaSharp.Jepa.Training;

/// <summary>How a run ends besides its config: where it writes, and the early stops.</summary>
public sealed record TrainOptions
{
    public required string OutDir { get; init; }
    /// <summary>Continue from the run directory's latest checkpoint.</summary>
    public bool Resume { get; init; }
    /// <summary>Stop after this many completed steps (the schedules keep their full length).</summary>
    public long? MaxSteps { get; init; }
    /// <summary>Stop after this much wall time (checked after each step).</summary>
    public double? MaxMinutes { get; init; }
    /// <summary>Steps between checkpoints; null = the config's logging.checkpoint_every, else once per epoch.</summary>
    public int? CheckpointEvery { get; init; }
    /// <summary>Steps between evaluations by <see cref="Evaluator"/>; null = the config's logging.eval_every (none when unset).</summary>
    public int? EvalEvery { get; init; }
    /// <summary>Scores the representation during training; the best-scoring checkpoint is kept in checkpoints/best.</summary>
    public ITrainingEvaluator? Evaluator { get; init; }
    /// <summary>Fills a new run's freshly built model from other weights (train --init); the optimizer and schedules start fresh.</summary>
    public Action<IJepaModel>? InitializeWeights { get; init; }

    /// <summary>Rejects a limit or cadence that is not positive (a zero cadence would divide by zero mid-run).</summary>
    public void Validate()
    {
        Positive("--max-steps", MaxSteps);
        Positive("--max-minutes", MaxMinutes);
        Positive("--checkpoint-every", CheckpointEvery);
        Positive("--eval-every", EvalEvery);
    }

    private static void Positive(string option, double? value)
    {
        if (value is { } v && !(v > 0)) throw new ArgumentException($"{option} must be positive, got {v}");
    }
}

public enum TrainOutcome
{
    /// <summary>All scheduled steps ran.</summary>
    Completed,
    /// <summary>--max-steps or --max-minutes ended the run early; it can be resumed.</summary>
    StoppedEarly,
    /// <summary>Cancelled (Ctrl+C); a checkpoint was saved and the run can be resumed.</summary>
    Interrupted,
    /// <summary>The loss or the weights became NaN/infinite; the last good checkpoint is kept.</summary>
    Diverged,
}

/// <summary>The figures of one completed step.</summary>
/// <param name="RegularizerLoss">The variance-covariance part of Loss (NaN when off); the rest is the prediction loss.</param>
public sealed record StepMetrics(long Step, long TotalSteps, int Epoch, double Loss, double Lr, double WeightDecay, double Momentum,
    int BatchSize, double ImagesPerSecond, int KeepContext, int KeepTarget, double GradNorm, double ElapsedSeconds,
    double PredictionLoss = double.NaN, double RegularizerLoss = double.NaN)
{
    /// <summary>Time for the remaining steps at the current rate (a resumed run's earlier sessions do not distort it).</summary>
    public double EtaSeconds => ImagesPerSecond > 0 && Step < TotalSteps ? (TotalSteps - Step) * BatchSize / ImagesPerSecond : 0;
}

/// <param name="BestCheckpoint">checkpoints/best when evaluations ran, else null.</param>
public sealed record TrainResult(TrainOutcome Outcome, long Steps, double LastLoss, string? Checkpoint, string Message, string? BestCheckpoint = null);

/// <summary>
/// I-JEPA pretraining (recipe §3.2) on one machine: per step the schedules advance, the target
/// encoder embeds the full images without gradient, the context encoder and predictor are trained
/// on the masked views with AdamW, and the target encoder follows by EMA. Everything random is a
/// function of (seed, step) or (seed, epoch, image), so a resumed run repeats an uninterrupted one.
/// </summary>
public sealed class Trainer : IDisposable
{
    /// <summary>Per-layer gradient norms are logged on every step that is a multiple of this.</summary>
    public const int LayerGradNormEvery = 10;
    public const string EvaluationsFile = "evals.jsonl";

    private readonly TrainConfig _config;
    private readonly TrainOptions _options;
    private readonly IJepaModel _model;
    private readonly TrainingStep _trainingStep;
    private readonly MultiBlockMaskCollator _masks;
    private readonly IImageDataset _dataset;
    private readonly TrainingSchedule _schedule;
    private readonly string _configYaml;
    private long _step;
    private int _loaderEpoch, _loaderBatch;
    private double _lastLoss = double.NaN;

    public IJepaModel Model => _model;
    public TrainingSchedule Schedule => _schedule;
    public long Step => _step;
    public string RunDirectory => _options.OutDir;

    public Trainer(TrainConfig config, TrainOptions options)
    {
        options.Validate();
        config.Validate();
        _config = config;
        _options = options;
        _configYaml = config.ToYaml();
        _dataset = OpenTrainingSet(config);
        int batch = config.Data.BatchSize;
        if (_dataset.Count < batch)
            throw new ArgumentException($"{_dataset.Name} has {_dataset.Count} images, fewer than one batch of {batch}");
        if (_dataset.Channels != config.Data.Channels)
            throw new ArgumentException($"data.channels is {config.Data.Channels} but {_dataset.Name} has {_dataset.Channels}-channel images");
        _schedule = new TrainingSchedule(config, _dataset.Count / batch);
        _model = ModelFactory.CreateModel(config);
        _trainingStep = new TrainingStep(config, _model, _schedule);
        _masks = ModelFactory.CreateMasks(config);
        PrepareRunDirectory();
    }

    /// <summary>The images a config trains on (its dataset's train split, or its image folder, cut to data.train_subset).</summary>
    public static IImageDataset OpenTrainingSet(TrainConfig config)
    {
        var d = config.Data;
        IImageDataset dataset = d.Dataset == DatasetKind.Folder
            ? new ImageFolderDataset(Path.Combine(d.RootPath ?? ".", d.ImageFolder ?? ""), d.CropSize, d.CropSize, d.Channels)
            : DatasetLocator.Open(DatasetName(d.Dataset), DatasetSplit.Train, d.RootPath);
        return d.TrainSubset is { } n ? new SubsetDataset(dataset, Math.Min(n, dataset.Count)) : dataset;
    }

    public static string DatasetName(DatasetKind kind) => kind switch
    {
        DatasetKind.FashionMnist => "fashion-mnist",
        DatasetKind.Mnist => "mnist",
        DatasetKind.Cifar10 => "cifar10",
        DatasetKind.Cifar100 => "cifar100",
        _ => throw new ArgumentException($"dataset kind {kind} has no registered name"),
    };

    private void PrepareRunDirectory()
    {
        Directory.CreateDirectory(_options.OutDir);
        string? latest = Checkpoints.Latest(_options.OutDir);
        if (!_options.Resume)
        {
            if (latest != null)
                throw new InvalidOperationException($"'{_options.OutDir}' already holds a run (checkpoint {latest}); pass --resume to continue it or choose another --out");
            _options.InitializeWeights?.Invoke(_model);
            _config.Save(Path.Combine(_options.OutDir, "config.yaml"));
            return;
        }
        if (latest == null) throw new InvalidOperationException($"--resume: '{_options.OutDir}' has no checkpoint to resume from");
        var saved = Checkpoints.ReadState(latest);
        if (saved.Config != _configYaml)
            throw new InvalidDataException($"--resume: the config differs from the one '{latest}' was trained with ({Path.Combine(_options.OutDir, "config.yaml")}); resume with the same config and overrides");
        var state = Checkpoints.Load(latest, _model, _trainingStep.EncoderOptimizer, _trainingStep.PredictorOptimizer);
        _step = state.Step;
        _loaderEpoch = state.LoaderEpoch;
        _loaderBatch = state.LoaderBatch;
        _lastLoss = state.LastLoss;
        _schedule.Restore(_step);
        MetricsLog.TruncateAfterStep(Path.Combine(_options.OutDir, MetricsLog.FileName), _step);
        string evaluations = Path.Combine(_options.OutDir, EvaluationsFile);
        if (File.Exists(evaluations)) MetricsLog.TruncateAfterStep(evaluations, _step);
    }

    /// <summary>Trains until the schedule ends, an early stop, cancellation or divergence.</summary>
    public TrainResult Run(CancellationToken cancel, Action<StepMetrics>? onStep = null)
    {
        var d = _config.Data;
        var normalization = new Normalization(d.NormalizeMean.Select(v => (float)v).ToArray(), d.NormalizeStd.Select(v => (float)v).ToArray());
        var crop = new RandomResizedCrop(d.CropScale.Min, d.CropScale.Max);
        var pipeline = ImagePipeline.Train(d.CropSize, normalization, crop, d.UseHorizontalFlip ? 0.5 : 0,
            d.UseColorDistortion ? new ColorDistortion(d.ColorJitterStrength) : null, d.UseGaussianBlur ? new GaussianBlur() : null);
        using var loader = new BatchLoader(_dataset, pipeline, new BatchLoaderOptions
        {
            BatchSize = d.BatchSize,
            Views = d.Views,
            Seed = _config.Meta.Seed,
            Workers = d.LoaderWorkers,
            Start = new LoaderPosition(_loaderEpoch, _loaderBatch),
        });
        int checkpointEvery = _options.CheckpointEvery ?? _config.Logging.CheckpointEvery ?? _schedule.IterationsPerEpoch;
        int? evalEvery = _options.Evaluator is null ? null : _options.EvalEvery ?? _config.Logging.EvalEvery;
        var layerNorms = new LayerGradNorms(_model);
        var layerTags = layerNorms.Names.Select(n => "grad_norm/" + n).ToArray();
        var fields = new (string, MetricValue)[StepFieldCount + layerTags.Length];
        using var metrics = new MetricsLog(_options.OutDir);
        using var evaluations = evalEvery is null ? null : new MetricsLog(_options.OutDir, EvaluationsFile);
        using var tensorBoard = new TensorBoardWriter(_options.OutDir);
        var clock = Stopwatch.StartNew();
        var rate = new RateMeter(20);
        long startStep = _step;
        string? checkpoint = null;

        while (_step < _schedule.TrainingSteps)
        {
            if (cancel.IsCancellationRequested)
                return Stop(TrainOutcome.Interrupted, $"interrupted at step {_step}");
            var batch = loader.Next();
            var masks = _masks.Sample(batch.Count, _step);
            bool measureLayers = (_step + 1) % LayerGradNormEvery == 0;
            var outcome = _trainingStep.Run(batch.Images, masks, measureLayers ? layerNorms : null);
            if (outcome.Diverged)
                return Diverged($"the loss became {outcome.Loss} at step {_step + 1}");
            double value = outcome.Loss;

            _step++;
            (_loaderEpoch, _loaderBatch) = (batch.NextPosition.Epoch, batch.NextPosition.Batch);
            _lastLoss = value;
            rate.Add(clock.Elapsed.TotalSeconds, batch.Count);
            var m = new StepMetrics(_step, _schedule.TrainingSteps, batch.Epoch + 1, value, outcome.Lr, outcome.WeightDecay,
                outcome.Momentum, batch.Count, rate.PerSecond, masks.KeepEnc, masks.KeepPred, outcome.GradNorm, clock.Elapsed.TotalSeconds,
                outcome.PredictionLoss, outcome.RegularizerLoss);
            Log(metrics, tensorBoard, m, measureLayers ? layerNorms : null, layerTags, fields);
            onStep?.Invoke(m);

            bool evaluate = evalEvery is { } e && (_step % e == 0 || _step == _schedule.TrainingSteps);
            if (_step % checkpointEvery == 0 || _step == _schedule.TrainingSteps || evaluate)
            {
                if (!WeightsFinite()) return Diverged($"the weights became non-finite at step {_step}");
                checkpoint = SaveCheckpoint();
            }
            if (evaluate) Evaluate(evaluations!, tensorBoard, checkpoint!, m.Epoch);
            if (_options.MaxSteps is { } maxSteps && _step - startStep >= maxSteps && _step < _schedule.TrainingSteps)
                return Stop(TrainOutcome.StoppedEarly, $"stopped after {_step - startStep} steps (--max-steps)");
            if (_options.MaxMinutes is { } maxMinutes && clock.Elapsed.TotalMinutes >= maxMinutes && _step < _schedule.TrainingSteps)
                return Stop(TrainOutcome.StoppedEarly, $"stopped after {clock.Elapsed.TotalMinutes:F1} minutes (--max-minutes)");
        }
        string? best = Checkpoints.Best(_options.OutDir);
        return new TrainResult(TrainOutcome.Completed, _step, _lastLoss, checkpoint ?? Checkpoints.Latest(_options.OutDir),
            $"finished {_step} steps, final loss {_lastLoss:F5}" + (best is null ? "" : $"; best checkpoint {best} ({Checkpoints.ReadBestEvaluation(best)})"), best);
    }

    /// <summary>Fields of a metrics line besides the per-layer gradient norms.</summary>
    private const int StepFieldCount = 12;

    /// <summary>
    /// One metrics line per step, built in <paramref name="fields"/> (reused every step); on steps with measured
    /// layer norms they join the line as <c>grad_norm/&lt;group&gt;</c> fields.
    /// </summary>
    private static void Log(MetricsLog metrics, TensorBoardWriter tensorBoard, StepMetrics m, LayerGradNorms? layers, string[] layerTags,
        (string, MetricValue)[] fields)
    {
        int count = 0;
        fields[count++] = ("epoch", m.Epoch);
        fields[count++] = ("loss", m.Loss);
        fields[count++] = ("lr", m.Lr);
        fields[count++] = ("wd", m.WeightDecay);
        fields[count++] = ("momentum", m.Momentum);
        fields[count++] = ("img_per_s", Math.Round(m.ImagesPerSecond, 1));
        fields[count++] = ("grad_norm", m.GradNorm);
        fields[count++] = ("keep_context", m.KeepContext);
        fields[count++] = ("keep_target", m.KeepTarget);
        fields[count++] = ("elapsed_s", Math.Round(m.ElapsedSeconds, 3));
        if (!double.IsNaN(m.RegularizerLoss))
        {
            fields[count++] = ("loss_prediction", m.PredictionLoss);
            fields[count++] = ("loss_regularizer", m.RegularizerLoss);
        }
        for (int i = 0; layers is not null && i < layerTags.Length; i++) fields[count++] = (layerTags[i], layers.Values[i]);
        metrics.Append(m.Step, fields.AsSpan(0, count));
        tensorBoard.AddScalars(m.Step, ("train/loss", (float)m.Loss), ("train/lr", (float)m.Lr), ("train/wd", (float)m.WeightDecay),
            ("train/momentum", (float)m.Momentum), ("train/img_per_s", (float)m.ImagesPerSecond), ("train/grad_norm", (float)m.GradNorm));
        if (!double.IsNaN(m.RegularizerLoss))
            tensorBoard.AddScalars(m.Step, ("train/loss_prediction", (float)m.PredictionLoss), ("train/loss_regularizer", (float)m.RegularizerLoss));
        if (layers is null) return;
        for (int i = 0; i < layerTags.Length; i++) tensorBoard.AddScalar(layerTags[i], (float)layers.Values[i], m.Step);
    }

    /// <summary>Scores the checkpoint just written, logs the figures, and keeps it as checkpoints/best when it beats the best so far.</summary>
    private void Evaluate(MetricsLog evaluations, TensorBoardWriter tensorBoard, string checkpoint, int epoch)
    {
        var result = _options.Evaluator!.Evaluate(_model, _step);
        var fields = new List<(string, MetricValue)> { ("epoch", epoch) };
        foreach (var (name, text) in result.Labels ?? []) fields.Add((name, text));
        foreach (var (name, value) in result.Figures) fields.Add((name, value));
        evaluations.Append(_step, [.. fields]);
        foreach (var (name, value) in result.Figures) tensorBoard.AddScalar("eval/" + name, (float)value, _step);
        string? best = Checkpoints.Best(_options.OutDir);
        if (best is null || result.Score > Checkpoints.ReadBestEvaluation(best).Score)
            Checkpoints.PromoteBest(_options.OutDir, checkpoint, new BestEvaluation(_step, result.ScoreName, result.Score));
    }

    private TrainResult Stop(TrainOutcome outcome, string why)
    {
        string? checkpoint = Checkpoints.Latest(_options.OutDir);
        if (checkpoint == null || Checkpoints.ReadState(checkpoint).Step != _step)
        {
            if (!WeightsFinite()) return Diverged($"the weights became non-finite at step {_step}");
            checkpoint = SaveCheckpoint();
        }
        return new TrainResult(outcome, _step, _lastLoss, checkpoint, $"{why}; checkpoint {checkpoint}; continue with --resume");
    }

    private TrainResult Diverged(string why)
    {
        string? last = Checkpoints.Latest(_options.OutDir);
        return new TrainResult(TrainOutcome.Diverged, _step, _lastLoss, last,
            $"{why}; training stopped. {(last is null ? "No checkpoint was written before it." : $"The last good checkpoint is {last}.")} Try a lower optimization.lr or optimization.clip_grad.");
    }

    private string SaveCheckpoint() => Checkpoints.Save(_options.OutDir, _model, _trainingStep.EncoderOptimizer, _trainingStep.PredictorOptimizer, new TrainingState
    {
        Step = _step,
        LoaderEpoch = _loaderEpoch,
        LoaderBatch = _loaderBatch,
        LastLoss = _lastLoss,
        Seed = _config.Meta.Seed,
        Config = _configYaml,
    });

    /// <summary>False when any weight is NaN or infinite (the sum of magnitudes is finite exactly when every term is, at weight scales).</summary>
    private bool WeightsFinite()
        => _model.StateDicts().All(s => float.IsFinite(System.Numerics.Tensors.TensorPrimitives.SumOfMagnitudes(s.Set.Values.AsSpan())));

    public void Dispose()
    {
        _trainingStep.Dispose();
        _model.Dispose();
    }

    /// <summary>Images per second over the last few steps.</summary>
    private sealed class RateMeter(int window)
    {
        private readonly Queue<(double Time, int Images)> _samples = new();
        private int _images;

        public double PerSecond { get; private set; }

        public void Add(double time, int images)
        {
            _samples.Enqueue((time, images));
            _images += images;
            while (_samples.Count > window) _images -= _samples.Dequeue().Images;
            var first = _samples.Peek();
            double span = time - first.Time;
            PerSecond = span > 0 ? (_images - first.Images) / span : 0;
        }
    }
}
