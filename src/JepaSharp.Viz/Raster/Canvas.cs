using JepaSharp.Data.Images;

namespace JepaSharp.Viz.Raster;

public enum Interpolation
{
    Nearest,
    Bilinear,
}

/// <summary>
/// An opaque RGB raster (row-major, 3 bytes a pixel) that figures are drawn on: fills, outlines, alpha blending,
/// pasting and resizing, and PNG output through <see cref="Png.Encode(ReadOnlySpan{byte}, int, int, int)"/>.
/// Drawing outside the canvas is clipped.
/// </summary>
public sealed class Canvas
{
    public int Width { get; }
    public int Height { get; }

    /// <summary>RGB bytes, row-major.</summary>
    public byte[] Pixels { get; }

    public Canvas(int width, int height, Rgb background)
    {
        if (width < 1 || height < 1 || (long)width * height > 1 << 28)
            throw new ArgumentException($"canvas size {width}x{height} is not between 1x1 and 2^28 pixels");
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public Rgb this[int x, int y]
    {
        get
        {
            int i = Offset(x, y);
            return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
        set
        {
            int i = Offset(x, y);
            Pixels[i] = value.R;
            Pixels[i + 1] = value.G;
            Pixels[i + 2] = value.B;
        }
    }

    private int Offset(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x}, {y}) is outside the {Width}x{Height} canvas");
        return (y * Width + x) * 3;
    }

    /// <summary>A gray image from values in [0, 1] (clamped), row-major <paramref name="width"/> × <paramref name="height"/>.</summary>
    public static Canvas FromGray(ReadOnlySpan<float> values, int width, int height)
    {
        RequireLength(values.Length, width * height, "gray values");
        var canvas = new Canvas(width, height, Rgb.Black);
        for (int i = 0; i < values.Length; i++)
        {
            byte v = ToByte(values[i]);
            canvas.Pixels[3 * i] = canvas.Pixels[3 * i + 1] = canvas.Pixels[3 * i + 2] = v;
        }
        return canvas;
    }

    /// <summary>An image from planar values in [0, 1] (CHW, clamped); one channel is drawn gray, three as RGB.</summary>
    public static Canvas FromPlanes(ReadOnlySpan<float> chw, int channels, int width, int height)
    {
        if (channels == 1) return FromGray(chw, width, height);
        if (channels != 3) throw new ArgumentException($"an image needs 1 or 3 channels to be drawn, got {channels}");
        RequireLength(chw.Length, 3 * width * height, "RGB planes");
        var canvas = new Canvas(width, height, Rgb.Black);
        int plane = width * height;
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                canvas.Pixels[3 * p + c] = ToByte(chw[c * plane + p]);
        return canvas;
    }

    /// <summary>
    /// A heatmap: each value coloured by <paramref name="map"/> on [<paramref name="min"/>, <paramref name="max"/>];
    /// NaN cells (no value) get <paramref name="missing"/>.
    /// </summary>
    public static Canvas FromValues(ReadOnlySpan<float> values, int width, int height, Colormap map, double min, double max, Rgb missing = default)
    {
        RequireLength(values.Length, width * height, "heatmap values");
        var canvas = new Canvas(width, height, missing);
        for (int i = 0; i < values.Length; i++)
            if (!float.IsNaN(values[i])) canvas[i % width, i / width] = map.Map(values[i], min, max);
        return canvas;
    }

    private static void RequireLength(int actual, int expected, string what)
    {
        if (actual != expected) throw new ArgumentException($"{what}: {actual} values for {expected} pixels");
    }

    private static byte ToByte(float v) => (byte)Math.Clamp(MathF.Round(v * 255f), 0f, 255f);

    public void FillRect(int x, int y, int width, int height, Rgb colour) => BlendRect(x, y, width, height, colour, 1);

    /// <summary>Blends <paramref name="colour"/> over the rectangle with opacity <paramref name="alpha"/> ∈ [0, 1].</summary>
    public void BlendRect(int x, int y, int width, int height, Rgb colour, double alpha)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0), x1 = Math.Min(x + width, Width), y1 = Math.Min(y + height, Height);
        for (int py = y0; py < y1; py++)
            for (int o = (py * Width + x0) * 3, end = (py * Width + x1) * 3; o < end; o += 3)
            {
                Pixels[o] = Rgb.Mix(Pixels[o], colour.R, alpha);
                Pixels[o + 1] = Rgb.Mix(Pixels[o + 1], colour.G, alpha);
                Pixels[o + 2] = Rgb.Mix(Pixels[o + 2], colour.B, alpha);
            }
    }

    /// <summary>An outline <paramref name="thickness"/> pixels wide, inside the rectangle.</summary>
    public void StrokeRect(int x, int y, int width, int height, Rgb colour, int thickness = 1)
    {
        FillRect(x, y, width, thickness, colour);
        FillRect(x, y + height - thickness, width, thickness, colour);
        FillRect(x, y, thickness, height, colour);
        FillRect(x + width - thickness, y, thickness, height, colour);
    }

    /// <summary>Copies <paramref name="source"/> with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public void Draw(Canvas source, int x, int y) => Overlay(source, x, y, 1);

    /// <summary>Blends <paramref name="source"/> over this canvas at (<paramref name="x"/>, <paramref name="y"/>) with opacity <paramref name="alpha"/>.</summary>
    public void Overlay(Canvas source, int x, int y, double alpha)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0), x1 = Math.Min(x + source.Width, Width), y1 = Math.Min(y + source.Height, Height);
        for (int py = y0; py < y1; py++)
        {
            if (alpha >= 1)
            {
                Array.Copy(source.Pixels, ((py - y) * source.Width + x0 - x) * 3, Pixels, (py * Width + x0) * 3, (x1 - x0) * 3);
                continue;
            }
            int s = ((py - y) * source.Width + x0 - x) * 3;
            for (int o = (py * Width + x0) * 3, end = (py * Width + x1) * 3; o < end; o++, s++) Pixels[o] = Rgb.Mix(Pixels[o], source.Pixels[s], alpha);
        }
    }

    /// <summary>This canvas enlarged <paramref name="factor"/> times in both directions.</summary>
    public Canvas Scaled(int factor, Interpolation interpolation = Interpolation.Nearest)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "scale factor must be at least 1");
        return Resized(Width * factor, Height * factor, interpolation);
    }

    /// <summary>
    /// This canvas resampled to <paramref name="width"/> × <paramref name="height"/>. Pixel centres map onto pixel
    /// centres (x_src = (x + ½)·W_src/W − ½, clamped at the border), as in most image libraries; nearest takes the
    /// source pixel containing the destination pixel's centre.
    /// </summary>
    public Canvas Resized(int width, int height, Interpolation interpolation = Interpolation.Nearest)
    {
        var result = new Canvas(width, height, Rgb.Black);
        var (x0, x1, wx) = Taps(Width, width, interpolation);
        var (y0, y1, wy) = Taps(Height, height, interpolation);
        var src = Pixels;
        var dst = result.Pixels;
        for (int y = 0; y < height; y++)
        {
            int top = y0[y] * Width * 3, bottom = y1[y] * Width * 3, o = y * width * 3;
            double fy = wy[y];
            for (int x = 0; x < width; x++, o += 3)
            {
                int a = top + x0[x] * 3, b = top + x1[x] * 3, c = bottom + x0[x] * 3, d = bottom + x1[x] * 3;
                double fx = wx[x];
                for (int k = 0; k < 3; k++)
                {
                    double upper = src[a + k] + (src[b + k] - src[a + k]) * fx, lower = src[c + k] + (src[d + k] - src[c + k]) * fx;
                    dst[o + k] = (byte)Math.Round(upper + (lower - upper) * fy);
                }
            }
        }
        return result;
    }

    /// <summary>Per destination index: the two source indices and the weight of the second (0 for nearest).</summary>
    private static (int[] First, int[] Second, double[] Weight) Taps(int source, int destination, Interpolation interpolation)
    {
        var first = new int[destination];
        var second = new int[destination];
        var weight = new double[destination];
        double scale = (double)source / destination;
        for (int i = 0; i < destination; i++)
        {
            if (interpolation == Interpolation.Nearest)
            {
                first[i] = second[i] = Math.Min((int)((i + 0.5) * scale), source - 1);
                continue;
            }
            double f = Math.Clamp((i + 0.5) * scale - 0.5, 0, source - 1);
            first[i] = (int)f;
            second[i] = Math.Min(first[i] + 1, source - 1);
            weight[i] = f - first[i];
        }
        return (first, second, weight);
    }

    public byte[] EncodePng() => Png.Encode(Pixels, Width, Height, 3);

    /// <summary>Writes the canvas as an RGB PNG, atomically (a temporary file renamed into place).</summary>
    public void SavePng(string path) => FileOutput.WriteAtomically(path, EncodePng());
}
