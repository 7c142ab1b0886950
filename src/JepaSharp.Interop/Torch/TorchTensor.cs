using System.Buffers;
using JepaSharp.Engine.IO;

namespace JepaSharp.Interop.Torch;

/// <summary>
/// One storage record of a checkpoint: a flat run of elements that any number of tensors view
/// (PyTorch saves <c>w</c> and <c>w.t()</c> as one storage). Located lazily: the zip format
/// knows its record at once, the legacy format only after reading the pickle that lists them.
/// </summary>
public sealed class TorchStorage
{
    internal TorchStorage(string key, ElementType type, int elementSize, long numel, MappedFile file)
    {
        Key = key;
        ElementType = type;
        ElementSize = elementSize;
        Numel = numel;
        File = file;
    }

    public string Key { get; }
    public ElementType ElementType { get; }
    public int ElementSize { get; }
    /// <summary>Elements as the pickle declares them.</summary>
    public long Numel { get; }
    internal MappedFile File { get; }
    /// <summary>Where the storage's bytes start in the file; -1 until located.</summary>
    public long FileOffset { get; private set; } = -1;

    /// <summary>Places the storage at <paramref name="offset"/>, checking its bytes lie in the file.</summary>
    internal void Locate(long offset, long availableBytes)
    {
        long needed = Numel * ElementSize;
        if (availableBytes < needed)
            throw new InvalidDataException($"'{File.Path}': storage '{Key}' declares {Numel} {ElementType} elements ({needed} bytes) but its record holds {availableBytes}");
        File.CheckRange(offset, needed);
        FileOffset = offset;
    }
}

/// <summary>
/// A tensor of a PyTorch checkpoint: a view (offset, sizes, strides) into a <see cref="TorchStorage"/>.
/// Reading converts to float32 and makes the result contiguous (row-major), so transposed and
/// sliced views come out as the values Python sees.
/// </summary>
public sealed class TorchTensor
{
    // Contiguous reads convert in chunks of this many elements (spans stay within int lengths).
    private const int ChunkElements = 1 << 20;

    internal TorchTensor(TorchStorage storage, long storageOffset, int[] shape, long[] strides)
    {
        Storage = storage;
        StorageOffset = storageOffset;
        Shape = shape;
        Strides = strides;
        long numel = 1;
        foreach (int d in shape) numel *= d;
        Numel = numel;
    }

    public TorchStorage Storage { get; }
    public long StorageOffset { get; }
    public int[] Shape { get; }
    public long[] Strides { get; }
    public long Numel { get; }
    public ElementType ElementType => Storage.ElementType;

    /// <summary>True when the view is row-major without gaps, so its bytes are one run.</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int axis = Shape.Length - 1; axis >= 0; axis--)
            {
                if (Shape[axis] != 1 && Strides[axis] != expected) return false;
                expected *= Shape[axis];
            }
            return true;
        }
    }

    /// <summary>Checks that every element the view reaches lies inside its storage.</summary>
    internal void Validate(string name)
    {
        if (Storage.FileOffset < 0) throw new InvalidDataException($"'{Storage.File.Path}': tensor '{name}' uses storage '{Storage.Key}', which the file never stores");
        if (Numel == 0) return;
        long last = StorageOffset;
        for (int axis = 0; axis < Shape.Length; axis++) last += (Shape[axis] - 1) * Strides[axis];
        if (last >= Storage.Numel)
            throw new InvalidDataException($"'{Storage.File.Path}': tensor '{name}' (offset {StorageOffset}, shape [{string.Join(", ", Shape)}], strides [{string.Join(", ", Strides)}]) reaches element {last} of storage '{Storage.Key}', which holds {Storage.Numel}");
    }

    /// <summary>Converts the tensor to float32, row-major, into <paramref name="destination"/> (exactly <see cref="Numel"/> long).</summary>
    public void ReadFloat32(Span<float> destination)
    {
        if (destination.Length != Numel)
            throw new ArgumentException($"tensor of {Numel} elements read into a destination of {destination.Length}", nameof(destination));
        int size = Storage.ElementSize;
        long start = Storage.FileOffset + StorageOffset * size;
        if (IsContiguous)
        {
            Storage.File.WillRead(start, Numel * size);
            for (int done = 0; done < destination.Length; done += ChunkElements)
            {
                int count = Math.Min(ChunkElements, destination.Length - done);
                ElementTypes.ToFloat32(ElementType, Storage.File.Span(start + (long)done * size, count * size), destination.Slice(done, count));
            }
            return;
        }
        ReadStrided(destination, start, size);
    }

    // Non-contiguous views: walk the index space row by row (the last axis), gathering each row's
    // elements into a small buffer and converting the row at once.
    private void ReadStrided(Span<float> destination, long start, int size)
    {
        int rank = Shape.Length;
        int rowLength = Shape[rank - 1];
        long rowStride = Strides[rank - 1];
        var index = new int[rank];
        byte[] row = ArrayPool<byte>.Shared.Rent(rowLength * size);
        try
        {
            for (int written = 0; written < destination.Length; written += rowLength)
            {
                long offset = start;
                for (int axis = 0; axis < rank - 1; axis++) offset += index[axis] * Strides[axis] * size;
                for (int j = 0; j < rowLength; j++)
                    Storage.File.Span(offset + j * rowStride * size, size).CopyTo(row.AsSpan(j * size, size));
                ElementTypes.ToFloat32(ElementType, row.AsSpan(0, rowLength * size), destination.Slice(written, rowLength));
                for (int axis = rank - 2; axis >= 0; axis--)
                {
                    if (++index[axis] < Shape[axis]) break;
                    index[axis] = 0;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(row);
        }
    }
}
