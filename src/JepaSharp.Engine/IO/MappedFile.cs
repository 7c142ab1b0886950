using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace JepaSharp.Engine.IO;

/// <summary>
/// A whole file mapped read-only. Checkpoint readers slice it instead of reading it, so opening a
/// 10 GB checkpoint costs its directory and pickle, and each tensor is converted straight from
/// the page cache into its destination. Every access is bounds-checked against the file length.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;

    public string Path { get; }
    public long Length { get; }

    public MappedFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        // FileShare.Delete lets a writer atomically replace the file while it is mapped.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        Length = stream.Length;
        if (Length == 0)
        {
            stream.Dispose();
            return;
        }
        bool acquired = false;
        try
        {
            _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            _base = pointer + _view.PointerOffset;
        }
        catch
        {
            if (acquired) _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _view?.Dispose();
            if (_map is null) stream.Dispose();
            else _map.Dispose();
            throw;
        }
    }

    /// <summary>The first byte of the mapping (null for an empty file); valid until <see cref="Dispose"/>.</summary>
    internal byte* Pointer => _base;

    /// <summary>Bytes [offset, offset + length) of the file; fails naming the file when they are not all inside it.</summary>
    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        CheckRange(offset, length);
        return length == 0 ? default : new ReadOnlySpan<byte>(_base + offset, length);
    }

    /// <summary>The same bytes as a memory (for parsers that keep a position, such as the unpickler).</summary>
    public ReadOnlyMemory<byte> Memory(long offset, int length)
    {
        CheckRange(offset, length);
        return length == 0 ? ReadOnlyMemory<byte>.Empty : new UnmanagedMemory(_base + offset, length).Memory;
    }

    /// <summary>Hints that bytes [offset, offset + length) will be read now (see <see cref="PageHints"/>).</summary>
    public void WillRead(long offset, long length)
    {
        CheckRange(offset, length);
        if (length > 0) PageHints.WillRead(_base + offset, length);
    }

    public void CheckRange(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(_base == null && Length > 0, this);
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
            throw new InvalidDataException($"'{Path}': bytes [{offset}, {offset + length}) lie outside the {Length}-byte file (truncated or corrupt)");
    }

    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map!.Dispose();
    }

    private sealed class UnmanagedMemory(byte* pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
