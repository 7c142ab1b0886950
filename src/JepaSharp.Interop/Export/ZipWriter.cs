using System.Buffers.Binary;
using System.Text;
using JepaSharp.Engine.IO;

namespace JepaSharp.Interop.Export;

/// <summary>
/// Writes an uncompressed ZIP archive as PyTorch's stream writer does: every member stored, its
/// data 64-byte aligned (padding in an extra field), Zip64 records where sizes or offsets pass
/// 4 GiB. Members are streamed (the CRC is computed on the way and patched into the local header),
/// so a 10 GB checkpoint needs no second copy in memory.
/// </summary>
public sealed class ZipWriter : IDisposable
{
    private const int Alignment = 64;
    private const uint Max32 = 0xFFFFFFFF;

    private readonly Stream _stream;
    private readonly List<(string Name, long Offset, long Size, uint Crc)> _entries = [];

    public ZipWriter(Stream stream)
    {
        if (!stream.CanSeek) throw new ArgumentException("the ZIP writer needs a seekable stream", nameof(stream));
        _stream = stream;
    }

    public void Add(string name, ReadOnlySpan<byte> data)
    {
        long header = BeginEntry(name, data.Length);
        _stream.Write(data);
        EndEntry(name, header, data.Length, Crc32.Compute(data));
    }

    /// <summary>Adds a member of <paramref name="size"/> bytes that <paramref name="write"/> produces in pieces.</summary>
    public void Add(string name, long size, Action<Action<ReadOnlySpan<byte>>> write)
    {
        long header = BeginEntry(name, size);
        uint crc = 0;
        long written = 0;
        write(piece =>
        {
            _stream.Write(piece);
            crc = Crc32.Append(crc, piece);
            written += piece.Length;
        });
        if (written != size) throw new InvalidOperationException($"ZIP member '{name}' declared {size} bytes but {written} were written");
        EndEntry(name, header, size, crc);
    }

    /// <summary>Writes the central directory; the archive is complete afterwards.</summary>
    public void Finish()
    {
        long directoryStart = _stream.Position;
        Span<byte> h = stackalloc byte[46];
        foreach (var (name, offset, size, crc) in _entries)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            bool zip64 = size >= Max32 || offset >= Max32;
            var extra = zip64 ? Zip64Extra(size, offset) : [];
            h.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(h, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(h[4..], zip64 ? (ushort)45 : (ushort)20);
            BinaryPrimitives.WriteUInt16LittleEndian(h[6..], zip64 ? (ushort)45 : (ushort)20);
            BinaryPrimitives.WriteUInt32LittleEndian(h[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(h[20..], zip64 ? Max32 : (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(h[24..], zip64 ? Max32 : (uint)size);
            BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)nameBytes.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(h[30..], (ushort)extra.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h[42..], zip64 ? Max32 : (uint)offset);
            _stream.Write(h);
            _stream.Write(nameBytes);
            _stream.Write(extra);
        }
        long directorySize = _stream.Position - directoryStart;
        bool zip64End = _entries.Count >= 0xFFFF || directoryStart >= Max32 || directorySize >= Max32;
        if (zip64End)
        {
            long recordAt = _stream.Position;
            Span<byte> r = stackalloc byte[56];
            BinaryPrimitives.WriteUInt32LittleEndian(r, 0x06064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(r[4..], 44);
            BinaryPrimitives.WriteUInt16LittleEndian(r[12..], 45);
            BinaryPrimitives.WriteUInt16LittleEndian(r[14..], 45);
            BinaryPrimitives.WriteUInt64LittleEndian(r[24..], (ulong)_entries.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(r[32..], (ulong)_entries.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(r[40..], (ulong)directorySize);
            BinaryPrimitives.WriteUInt64LittleEndian(r[48..], (ulong)directoryStart);
            _stream.Write(r);
            Span<byte> locator = stackalloc byte[20];
            BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(locator[8..], (ulong)recordAt);
            BinaryPrimitives.WriteUInt32LittleEndian(locator[16..], 1);
            _stream.Write(locator);
        }
        Span<byte> end = stackalloc byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        ushort count = zip64End ? (ushort)0xFFFF : (ushort)_entries.Count;
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], zip64End ? Max32 : (uint)directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], zip64End ? Max32 : (uint)directoryStart);
        _stream.Write(end);
        // Reach the disk before the caller renames the file into place.
        if (_stream is FileStream file) file.Flush(flushToDisk: true);
        else _stream.Flush();
    }

    public void Dispose() => _stream.Dispose();

    // Local header: sizes known up front; the CRC is patched in by EndEntry.
    private long BeginEntry(string name, long size)
    {
        long offset = _stream.Position;
        var nameBytes = Encoding.UTF8.GetBytes(name);
        bool zip64 = size >= Max32;
        var zip64Extra = zip64 ? Zip64Extra(size, null) : [];
        long unpadded = offset + 30 + nameBytes.Length + zip64Extra.Length + 4;
        int padding = (int)((Alignment - unpadded % Alignment) % Alignment);
        Span<byte> h = stackalloc byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], zip64 ? (ushort)45 : (ushort)20);
        BinaryPrimitives.WriteUInt32LittleEndian(h[18..], zip64 ? Max32 : (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(h[22..], zip64 ? Max32 : (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)(zip64Extra.Length + 4 + padding));
        _stream.Write(h);
        _stream.Write(nameBytes);
        _stream.Write(zip64Extra);
        // PyTorch's alignment field: id "FB", filled with 'Z'.
        Span<byte> pad = stackalloc byte[4 + padding];
        pad.Fill((byte)'Z');
        pad[0] = (byte)'F';
        pad[1] = (byte)'B';
        BinaryPrimitives.WriteUInt16LittleEndian(pad[2..], (ushort)padding);
        _stream.Write(pad);
        _entries.Add((name, offset, size, 0));
        return offset;
    }

    private void EndEntry(string name, long header, long size, uint crc)
    {
        long end = _stream.Position;
        _stream.Position = header + 14;
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, crc);
        _stream.Write(bytes);
        _stream.Position = end;
        _entries[^1] = (name, header, size, crc);
    }

    private static byte[] Zip64Extra(long size, long? offset)
    {
        var extra = new byte[4 + 16 + (offset is null ? 0 : 8)];
        BinaryPrimitives.WriteUInt16LittleEndian(extra, 1);
        BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), (ushort)(extra.Length - 4));
        BinaryPrimitives.WriteUInt64LittleEndian(extra.AsSpan(4), (ulong)size);
        BinaryPrimitives.WriteUInt64LittleEndian(extra.AsSpan(12), (ulong)size);
        if (offset is { } o) BinaryPrimitives.WriteUInt64LittleEndian(extra.AsSpan(20), (ulong)o);
        return extra;
    }
}
