namespace JepaSharp.Data.Datasets;

/// <summary>
/// A fixed-size collection of images that all share one shape (after the dataset's own resize
/// policy), optionally labelled. Reads are thread-safe.
/// </summary>
public interface IImageDataset
{
    /// <summary>A human-readable name, e.g. "fashion-mnist train".</summary>
    string Name { get; }

    int Count { get; }
    int Channels { get; }
    int Height { get; }
    int Width { get; }

    /// <summary>Number of classes; 0 when unlabelled.</summary>
    int ClassCount { get; }

    /// <summary>Class names indexed by label; empty when unlabelled.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>The class of image <paramref name="index"/>, or −1 when unlabelled.</summary>
    int Label(int index);

    /// <summary>Writes image <paramref name="index"/> as Height·Width·Channels interleaved bytes (HWC).</summary>
    void ReadBytes(int index, Span<byte> hwc);

    /// <summary>Writes image <paramref name="index"/> as planar floats in [0, 1] (CHW), like torchvision's ToTensor.</summary>
    void ReadFloats(int index, Span<float> chw);
}

/// <summary>Shared checks and the bytes-to-floats conversion of the concrete datasets.</summary>
public abstract class ImageDataset : IImageDataset
{
    public abstract string Name { get; }
    public abstract int Count { get; }
    public abstract int Channels { get; }
    public abstract int Height { get; }
    public abstract int Width { get; }
    public virtual IReadOnlyList<string> ClassNames => [];
    public int ClassCount => ClassNames.Count;

    /// <summary>Bytes of one image (Height·Width·Channels).</summary>
    public int ImageBytes => Height * Width * Channels;

    public abstract int Label(int index);

    public void ReadBytes(int index, Span<byte> hwc)
    {
        CheckIndex(index);
        if (hwc.Length != ImageBytes)
            throw new ArgumentException($"{Name}: image buffer has {hwc.Length} bytes, a {Height}x{Width}x{Channels} image needs {ImageBytes}");
        ReadValidated(index, hwc);
    }

    public void ReadFloats(int index, Span<float> chw)
    {
        if (chw.Length != ImageBytes)
            throw new ArgumentException($"{Name}: float buffer has {chw.Length} elements, a {Channels}x{Height}x{Width} image needs {ImageBytes}");
        var bytes = ImageBytes <= 4096 ? stackalloc byte[ImageBytes] : new byte[ImageBytes];
        ReadBytes(index, bytes);
        int plane = Height * Width;
        for (int c = 0; c < Channels; c++)
            for (int p = 0; p < plane; p++)
                chw[c * plane + p] = bytes[p * Channels + c] / 255f;
    }

    /// <summary>Reads an image whose index and buffer size were already checked.</summary>
    protected abstract void ReadValidated(int index, Span<byte> hwc);

    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has {Count} images");
    }

    public override string ToString() => $"{Name}: {Count} images, {Channels}x{Height}x{Width}, {(ClassCount > 0 ? $"{ClassCount} classes" : "unlabelled")}";
}
