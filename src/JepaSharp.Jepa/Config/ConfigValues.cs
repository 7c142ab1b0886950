namespace JepaSharp.Jepa.Config;

/// <summary>A closed interval written <c>[min, max]</c> in YAML (crop, mask and aspect-ratio ranges).</summary>
public readonly record struct ValueRange(double Min, double Max);

/// <summary>The EMA momentum ramp <c>optimization.ema: [start, end]</c>, interpolated linearly over the schedule.</summary>
public readonly record struct EmaRange(double Start, double End);

/// <summary><c>data.dataset</c>: which reader supplies the images.</summary>
public enum DatasetKind
{
    FashionMnist,
    Mnist,
    Cifar10,
    Cifar100,

    /// <summary>An ImageNet-style class-per-folder tree at <c>root_path/image_folder</c> (the official data path).</summary>
    Folder,
}

/// <summary><c>meta.init</c>: weight initialisation (recipe §2.4, Q5).</summary>
public enum InitScheme
{
    /// <summary>What the official run really does: plain N(0, 0.02²) on every Linear, the depth rescale undone.</summary>
    Faithful,

    /// <summary>What the constructors intended: attn.proj and mlp.fc2 divided by sqrt(2·layer), truncated at ±2σ.</summary>
    Rescaled,
}

/// <summary><c>optimization.loss</c>: the regression loss between predictions and layer-normed targets (recipe Q7).</summary>
/// <summary>Which samples the variance-covariance regularizer spreads apart.</summary>
public enum RegularizerSamples
{
    /// <summary>Every context token of the batch (B·K samples; positions count as distinct samples).</summary>
    Tokens,

    /// <summary>Each image's average-pooled context tokens (B samples: the vectors a linear probe sees).</summary>
    Pooled,
}

public enum LossKind
{
    /// <summary>Huber with <c>optimization.smooth_l1_beta</c> (the official code: β = 1).</summary>
    SmoothL1,

    /// <summary>Mean squared error (what the paper writes).</summary>
    L2,

    /// <summary>Mean absolute error (V-JEPA's loss_exp = 1).</summary>
    L1,
}
