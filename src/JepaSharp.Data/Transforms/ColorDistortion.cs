namespace JepaSharp.Data.Transforms;

/// <summary>
/// The official I-JEPA colour distortion (<c>src/transforms.py</c>, <c>get_color_distortion(s)</c>, switched on by
/// <c>data.use_color_distortion</c> with s = <c>data.color_jitter_strength</c>): torchvision's
/// <c>RandomApply([ColorJitter(0.8s, 0.8s, 0.8s, 0.2s)], p = 0.8)</c>, then <c>RandomGrayscale(p = 0.2)</c>.
/// It works on planar floats in [0, 1] with torchvision's tensor arithmetic (each step clamps to [0, 1]; the official
/// PIL path also rounds to bytes after each step). Saturation, hue and grayscale leave one-channel images unchanged,
/// as torchvision does. Draw order: jitter or not; if so, the order of the four adjustments, then the brightness,
/// contrast, saturation and hue factors (none when s = 0, where ColorJitter is the identity); grayscale or not.
/// </summary>
public sealed class ColorDistortion
{
    public const double JitterProbability = 0.8;
    public const double GrayscaleProbability = 0.2;

    /// <summary>torchvision caps the hue range at ±0.5, so 0.2·s must not exceed it.</summary>
    public const double MaxStrength = 2.5;

    // ITU-R 601 luma, torchvision's rgb_to_grayscale.
    private const float LumaRed = 0.2989f, LumaGreen = 0.587f, LumaBlue = 0.114f;

    public double Strength { get; }

    public ColorDistortion(double strength)
    {
        if (!(strength >= 0 && strength <= MaxStrength))
            throw new ArgumentOutOfRangeException(nameof(strength), strength, $"colour jitter strength must lie in [0, {MaxStrength}] (hue range 0.2·s ≤ 0.5)");
        Strength = strength;
    }

    /// <summary>Distorts one image, planar [channels, height, width] floats in [0, 1], in place.</summary>
    public void Apply(Span<float> chw, int channels, int height, int width, ref SampleRandom random)
    {
        int plane = height * width;
        if (channels is not (1 or 3)) throw new ArgumentException($"colour distortion takes one- or three-channel images (as torchvision), got {channels} channels");
        if (chw.Length < channels * plane) throw new ArgumentException($"a {channels}x{height}x{width} image needs {channels * plane} floats, got {chw.Length}");
        var image = chw[..(channels * plane)];
        if (random.NextDouble() < JitterProbability && Strength > 0)
        {
            Span<int> order = [0, 1, 2, 3];
            random.Shuffle(order);
            double spread = 0.8 * Strength;
            double brightness = random.Uniform(Math.Max(0, 1 - spread), 1 + spread);
            double contrast = random.Uniform(Math.Max(0, 1 - spread), 1 + spread);
            double saturation = random.Uniform(Math.Max(0, 1 - spread), 1 + spread);
            double hue = random.Uniform(-0.2 * Strength, 0.2 * Strength);
            foreach (int adjustment in order)
            {
                switch (adjustment)
                {
                    case 0: AdjustBrightness(image, (float)brightness); break;
                    case 1: AdjustContrast(image, channels, plane, (float)contrast); break;
                    case 2: AdjustSaturation(image, channels, plane, (float)saturation); break;
                    default: AdjustHue(image, channels, plane, (float)hue); break;
                }
            }
        }
        if (random.NextDouble() < GrayscaleProbability) ToGrayscale(image, channels, plane);
    }

    /// <summary>x ← clamp(f·x): a blend with black.</summary>
    public static void AdjustBrightness(Span<float> image, float factor)
    {
        for (int i = 0; i < image.Length; i++) image[i] = Clamp01(factor * image[i]);
    }

    /// <summary>x ← clamp(f·x + (1 − f)·m), m the mean luma of the whole image (the mean value for one channel).</summary>
    public static void AdjustContrast(Span<float> image, int channels, int plane, float factor)
    {
        double sum = 0;
        for (int i = 0; i < plane; i++) sum += channels == 3 ? Luma(image, plane, i) : image[i];
        float mean = (float)(sum / plane);
        for (int i = 0; i < image.Length; i++) image[i] = Clamp01(factor * image[i] + (1 - factor) * mean);
    }

    /// <summary>Each pixel blended with its luma, x ← clamp(f·x + (1 − f)·luma); one channel: unchanged.</summary>
    public static void AdjustSaturation(Span<float> image, int channels, int plane, float factor)
    {
        if (channels != 3) return;
        for (int i = 0; i < plane; i++)
        {
            float luma = Luma(image, plane, i);
            for (int c = 0; c < 3; c++) image[c * plane + i] = Clamp01(factor * image[c * plane + i] + (1 - factor) * luma);
        }
    }

    /// <summary>Hue rotated by <paramref name="shift"/> turns (RGB → HSV, h ← (h + shift) mod 1, → RGB); one channel: unchanged.</summary>
    public static void AdjustHue(Span<float> image, int channels, int plane, float shift)
    {
        if (channels != 3) return;
        for (int i = 0; i < plane; i++)
        {
            var (h, s, v) = ToHsv(image[i], image[plane + i], image[2 * plane + i]);
            h = (h + shift) % 1f;
            if (h < 0) h += 1f;
            (image[i], image[plane + i], image[2 * plane + i]) = ToRgb(h, s, v);
        }
    }

    /// <summary>Three channels become their luma each; one channel: unchanged.</summary>
    public static void ToGrayscale(Span<float> image, int channels, int plane)
    {
        if (channels != 3) return;
        for (int i = 0; i < plane; i++)
        {
            float luma = Luma(image, plane, i);
            image[i] = image[plane + i] = image[2 * plane + i] = luma;
        }
    }

    private static float Luma(Span<float> image, int plane, int i) => LumaRed * image[i] + LumaGreen * image[plane + i] + LumaBlue * image[2 * plane + i];

    private static float Clamp01(float x) => Math.Clamp(x, 0f, 1f);

    /// <summary>torchvision's _rgb2hsv for one pixel: h in [0, 1), s and v in [0, 1].</summary>
    private static (float H, float S, float V) ToHsv(float r, float g, float b)
    {
        float max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), range = max - min;
        if (range == 0) return (0f, 0f, max);
        float s = range / max;
        float rc = (max - r) / range, gc = (max - g) / range, bc = (max - b) / range;
        float h = max == r ? bc - gc : max == g ? 2f + rc - bc : 4f + gc - rc;
        return ((h / 6f + 1f) % 1f, s, max);
    }

    /// <summary>torchvision's _hsv2rgb for one pixel.</summary>
    private static (float R, float G, float B) ToRgb(float h, float s, float v)
    {
        float sector = MathF.Floor(h * 6f), f = h * 6f - sector;
        float p = Clamp01(v * (1f - s)), q = Clamp01(v * (1f - s * f)), t = Clamp01(v * (1f - s * (1f - f)));
        return ((int)sector % 6) switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
    }
}
