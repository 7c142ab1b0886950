namespace JepaSharp.Jepa.Config;

/// <summary>
/// The <c>optimization</c> section: AdamW and its schedules (recipe §3.3–§3.4; built by
/// <see cref="Schedules.TrainingSchedule"/>). Defaults are the official ViT-H/14 values.
/// </summary>
public sealed class OptimizationConfig : ConfigSection
{
    /// <summary>Target-encoder momentum, linear from start to end over the schedule.</summary>
    public EmaRange Ema { get; set; } = new(0.996, 1.0);

    public int Epochs { get; set; } = 300;
    public double FinalLr { get; set; } = 1e-6;
    public double FinalWeightDecay { get; set; } = 0.4;

    /// <summary>Stretches every schedule to ipe_scale × the real run, so training stops before the schedules end.</summary>
    public double IpeScale { get; set; } = 1.0;

    /// <summary>Peak learning rate, reached at the end of warmup.</summary>
    public double Lr { get; set; } = 1e-3;

    public double StartLr { get; set; } = 2e-4;

    /// <summary>Warmup length in epochs (fractions allowed: the step count is int(warmup · ipe)).</summary>
    public double Warmup { get; set; } = 40;

    public double WeightDecay { get; set; } = 0.04;

    // JepaSharp keys (not in the official schema).

    public LossKind Loss { get; set; } = LossKind.SmoothL1;

    /// <summary>Huber transition point of <see cref="LossKind.SmoothL1"/> (official: 1.0).</summary>
    public double SmoothL1Beta { get; set; } = 1.0;

    /// <summary>Global gradient-norm clip; null = off (I-JEPA never clips; V-JEPA uses 10).</summary>
    public double? ClipGrad { get; set; }

    /// <summary>eps of the affine-free LayerNorm on target features (official: F.layer_norm's default 1e-5, Q6).</summary>
    public double TargetNormEps { get; set; } = 1e-5;

    /// <summary>
    /// Regression targets from the last k blocks of the target encoder: 1 = its output (official); k > 1 = the layer
    /// norm of the sum of the last k blocks' layer-normed outputs (data2vec's top-k targets).
    /// </summary>
    public int TargetBlocks { get; set; } = 1;

    /// <summary>
    /// Weight of VICReg's variance hinge relu(1 − std) on the context encoder's outputs (C-JEPA,
    /// small-scale-remedies §2); 0 = off, as in the official recipe.
    /// </summary>
    public double VarianceWeight { get; set; }

    /// <summary>Weight of VICReg's off-diagonal covariance penalty Σ C²/D on the same samples; 0 = off.</summary>
    public double CovarianceWeight { get; set; }

    /// <summary>Whether the regularizer sees context tokens or per-image pooled vectors.</summary>
    public RegularizerSamples RegularizerSamples { get; set; } = RegularizerSamples.Tokens;

    /// <summary>
    /// Weight of VICReg's invariance term: the mean squared difference between the per-image means of the context
    /// encoder's tokens of two views of one image (needs data.views ≥ 2); 0 = off.
    /// </summary>
    public double InvarianceWeight { get; set; }
}
