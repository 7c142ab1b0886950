namespace JepaSharp.Data.Transforms;

/// <summary>
/// What happens to one image between its bytes and the model: an optional crop (random-resized or
/// center), a bilinear resize to the output size, an optional horizontal flip, then ToFloat, the
/// official colour distortion and blur when asked for, and Normalize into planar floats (CHW), in the
/// official order. Immutable and shareable between threads;
/// <see cref="Bind"/> prepares it for one input shape.
/// </summary>
public sealed class ImagePipeline
{
    private const int MaxOutputSide = 4096;

    /// <summary>Output side length; null keeps the input size (no crop or resize).</summary>
    public int? OutputSize { get; }

    /// <summary>The random crop of training; null for a deterministic center crop.</summary>
    public RandomResizedCrop? RandomCrop { get; }

    /// <summary>Without a random crop: the side of the centred square crop as a fraction of the shorter image side.</summary>
    public double CenterCropFraction { get; }

    public double FlipProbability { get; }

    /// <summary>The official colour jitter and random grayscale (training only); null for none.</summary>
    public ColorDistortion? ColorDistortion { get; }

    /// <summary>The official random Gaussian blur (training only); null for none.</summary>
    public GaussianBlur? Blur { get; }

    public Normalization Normalization { get; }

    private ImagePipeline(int? outputSize, RandomResizedCrop? randomCrop, double centerCropFraction, double flipProbability, Normalization normalization,
        ColorDistortion? colorDistortion = null, GaussianBlur? blur = null)
    {
        if (outputSize is { } size && (size <= 0 || size > MaxOutputSide))
            throw new ArgumentException($"output size must be between 1 and {MaxOutputSide}, got {size}");
        if (!(centerCropFraction > 0 && centerCropFraction <= 1))
            throw new ArgumentException($"center crop fraction must be in (0, 1], got {centerCropFraction}");
        if (!(flipProbability >= 0 && flipProbability <= 1))
            throw new ArgumentException($"flip probability must be in [0, 1], got {flipProbability}");
        OutputSize = outputSize;
        RandomCrop = randomCrop;
        CenterCropFraction = centerCropFraction;
        FlipProbability = flipProbability;
        Normalization = normalization ?? throw new ArgumentNullException(nameof(normalization));
        ColorDistortion = colorDistortion;
        Blur = blur;
    }

    /// <summary>ToFloat + Normalize at the input size.</summary>
    public static ImagePipeline NormalizeOnly(Normalization normalization) => new(null, null, 1.0, 0, normalization);

    /// <summary>
    /// The I-JEPA training view (official <c>make_transforms</c>): RandomResizedCrop (default scale 0.3–1.0), optional
    /// flip, optional colour distortion, optional blur, Normalize.
    /// </summary>
    public static ImagePipeline Train(int size, Normalization normalization, RandomResizedCrop? crop = null, double flipProbability = 0,
        ColorDistortion? colorDistortion = null, GaussianBlur? blur = null)
        => new(size, crop ?? new RandomResizedCrop(), 1.0, flipProbability, normalization, colorDistortion, blur);

    /// <summary>
    /// The evaluation view: a centred square of <paramref name="centerCropFraction"/> of the shorter
    /// side, resized to <paramref name="size"/> (the fused form of Resize(size / fraction) + CenterCrop(size)).
    /// </summary>
    public static ImagePipeline Eval(int size, Normalization normalization, double centerCropFraction = 1.0)
        => new(size, null, centerCropFraction, 0, normalization);

    public ImageTransform Bind(int channels, int height, int width) => new(this, channels, height, width);

    public override string ToString()
    {
        string geometry = RandomCrop is { } crop
            ? $"RandomResizedCrop({OutputSize}, scale ({crop.MinScale}, {crop.MaxScale}), ratio ({crop.MinRatio:G4}, {crop.MaxRatio:G4}))"
            : OutputSize is { } size ? $"CenterCrop({CenterCropFraction:G4} of shorter side) → {size}×{size}" : "input size";
        string flip = FlipProbability > 0 ? $", flip p={FlipProbability}" : "";
        string color = ColorDistortion is { } distortion ? $", colour jitter s={distortion.Strength} p={ColorDistortion.JitterProbability}, grayscale p={ColorDistortion.GrayscaleProbability}" : "";
        string blur = Blur is null ? "" : $", Gaussian blur σ {GaussianBlur.MinSigma}–{GaussianBlur.MaxSigma} p={GaussianBlur.Probability}";
        return $"{geometry}{flip}{color}{blur}, normalize {Normalization}";
    }
}

/// <summary>An <see cref="ImagePipeline"/> prepared for one input shape; thread-safe.</summary>
public sealed class ImageTransform
{
    private readonly ImagePipeline _pipeline;
    private readonly float[] _scale;
    private readonly float[] _offset;
    private readonly float[] _lookup;
    private readonly float[] _unitScale;
    private readonly float[] _zeroOffset;
    private readonly CropRect _centerCrop;

    public int InputChannels { get; }
    public int InputHeight { get; }
    public int InputWidth { get; }
    public int OutputHeight { get; }
    public int OutputWidth { get; }
    public int OutputFloats => InputChannels * OutputHeight * OutputWidth;

    internal ImageTransform(ImagePipeline pipeline, int channels, int height, int width)
    {
        if (channels <= 0 || height <= 0 || width <= 0) throw new ArgumentException($"invalid input shape {channels}x{height}x{width}");
        if (!pipeline.Normalization.Fits(channels))
            throw new ArgumentException($"normalization has {pipeline.Normalization.Mean.Count} channels but the images have {channels}");
        _pipeline = pipeline;
        InputChannels = channels;
        InputHeight = height;
        InputWidth = width;
        OutputHeight = pipeline.OutputSize ?? height;
        OutputWidth = pipeline.OutputSize ?? width;
        _scale = new float[channels];
        _offset = new float[channels];
        _lookup = new float[channels * 256];
        _unitScale = Enumerable.Repeat(1f / 255f, channels).ToArray();
        _zeroOffset = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            (_scale[c], _offset[c]) = pipeline.Normalization.Affine(c);
            var (mean, std) = pipeline.Normalization.Channel(c);
            // torchvision's exact arithmetic, (v / 255 − mean) / std, since the table costs nothing per pixel.
            for (int v = 0; v < 256; v++) _lookup[c * 256 + v] = (v / 255f - mean) / std;
        }
        int side = Math.Max(1, (int)Math.Round(Math.Min(height, width) * pipeline.CenterCropFraction));
        _centerCrop = pipeline.OutputSize is null ? CropRect.Full(height, width) : CropRect.Center(height, width, side, side);
    }

    /// <summary>
    /// Transforms one HWC byte image into CHW floats. Random choices come from
    /// <paramref name="random"/> (draw order: crop window, flip, colour distortion, blur).
    /// </summary>
    public void Apply(ReadOnlySpan<byte> hwc, Span<float> chw, ref SampleRandom random)
    {
        if (hwc.Length != InputChannels * InputHeight * InputWidth)
            throw new ArgumentException($"expected a {InputHeight}x{InputWidth}x{InputChannels} image ({InputChannels * InputHeight * InputWidth} bytes), got {hwc.Length} bytes");
        if (chw.Length < OutputFloats) throw new ArgumentException($"destination holds {chw.Length} floats, {OutputFloats} needed");

        var crop = _pipeline.RandomCrop?.Sample(InputHeight, InputWidth, ref random) ?? _centerCrop;
        bool flip = _pipeline.FlipProbability > 0 && random.NextDouble() < _pipeline.FlipProbability;
        if (_pipeline.ColorDistortion is not null || _pipeline.Blur is not null)
        {
            // The distortions work on [0, 1] values, between ToTensor and Normalize.
            var image = chw[..OutputFloats];
            Resize.CropToChw(hwc, InputHeight, InputWidth, InputChannels, crop, image, OutputHeight, OutputWidth, flip, _unitScale, _zeroOffset);
            _pipeline.ColorDistortion?.Apply(image, InputChannels, OutputHeight, OutputWidth, ref random);
            _pipeline.Blur?.Apply(image, InputChannels, OutputHeight, OutputWidth, ref random);
            Normalize(image);
        }
        else if (crop == CropRect.Full(InputHeight, InputWidth) && OutputHeight == InputHeight && OutputWidth == InputWidth)
            LookupCopy(hwc, chw, flip);
        else
            Resize.CropToChw(hwc, InputHeight, InputWidth, InputChannels, crop, chw, OutputHeight, OutputWidth, flip, _scale, _offset);
    }

    /// <summary>torchvision's Normalize, (x − mean) / std per channel, in place over [0, 1] values.</summary>
    private void Normalize(Span<float> image)
    {
        int plane = OutputHeight * OutputWidth;
        for (int c = 0; c < InputChannels; c++)
        {
            var (mean, std) = _pipeline.Normalization.Channel(c);
            foreach (ref float x in image.Slice(c * plane, plane)) x = (x - mean) / std;
        }
    }

    /// <summary>No geometry: each byte maps through a 256-entry table per channel.</summary>
    private void LookupCopy(ReadOnlySpan<byte> hwc, Span<float> chw, bool flip)
    {
        int channels = InputChannels, width = InputWidth, plane = InputHeight * InputWidth;
        if (channels == 1 && !flip)
        {
            var table = _lookup.AsSpan(0, 256);
            for (int i = 0; i < plane; i++) chw[i] = table[hwc[i]];
            return;
        }
        for (int c = 0; c < channels; c++)
        {
            var table = _lookup.AsSpan(c * 256, 256);
            var output = chw.Slice(c * plane, plane);
            for (int y = 0; y < InputHeight; y++)
            {
                int rowStart = y * width;
                for (int x = 0; x < width; x++)
                    output[rowStart + (flip ? width - 1 - x : x)] = table[hwc[(rowStart + x) * channels + c]];
            }
        }
    }
}
