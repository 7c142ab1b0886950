using System.Buffers;
using System.Numerics.Tensors;

namespace JepaSharp.Data.Transforms;

/// <summary>
/// The official I-JEPA blur (<c>src/transforms.py</c>, <c>GaussianBlur(p = 0.5, radius_min = 0.1, radius_max = 2.0)</c>,
/// switched on by <c>data.use_gaussian_blur</c>): with probability p, a Gaussian blur whose standard deviation is
/// drawn uniformly from [0.1, 2.0] pixels (PIL's <c>ImageFilter.GaussianBlur(radius)</c> takes the standard deviation
/// as its radius). This is the exact separable Gaussian, taps to ⌈3σ⌉, with edge pixels extended, where PIL
/// approximates it by three box blurs. Draw order: blur or not; if so, σ.
/// </summary>
public sealed class GaussianBlur
{
    public const double Probability = 0.5;
    public const double MinSigma = 0.1;
    public const double MaxSigma = 2.0;

    private const int MaxHalfWidth = 6; // ⌈3 · MaxSigma⌉

    /// <summary>Blurs one image, planar [channels, height, width] floats, in place (or not, by the draw).</summary>
    public void Apply(Span<float> chw, int channels, int height, int width, ref SampleRandom random)
    {
        if (random.NextDouble() >= Probability) return;
        Blur(chw, channels, height, width, random.Uniform(MinSigma, MaxSigma));
    }

    /// <summary>Convolves each channel plane with the normalised Gaussian of standard deviation <paramref name="sigma"/> (≤ 2) along rows, then columns.</summary>
    public static void Blur(Span<float> chw, int channels, int height, int width, double sigma)
    {
        int plane = height * width;
        if (chw.Length < channels * plane) throw new ArgumentException($"a {channels}x{height}x{width} image needs {channels * plane} floats, got {chw.Length}");
        if (!(sigma > 0 && sigma <= MaxSigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, $"blur standard deviation must lie in (0, {MaxSigma}]");
        int half = (int)Math.Ceiling(3 * sigma);
        Span<float> taps = stackalloc float[2 * MaxHalfWidth + 1];
        taps = taps[..(2 * half + 1)];
        double total = 0;
        for (int k = -half; k <= half; k++) total += Math.Exp(-k * k / (2 * sigma * sigma));
        for (int k = -half; k <= half; k++) taps[k + half] = (float)(Math.Exp(-k * k / (2 * sigma * sigma)) / total);

        float[] rented = ArrayPool<float>.Shared.Rent(plane + width + 2 * half);
        var rows = rented.AsSpan(0, plane);
        var padded = rented.AsSpan(plane, width + 2 * half);
        try
        {
            for (int c = 0; c < channels; c++)
            {
                var image = chw.Slice(c * plane, plane);
                // Along x: each row with its edge pixels repeated half times on either side, then Σ_k taps[k]·row shifted by k.
                for (int y = 0; y < height; y++)
                {
                    var row = image.Slice(y * width, width);
                    padded[..half].Fill(row[0]);
                    row.CopyTo(padded[half..]);
                    padded[(half + width)..].Fill(row[^1]);
                    var blurred = rows.Slice(y * width, width);
                    TensorPrimitives.Multiply(padded[..width], taps[0], blurred);
                    for (int k = 1; k < taps.Length; k++) TensorPrimitives.MultiplyAdd(padded.Slice(k, width), taps[k], blurred, blurred);
                }
                // Along y: Σ_k taps[k]·(row y + k − half, clamped into the image).
                for (int y = 0; y < height; y++)
                {
                    var blurred = image.Slice(y * width, width);
                    TensorPrimitives.Multiply(rows.Slice(Math.Clamp(y - half, 0, height - 1) * width, width), taps[0], blurred);
                    for (int k = 1; k < taps.Length; k++)
                        TensorPrimitives.MultiplyAdd(rows.Slice(Math.Clamp(y + k - half, 0, height - 1) * width, width), taps[k], blurred, blurred);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }
}
