namespace JepaSharp.Data.Images;

/// <summary>
/// A decoded 8-bit image, pixels interleaved row by row (HWC). Channels: 1 gray, 2 gray+alpha,
/// 3 RGB, 4 RGBA.
/// </summary>
public sealed class ByteImage
{
    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public byte[] Pixels { get; }

    public ByteImage(int width, int height, int channels, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size {width}x{height} must be positive");
        if (channels is < 1 or > 4) throw new ArgumentException($"an image has 1 to 4 channels, got {channels}");
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)width * height * channels)
            throw new ArgumentException($"{width}x{height}x{channels} image needs {(long)width * height * channels} bytes, got {pixels.LongLength}");
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>
    /// Converts to 1 (gray) or 3 (RGB) channels the way PIL's <c>convert</c> does, which is what
    /// torchvision's image loader calls: alpha is dropped (not composited), gray is replicated, and
    /// colour becomes ITU-R 601 luma.
    /// </summary>
    public ByteImage ToChannels(int channels)
    {
        if (channels != 1 && channels != 3) throw new ArgumentException($"images convert to 1 or 3 channels, not {channels}");
        if (channels == Channels) return this;
        int pixelCount = Width * Height;
        var result = new byte[pixelCount * channels];
        var source = Pixels;
        int stride = Channels;
        bool sourceIsColour = Channels >= 3;
        for (int p = 0; p < pixelCount; p++)
        {
            int s = p * stride;
            if (channels == 1)
            {
                result[p] = sourceIsColour
                    ? (byte)((source[s] * 19595 + source[s + 1] * 38470 + source[s + 2] * 7471 + 0x8000) >> 16)
                    : source[s];
            }
            else if (sourceIsColour)
            {
                result[p * 3] = source[s];
                result[p * 3 + 1] = source[s + 1];
                result[p * 3 + 2] = source[s + 2];
            }
            else
            {
                result[p * 3] = result[p * 3 + 1] = result[p * 3 + 2] = source[s];
            }
        }
        return new ByteImage(Width, Height, channels, result);
    }
}
