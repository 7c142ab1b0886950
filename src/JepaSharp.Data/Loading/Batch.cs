using JepaSharp.Engine.Memory;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Data.Loading;

/// <summary>A position in the batch stream: batch <see cref="Batch"/> of epoch <see cref="Epoch"/>.</summary>
public readonly record struct LoaderPosition(int Epoch, int Batch)
{
    public override string ToString() => $"epoch {Epoch}, batch {Batch}";
}

/// <summary>
/// One batch from a <see cref="BatchLoader"/>: images as planar floats [Count, C, H, W] in a
/// 64-byte-aligned native buffer, with their labels and dataset indices. The loader owns and
/// reuses it: its contents stay valid until the next call to Next/TryNext or Dispose.
/// </summary>
public sealed unsafe class Batch
{
    private readonly NativeBuffer _images;
    private readonly int[] _labels;
    private readonly int[] _indices;

    public int Epoch { get; private set; }

    /// <summary>Batch number within the epoch.</summary>
    public int Index { get; private set; }

    /// <summary>Images in this batch, every view counted (below batch size × views only for a last partial batch).</summary>
    public int Count { get; private set; }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public bool IsLastOfEpoch { get; private set; }

    public LoaderPosition Position => new(Epoch, Index);

    /// <summary>Where to restart to continue after this batch (store it in a checkpoint).</summary>
    public LoaderPosition NextPosition => IsLastOfEpoch ? new(Epoch + 1, 0) : new(Epoch, Index + 1);

    public Span<float> Images => _images.AsSpan(0, Count * Channels * Height * Width);

    /// <summary>The first image float; 64-byte aligned.</summary>
    public float* ImagesPointer => _images.Pointer;

    public ReadOnlySpan<int> Labels => _labels.AsSpan(0, Count);

    /// <summary>The dataset index of each image.</summary>
    public ReadOnlySpan<int> Indices => _indices.AsSpan(0, Count);

    internal Batch(int capacity, int channels, int height, int width)
    {
        Channels = channels;
        Height = height;
        Width = width;
        _images = new NativeBuffer((long)capacity * channels * height * width);
        _labels = new int[capacity];
        _indices = new int[capacity];
    }

    /// <summary>The images as an engine tensor [Count, C, H, W] over this batch's memory (no copy).</summary>
    public Tensor ToTensor() => Tensor.Wrap(_images.Pointer, new Shape(Count, Channels, Height, Width));

    internal Span<float> ImageSlot(int slot) => _images.AsSpan((long)slot * Channels * Height * Width, Channels * Height * Width);

    internal int[] LabelStorage => _labels;
    internal int[] IndexStorage => _indices;

    internal void MarkFilled(int epoch, int index, int count, bool isLastOfEpoch)
    {
        Epoch = epoch;
        Index = index;
        Count = count;
        IsLastOfEpoch = isLastOfEpoch;
    }

    internal void Free() => _images.Dispose();
}
