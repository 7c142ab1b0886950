namespace JepaSharp.Jepa.Config;

/// <summary>The <c>data</c> section. Defaults are the official ViT-H/14 values (recipe §3.1) where one exists.</summary>
public sealed class DataConfig : ConfigSection
{
    /// <summary>Dataset images per step (each contributes <see cref="Views"/> augmented crops).</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>Side of the square RandomResizedCrop fed to the encoder, in pixels.</summary>
    public int CropSize { get; set; } = 224;

    /// <summary>RandomResizedCrop area range as fractions of the image.</summary>
    public ValueRange CropScale { get; set; } = new(0.3, 1.0);

    public bool UseHorizontalFlip { get; set; }

    /// <summary>The official colour jitter (probability 0.8) and random grayscale (0.2), see <see cref="JepaSharp.Data.Transforms.ColorDistortion"/>.</summary>
    public bool UseColorDistortion { get; set; }

    /// <summary>The official random Gaussian blur (probability 0.5, σ 0.1–2 pixels), see <see cref="JepaSharp.Data.Transforms.GaussianBlur"/>.</summary>
    public bool UseGaussianBlur { get; set; }

    /// <summary>s of the colour jitter: brightness, contrast and saturation factors in [1 − 0.8s, 1 + 0.8s], hue shift within ±0.2s.</summary>
    public double ColorJitterStrength { get; set; }

    /// <summary>Dataset directory; null lets the reader use its standard location (built-in datasets only).</summary>
    public string? RootPath { get; set; }

    /// <summary>Sub-folder of <see cref="RootPath"/> holding the class folders (<see cref="DatasetKind.Folder"/> only).</summary>
    public string? ImageFolder { get; set; }

    /// <summary>Official loader workers: background threads decoding and augmenting batches (see <see cref="LoaderWorkers"/>).</summary>
    public int NumWorkers { get; set; } = 10;

    /// <summary>
    /// The loader's background threads: <see cref="NumWorkers"/>, but at least one (JepaSharp always builds batches off the
    /// training thread; the official 0 means "in the main process") and at most the processor count (more would only
    /// take cores from the model). Batch contents do not depend on it.
    /// </summary>
    public int LoaderWorkers => Math.Clamp(NumWorkers, 1, Environment.ProcessorCount);

    /// <summary>Official GPU setting; kept so official configs load, meaningless on a CPU.</summary>
    public bool PinMem { get; set; } = true;

    // JepaSharp keys (not in the official schema).

    public DatasetKind Dataset { get; set; } = DatasetKind.Folder;

    /// <summary>Image channels the encoder's patch embedding expects (1 for the MNIST family, 3 for colour).</summary>
    public int Channels { get; set; } = 3;

    /// <summary>Per-channel mean subtracted after scaling pixels to [0, 1]; the default is ImageNet's, as in the official transforms.</summary>
    public double[] NormalizeMean { get; set; } = [0.485, 0.456, 0.406];

    /// <summary>Per-channel standard deviation divided after subtracting <see cref="NormalizeMean"/>.</summary>
    public double[] NormalizeStd { get; set; } = [0.229, 0.224, 0.225];

    /// <summary>Use only the first N training images (quick tests); null = all.</summary>
    public int? TrainSubset { get; set; }

    /// <summary>
    /// Augmented crops of each image per step (1 = the official single view). With 2 or more the context encoder's
    /// pooled outputs of one image's views are pulled together by <see cref="OptimizationConfig.InvarianceWeight"/>.
    /// </summary>
    public int Views { get; set; } = 1;

    /// <summary>Images the networks see per step: <see cref="BatchSize"/> × <see cref="Views"/>.</summary>
    public int ImagesPerStep => BatchSize * Views;
}
