using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;
using JepaSharp.Nn;

namespace JepaSharp.Jepa.Models;

/// <summary>
/// Weights of VICReg's terms added to the I-JEPA loss (all 0 = the official objective): the variance hinge and covariance
/// penalty on the context encoder's tokens (or their per-image means when <paramref name="Pooled"/>), and the invariance
/// between the per-image means of the <paramref name="Views"/> views of each image (the batch is view-major).
/// </summary>
public readonly record struct RegularizerWeights(float Variance, float Covariance, bool Pooled = false, float Invariance = 0, int Views = 1)
{
    public bool VarianceCovarianceActive => Variance != 0 || Covariance != 0;
    public bool InvarianceActive => Invariance != 0 && Views > 1;
    public bool Active => VarianceCovarianceActive || InvarianceActive;
}

/// <summary>The scalar I-JEPA objective and its parts (Regularizer is null when the regularizer is off).</summary>
public readonly record struct JepaObjective(Tensor Total, Tensor Prediction, Tensor? Regularizer);

/// <summary>
/// The three networks of I-JEPA with their flat parameter sets: the context encoder and the
/// predictor (trained), and the target encoder (an EMA copy of the context encoder, never
/// back-propagated). State-dict keys follow the official checkpoint's three dictionaries.
/// </summary>
public sealed class IJepaModel : IDisposable
{
    public VisionTransformer Encoder { get; }
    public Predictor Predictor { get; }
    public VisionTransformer TargetEncoder { get; }
    public ParameterSet EncoderParameters { get; }
    public ParameterSet PredictorParameters { get; }
    public ParameterSet TargetParameters { get; }

    public IJepaModel(VitShape encoder, int predictorDim, int predictorDepth, int predictorHeads, int seed)
    {
        var rng = new Random(seed);
        Encoder = new VisionTransformer(encoder);
        EncoderParameters = Encoder.Materialize(rng);
        Predictor = new Predictor(new PredictorShape(encoder.GridHeight, encoder.GridWidth, encoder.Dim, predictorDim, predictorDepth, predictorHeads, encoder.MlpRatio));
        PredictorParameters = Predictor.Materialize(rng);
        TargetEncoder = new VisionTransformer(encoder);
        TargetParameters = new ParameterSet(TargetEncoder.NamedParameters().Select(p => (p.Name, p.Tensor, Trainable: false)));
        TargetParameters.CopyFrom(EncoderParameters);
    }

    /// <summary>The (prefix, set) pairs under which checkpoints store the three networks.</summary>
    public IEnumerable<(string Prefix, ParameterSet Set)> StateDicts()
    {
        yield return ("encoder.", EncoderParameters);
        yield return ("predictor.", PredictorParameters);
        yield return ("target_encoder.", TargetParameters);
    }

    /// <summary>
    /// One I-JEPA objective: targets = LayerNorm (no affine) of the target encoder's tokens at the target indices (no
    /// gradient; with <paramref name="targetBlocks"/> > 1, of its last blocks' normed outputs summed); predictions =
    /// predictor(encoder(context tokens)); the mean regression loss between them; plus, when <paramref name="regularizer"/>
    /// has a weight, VICReg's variance and covariance terms on the context encoder's tokens (or their per-image means) and
    /// its invariance term between the views of each image. Index layouts are those of Ops.GatherTokens: context
    /// [B_ctx, K_ctx] and targets [R, K_tgt], target row r paired with context row r mod B_ctx.
    /// </summary>
    public Tensor Loss(Tensor images, ReadOnlySpan<int> context, int keepContext, ReadOnlySpan<int> targets, int keepTarget,
        RegressionLoss loss, float smoothL1Beta = 1f, float targetNormEps = 1e-5f, RegularizerWeights regularizer = default, int targetBlocks = 1)
        => Objective(images, context, keepContext, targets, keepTarget, loss, smoothL1Beta, targetNormEps, regularizer, targetBlocks).Total;

    /// <summary><see cref="Loss"/> with its parts: the prediction loss and, when active, the regularizer.</summary>
    public JepaObjective Objective(Tensor images, ReadOnlySpan<int> context, int keepContext, ReadOnlySpan<int> targets, int keepTarget,
        RegressionLoss loss, float smoothL1Beta = 1f, float targetNormEps = 1e-5f, RegularizerWeights regularizer = default, int targetBlocks = 1)
    {
        var h = TargetFeatures(images, targets, keepTarget, targetNormEps, targetBlocks);
        var z = Encoder.Forward(images, context, keepContext);
        var prediction = Predictor.Forward(z, context, targets, keepTarget);
        var predictionLoss = Ops.Loss(loss, prediction, h, smoothL1Beta);
        if (!regularizer.Active) return new JepaObjective(predictionLoss, predictionLoss, null);
        var pooled = regularizer.Pooled || regularizer.InvarianceActive ? Ops.MeanTokens(z) : null;
        Tensor? penalty = null;
        if (regularizer.VarianceCovarianceActive)
            penalty = Ops.VarianceCovariance(regularizer.Pooled ? pooled! : z, 1f, regularizer.Variance, regularizer.Covariance);
        if (regularizer.InvarianceActive)
        {
            // Context rows are (mask, view, image)-major, so every context row of one image is one of its "views" here.
            int imagesPerView = images.Shape[0] / regularizer.Views;
            var invariance = Ops.ViewInvariance(pooled!, z.Shape[0] / imagesPerView, regularizer.Invariance);
            penalty = penalty is null ? invariance : Ops.Add(penalty, invariance);
        }
        return new JepaObjective(Ops.Add(predictionLoss, penalty!), predictionLoss, penalty);
    }

    /// <summary>
    /// The regression targets of <see cref="Objective"/>, computed without gradient and compacted, so the target pass's
    /// intermediates are gone from the graph: [R, K_tgt, D].
    /// </summary>
    public Tensor TargetFeatures(Tensor images, ReadOnlySpan<int> targets, int keepTarget, float targetNormEps = 1e-5f, int targetBlocks = 1)
    {
        var graph = images.Graph ?? throw new InvalidOperationException("I-JEPA loss: images must be a graph input");
        Tensor h;
        using (graph.NoGrad())
        {
            var mark = graph.Checkpoint();
            h = graph.Compact(Targets(images, targets, keepTarget, targetNormEps, targetBlocks), mark);
        }
        graph.ProfileSection("target_pass");
        return h;
    }

    /// <summary>
    /// A second context encoder and predictor over this model's weights, with gradient buffers of their own (the
    /// blocks' recompute setting copied), for a thread that back-propagates its share of a batch alongside this model.
    /// </summary>
    public GradientReplica CreateGradientReplica() => new(this);

    /// <summary>
    /// The regression targets: LayerNorm (no affine) of the target encoder's output at the target tokens, or with
    /// <paramref name="targetBlocks"/> = k > 1 the LayerNorm of the sum of the last k blocks' layer-normed outputs there
    /// (data2vec's top-k average; the scale of the sum is removed by the outer norm).
    /// </summary>
    private Tensor Targets(Tensor images, ReadOnlySpan<int> targets, int keepTarget, float eps, int targetBlocks)
    {
        if (targetBlocks == 1) return Ops.LayerNorm(TargetEncoder.ForwardAt(images, targets, keepTarget), null, null, eps);
        var outputs = TargetEncoder.ForwardAt(images, targets, keepTarget, targetBlocks);
        var sum = Ops.LayerNorm(outputs[0], null, null, eps);
        for (int k = 1; k < outputs.Length; k++) sum = Ops.Add(sum, Ops.LayerNorm(outputs[k], null, null, eps));
        return Ops.LayerNorm(sum, null, null, eps);
    }

    public void Dispose()
    {
        EncoderParameters.Dispose();
        PredictorParameters.Dispose();
        TargetParameters.Dispose();
    }
}

/// <summary>See <see cref="IJepaModel.CreateGradientReplica"/>: the replica's parameters read the model's values.</summary>
public sealed class GradientReplica : IDisposable
{
    public VisionTransformer Encoder { get; }
    public Predictor Predictor { get; }
    public ParameterSet EncoderGradients { get; }
    public ParameterSet PredictorGradients { get; }

    internal GradientReplica(IJepaModel model)
    {
        Encoder = new VisionTransformer(model.Encoder.Shape);
        Predictor = new Predictor(model.Predictor.Shape);
        EncoderGradients = ParameterSet.SharingValues(Encoder.NamedParameters(), model.EncoderParameters);
        PredictorGradients = ParameterSet.SharingValues(Predictor.NamedParameters(), model.PredictorParameters);
        CopyRecompute(model.Encoder.Blocks, Encoder.Blocks);
        CopyRecompute(model.Predictor.Blocks, Predictor.Blocks);
    }

    private static void CopyRecompute(IReadOnlyList<Block> from, IReadOnlyList<Block> to)
    {
        for (int i = 0; i < from.Count; i++) to[i].RecomputeQkv = from[i].RecomputeQkv;
    }

    public void Dispose()
    {
        EncoderGradients.Dispose();
        PredictorGradients.Dispose();
    }
}
