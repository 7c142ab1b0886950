namespace JepaSharp.Data.Transforms;

/// <summary>
/// Bilinear resampling with PyTorch's <c>align_corners=False</c> geometry: output pixel centres
/// map to source coordinates (d + 0.5)·in/out − 0.5, clamped into the source window. There is no
/// antialiasing, so strong downscaling aliases (torchvision's PIL path would low-pass first).
/// </summary>
public static class Resize
{
    private const int StackTapLimit = 512;

    /// <summary>Resizes an interleaved byte image (HWC) to <paramref name="height"/>×<paramref name="width"/>, rounding to nearest.</summary>
    public static byte[] Bilinear(ReadOnlySpan<byte> source, int sourceHeight, int sourceWidth, int channels, int height, int width)
        => Bilinear(source, sourceHeight, sourceWidth, channels, CropRect.Full(sourceHeight, sourceWidth), height, width);

    /// <summary>Resizes the <paramref name="crop"/> window of an interleaved byte image, rounding to nearest.</summary>
    public static byte[] Bilinear(ReadOnlySpan<byte> source, int sourceHeight, int sourceWidth, int channels, CropRect crop, int height, int width)
    {
        CheckSizes(source.Length, sourceHeight, sourceWidth, channels, height, width);
        if (!crop.FitsIn(sourceHeight, sourceWidth))
            throw new ArgumentException($"crop {crop} lies outside the {sourceHeight}x{sourceWidth} image");
        var result = new byte[height * width * channels];
        Span<int> x0 = width <= StackTapLimit ? stackalloc int[width] : new int[width];
        Span<int> x1 = width <= StackTapLimit ? stackalloc int[width] : new int[width];
        Span<float> fx = width <= StackTapLimit ? stackalloc float[width] : new float[width];
        Taps(crop.Left, crop.Width, width, x0, x1, fx);
        int sourceRow = sourceWidth * channels;
        for (int y = 0; y < height; y++)
        {
            var (y0, y1, fy) = Tap(crop.Top, crop.Height, height, y);
            var top = source.Slice(y0 * sourceRow, sourceRow);
            var bottom = source.Slice(y1 * sourceRow, sourceRow);
            var output = result.AsSpan(y * width * channels, width * channels);
            for (int x = 0; x < width; x++)
            {
                int a = x0[x] * channels, b = x1[x] * channels;
                float f = fx[x];
                for (int c = 0; c < channels; c++)
                {
                    float upper = top[a + c] + (top[b + c] - top[a + c]) * f;
                    float lower = bottom[a + c] + (bottom[b + c] - bottom[a + c]) * f;
                    output[x * channels + c] = (byte)(upper + (lower - upper) * fy + 0.5f);
                }
            }
        }
        return result;
    }

    /// <summary>
    /// Resamples the <paramref name="crop"/> window of an interleaved byte image into planar floats
    /// (CHW) of <paramref name="height"/>×<paramref name="width"/>, mirrored left–right when
    /// <paramref name="flip"/>, each value mapped through value·scale[c] + offset[c].
    /// </summary>
    public static void CropToChw(ReadOnlySpan<byte> source, int sourceHeight, int sourceWidth, int channels, CropRect crop,
                                 Span<float> destination, int height, int width, bool flip,
                                 ReadOnlySpan<float> scale, ReadOnlySpan<float> offset)
    {
        CheckSizes(source.Length, sourceHeight, sourceWidth, channels, height, width);
        if (!crop.FitsIn(sourceHeight, sourceWidth))
            throw new ArgumentException($"crop {crop} lies outside the {sourceHeight}x{sourceWidth} image");
        if (destination.Length < channels * height * width)
            throw new ArgumentException($"destination holds {destination.Length} floats, {channels * height * width} needed");
        if (scale.Length < channels || offset.Length < channels)
            throw new ArgumentException($"{channels} channels need {channels} scales and offsets");

        Span<int> x0 = width <= StackTapLimit ? stackalloc int[width] : new int[width];
        Span<int> x1 = width <= StackTapLimit ? stackalloc int[width] : new int[width];
        Span<float> fx = width <= StackTapLimit ? stackalloc float[width] : new float[width];
        Taps(crop.Left, crop.Width, width, x0, x1, fx);
        int plane = height * width;
        int sourceRow = sourceWidth * channels;
        for (int y = 0; y < height; y++)
        {
            var (y0, y1, fy) = Tap(crop.Top, crop.Height, height, y);
            var top = source.Slice(y0 * sourceRow, sourceRow);
            var bottom = source.Slice(y1 * sourceRow, sourceRow);
            for (int c = 0; c < channels; c++)
            {
                var output = destination.Slice(c * plane + y * width, width);
                float s = scale[c], o = offset[c];
                for (int x = 0; x < width; x++)
                {
                    int a = x0[x] * channels + c, b = x1[x] * channels + c;
                    float f = fx[x];
                    float upper = top[a] + (top[b] - top[a]) * f;
                    float lower = bottom[a] + (bottom[b] - bottom[a]) * f;
                    output[flip ? width - 1 - x : x] = (upper + (lower - upper) * fy) * s + o;
                }
            }
        }
    }

    private static void CheckSizes(int sourceLength, int sourceHeight, int sourceWidth, int channels, int height, int width)
    {
        if (sourceHeight <= 0 || sourceWidth <= 0 || channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"cannot resize {sourceHeight}x{sourceWidth}x{channels} to {height}x{width}");
        if (sourceLength != sourceHeight * sourceWidth * channels)
            throw new ArgumentException($"a {sourceHeight}x{sourceWidth}x{channels} image has {sourceHeight * sourceWidth * channels} bytes, got {sourceLength}");
    }

    private static void Taps(int start, int span, int outputs, Span<int> first, Span<int> second, Span<float> fraction)
    {
        for (int d = 0; d < outputs; d++) (first[d], second[d], fraction[d]) = Tap(start, span, outputs, d);
    }

    /// <summary>The two source indices (absolute) and the weight of the second for output index <paramref name="d"/>.</summary>
    private static (int First, int Second, float Fraction) Tap(int start, int span, int outputs, int d)
    {
        float position = Math.Max(0f, (d + 0.5f) * span / outputs - 0.5f);
        int i0 = Math.Min((int)position, span - 1);
        int i1 = i0 < span - 1 ? i0 + 1 : i0;
        return (start + i0, start + i1, position - i0);
    }
}
