using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Optim;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;
using JepaSharp.Engine.Threading;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Models;
using JepaSharp.Jepa.Schedules;

namespace JepaSharp.Jepa.Training;

/// <summary>What one optimizer step did.</summary>
/// <param name="PredictionLoss">The regression part of <paramref name="Loss"/>.</param>
/// <param name="RegularizerLoss">The variance-covariance part, NaN when the regularizer is off.</param>
public readonly record struct StepOutcome(double Loss, double Lr, double WeightDecay, double Momentum, double GradNorm,
    double PredictionLoss, double RegularizerLoss)
{
    public bool Diverged => !double.IsFinite(Loss);
}

/// <summary>
/// One I-JEPA iteration (recipe §3.2) on a batch of images and its masks: schedules, target
/// features without gradient, context encoder + predictor forward and backward (each thread on
/// its own slice of the batch when <c>meta.data_parallel</c> allows, see <see cref="DataParallelObjective"/>),
/// optional clipping, AdamW on both networks, EMA of the target encoder. The trainer and the
/// benchmark both run exactly this.
/// </summary>
public sealed class TrainingStep : IDisposable
{
    private readonly TrainConfig _config;
    private readonly IJepaModel _model;
    private readonly TrainingSchedule _schedule;
    private readonly JepaSharp.Engine.Ops.RegressionLoss _loss;
    private readonly Shape _imageShape;

    private readonly Graph _graph = new() { RecycleGradients = true };
    private readonly DataParallelObjective? _dataParallel;

    /// <summary>The graph whose ops a profile times: the whole batch's, or the first thread's slice when the step is data-parallel.</summary>
    public Graph Graph => _dataParallel?.FirstGraph ?? _graph;

    /// <summary>Whether each thread runs the objective on its own slice of the batch (<see cref="DataParallelObjective"/>).</summary>
    public bool DataParallel => _dataParallel is not null;

    /// <summary>The largest activation memory a step has held (over every graph the step uses).</summary>
    public long ActivationPeakBytes => _dataParallel?.ActivationPeakBytes ?? _graph.Arena.PeakBytes;

    public AdamW EncoderOptimizer { get; }
    public AdamW PredictorOptimizer { get; }

    public TrainingStep(TrainConfig config, IJepaModel model, TrainingSchedule schedule)
    {
        _config = config;
        _model = model;
        _schedule = schedule;
        _loss = ModelFactory.Loss(config);
        var d = config.Data;
        _imageShape = new Shape(d.ImagesPerStep, d.Channels, d.CropSize, d.CropSize);
        EncoderOptimizer = new AdamW(model.EncoderParameters);
        PredictorOptimizer = new AdamW(model.PredictorParameters);
        if (config.Meta.DataParallel && DataParallelObjective.Supports(WorkerPool.Shared, d.ImagesPerStep, config.Mask.NumEncMasks, Regularizer, model))
            _dataParallel = new DataParallelObjective(model);
    }

    private RegularizerWeights Regularizer
    {
        get
        {
            var o = _config.Optimization;
            return new RegularizerWeights((float)o.VarianceWeight, (float)o.CovarianceWeight, o.RegularizerSamples == RegularizerSamples.Pooled,
                (float)o.InvarianceWeight, _config.Data.Views);
        }
    }

    /// <summary>
    /// Runs the step; when the loss is not finite nothing is updated and the outcome says so. With
    /// <paramref name="layerNorms"/>, the per-layer gradient norms are measured before clipping.
    /// </summary>
    public StepOutcome Run(ReadOnlySpan<float> images, MaskBatch masks, LayerGradNorms? layerNorms = null)
    {
        double lr = _schedule.LearningRate.Step();
        double wd = _schedule.WeightDecay.Step();
        _model.EncoderParameters.ZeroGrad();
        _model.PredictorParameters.ZeroGrad();
        var o = _config.Optimization;
        var (value, prediction, penalty) = _dataParallel is { } split
            ? RunDataParallel(split, images, masks)
            : RunWholeBatch(images, masks);
        if (!double.IsFinite(value)) return new StepOutcome(value, lr, wd, double.NaN, double.NaN, prediction, penalty);
        layerNorms?.Measure();
        double gradNorm = ClipGradients(o.ClipGrad);
        EncoderOptimizer.Step(lr, wd);
        PredictorOptimizer.Step(lr, wd);
        double momentum = _schedule.Momentum.Next();
        Ema.Update(_model.TargetParameters, _model.EncoderParameters, momentum);
        return new StepOutcome(value, lr, wd, momentum, gradNorm, prediction, penalty);
    }

    /// <summary>The objective over the whole batch in one graph, its gradients back-propagated unless it is not finite.</summary>
    private ObjectiveValues RunWholeBatch(ReadOnlySpan<float> images, MaskBatch masks)
    {
        var o = _config.Optimization;
        _graph.Reset();
        var input = _graph.Input(images, _imageShape);
        var objective = _model.Objective(input, masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred, _loss, (float)o.SmoothL1Beta,
            (float)o.TargetNormEps, Regularizer, o.TargetBlocks);
        double value = objective.Total.Span[0];
        var values = new ObjectiveValues(value, objective.Prediction.Span[0], objective.Regularizer is { } r ? r.Span[0] : double.NaN);
        if (double.IsFinite(value)) _graph.Backward(objective.Total);
        return values;
    }

    private ObjectiveValues RunDataParallel(DataParallelObjective split, ReadOnlySpan<float> images, MaskBatch masks)
    {
        var o = _config.Optimization;
        return split.Run(images, _imageShape, masks, _loss, (float)o.SmoothL1Beta, (float)o.TargetNormEps, Regularizer, o.TargetBlocks);
    }

    /// <summary>The global gradient norm over encoder and predictor, clipped to maxNorm when given.</summary>
    private double ClipGradients(double? maxNorm)
    {
        double e = GradClip.GlobalNorm(_model.EncoderParameters), p = GradClip.GlobalNorm(_model.PredictorParameters);
        double norm = Math.Sqrt(e * e + p * p);
        if (maxNorm is { } max && norm > max && double.IsFinite(norm))
        {
            float scale = (float)(max / (norm + 1e-6));
            ScaleGradients(_model.EncoderParameters, scale);
            ScaleGradients(_model.PredictorParameters, scale);
        }
        return norm;
    }

    private static unsafe void ScaleGradients(ParameterSet set, float scale) => OptimKernels.Scale(set.Grads.Pointer, set.Grads.Length, scale);

    public void Dispose()
    {
        _graph.Dispose();
        _dataParallel?.Dispose();
        EncoderOptimizer.Dispose();
        PredictorOptimizer.Dispose();
    }
}
