using System.Runtime.InteropServices;

namespace JepaSharp.Engine.Memory;

/// <summary>
/// A zero-initialised, 64-byte-aligned block of native floats. Parameters, gradients, optimizer
/// moments and arena chunks live in these so kernels get stable pointers and the GC never moves
/// or scans them.
/// </summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    public const int Alignment = 64;

    public float* Pointer { get; private set; }
    public long Length { get; }

    public NativeBuffer(long length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "buffer length must be non-negative");
        Length = length;
        nuint bytes = (nuint)Math.Max(1, length) * sizeof(float);
        Pointer = (float*)NativeMemory.AlignedAlloc(bytes, Alignment);
        NativeMemory.Clear(Pointer, bytes);
    }

    public Span<float> AsSpan()
    {
        if (Length > int.MaxValue) throw new InvalidOperationException($"buffer of {Length} floats is too long for a span");
        return new Span<float>(Pointer, (int)Length);
    }

    public Span<float> AsSpan(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"range [{offset}, {offset + length}) outside buffer of {Length}");
        return new Span<float>(Pointer + offset, length);
    }

    public void Clear() => NativeMemory.Clear(Pointer, (nuint)Length * sizeof(float));

    public void Dispose()
    {
        if (Pointer != null)
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
        GC.SuppressFinalize(this);
    }

    ~NativeBuffer()
    {
        if (Pointer != null) NativeMemory.AlignedFree(Pointer);
    }
}
