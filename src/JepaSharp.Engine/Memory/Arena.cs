using System.Runtime.InteropServices;

namespace JepaSharp.Engine.Memory;

/// <summary>
/// Bump allocator for one step's activations, saved statistics and activation gradients.
/// Allocation is a pointer increment; <see cref="Reset"/> frees everything at once. When a step
/// overflows the first chunk, the next reset replaces all chunks with one chunk of the high-water
/// size, so from the second step on a training loop allocates nothing.
/// </summary>
public sealed unsafe class Arena : IDisposable
{
    private const int Alignment = 64;
    private const long MinChunkBytes = 1 << 20;

    private readonly List<(nint Pointer, long Bytes)> _chunks = new();
    private int _current;
    private long _used;
    private long _stepBytes;
    private long _peakBytes;

    /// <summary>A point in the arena to return to with <see cref="Release"/>.</summary>
    public readonly record struct Position(int Chunk, long Used, long StepBytes);

    /// <summary>Bytes handed out since the last reset and not released.</summary>
    public long BytesInUse => _stepBytes;

    /// <summary>The most bytes in use at once since the last reset.</summary>
    public long PeakBytes => _peakBytes;

    /// <summary>Total bytes reserved from the OS.</summary>
    public long BytesReserved
    {
        get
        {
            long total = 0;
            foreach (var c in _chunks) total += c.Bytes;
            return total;
        }
    }

    public Arena(long initialBytes = 64L << 20)
    {
        AddChunk(Math.Max(initialBytes, MinChunkBytes));
    }

    public float* AllocFloats(long count, bool zero = false) => (float*)Alloc(count * sizeof(float), zero);

    public int* AllocInts(long count, bool zero = false) => (int*)Alloc(count * sizeof(int), zero);

    public void* Alloc(long bytes, bool zero)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes));
        long rounded = (bytes + Alignment - 1) & ~(long)(Alignment - 1);
        while (true)
        {
            var (pointer, size) = _chunks[_current];
            if (_used + rounded <= size)
            {
                byte* p = (byte*)pointer + _used;
                _used += rounded;
                _stepBytes += rounded;
                if (_stepBytes > _peakBytes) _peakBytes = _stepBytes;
                if (zero) NativeMemory.Clear(p, (nuint)bytes);
                return p;
            }
            if (_current + 1 < _chunks.Count)
            {
                _current++;
                _used = 0;
                continue;
            }
            AddChunk(Math.Max(rounded, size * 2));
            _current = _chunks.Count - 1;
            _used = 0;
        }
    }

    public Position Mark() => new(_current, _used, _stepBytes);

    /// <summary>Frees everything allocated after <paramref name="position"/>; the memory is reused by later allocations.</summary>
    public void Release(Position position)
    {
        if (position.Chunk > _current || (position.Chunk == _current && position.Used > _used))
            throw new InvalidOperationException("arena release to a position that was never reached (released twice, or after a reset?)");
        (_current, _used, _stepBytes) = (position.Chunk, position.Used, position.StepBytes);
    }

    public void Reset()
    {
        if (_chunks.Count > 1)
        {
            long highWater = Math.Max(_peakBytes, BytesReserved);
            FreeChunks();
            AddChunk(highWater + highWater / 8);
        }
        _current = 0;
        _used = 0;
        _stepBytes = 0;
        _peakBytes = 0;
    }

    private void AddChunk(long bytes)
    {
        var p = NativeMemory.AlignedAlloc((nuint)bytes, Alignment);
        _chunks.Add(((nint)p, bytes));
    }

    private void FreeChunks()
    {
        foreach (var (p, _) in _chunks) NativeMemory.AlignedFree((void*)p);
        _chunks.Clear();
    }

    public void Dispose()
    {
        FreeChunks();
        GC.SuppressFinalize(this);
    }

    ~Arena() => FreeChunks();
}
