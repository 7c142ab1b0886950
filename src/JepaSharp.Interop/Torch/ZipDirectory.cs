using System.Buffers.Binary;
using System.Text;
using JepaSharp.Engine.IO;

namespace JepaSharp.Interop.Torch;

/// <summary>One member of a ZIP archive, with where its (stored) bytes start in the file.</summary>
public sealed record ZipEntry(string Name, long DataOffset, long Size, uint Crc32);

/// <summary>
/// Reads the central directory of a ZIP archive (Zip64 included) the way PyTorch's checkpoints
/// need it: every member stored uncompressed, so a member is just a byte range of the file and
/// can be memory-mapped. Compressed members, sizes or offsets outside the file and inconsistent
/// local headers are refused; nothing is ever inflated, so there is no zip bomb to defuse.
/// </summary>
public static class ZipDirectory
{
    private const uint EndOfCentralDirectory = 0x06054b50;
    private const uint Zip64EndLocator = 0x07064b50;
    private const uint Zip64End = 0x06064b50;
    private const uint CentralHeader = 0x02014b50;
    private const uint LocalHeader = 0x04034b50;
    private const int EndRecordLength = 22;
    private const int MaxCommentLength = 0xFFFF;

    public static IReadOnlyDictionary<string, ZipEntry> Read(MappedFile file)
    {
        long end = FindEndRecord(file);
        var record = file.Span(end, EndRecordLength);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
        long directorySize = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        long directoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
        if (count == 0xFFFF || directorySize == 0xFFFFFFFF || directoryOffset == 0xFFFFFFFF)
            (count, directorySize, directoryOffset) = ReadZip64End(file, end);
        if (directoryOffset > end || directorySize > end - directoryOffset)
            throw Invalid(file, $"the central directory [{directoryOffset}, {directoryOffset + directorySize}) does not end before the end record at {end}");
        if (count > directorySize / 46)
            throw Invalid(file, $"the central directory claims {count} entries but its {directorySize} bytes hold at most {directorySize / 46}");

        var entries = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        long position = directoryOffset;
        for (long i = 0; i < count; i++)
        {
            var header = file.Span(position, 46);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != CentralHeader)
                throw Invalid(file, $"central directory entry {i} at byte {position} has no signature");
            int method = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
            string name = Encoding.UTF8.GetString(file.Span(position + 46, nameLength));
            ReadZip64Extra(file, name, file.Span(position + 46 + nameLength, extraLength), ref size, ref compressed, ref localOffset);
            position += 46 + nameLength + extraLength + commentLength;

            if (method != 0)
                throw Invalid(file, $"member '{name}' is compressed (method {method}); PyTorch stores every record uncompressed, so this is not a checkpoint torch.save wrote");
            if (compressed != size)
                throw Invalid(file, $"member '{name}' is stored but declares {compressed} stored and {size} uncompressed bytes");
            long dataOffset = DataOffset(file, name, localOffset);
            if (dataOffset > directoryOffset || size > directoryOffset - dataOffset)
                throw Invalid(file, $"member '{name}' declares {size} bytes at {dataOffset}, past the start of the central directory ({directoryOffset})");
            if (!entries.TryAdd(name, new ZipEntry(name, dataOffset, size, crc)))
                throw Invalid(file, $"member '{name}' appears twice");
        }
        return entries;
    }

    private static long FindEndRecord(MappedFile file)
    {
        if (file.Length < EndRecordLength) throw Invalid(file, $"{file.Length} bytes are too few for a ZIP archive");
        long earliest = Math.Max(0, file.Length - EndRecordLength - MaxCommentLength);
        var tail = file.Span(earliest, (int)(file.Length - earliest));
        for (int at = tail.Length - EndRecordLength; at >= 0; at--)
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail[at..]) == EndOfCentralDirectory
                && at + EndRecordLength + BinaryPrimitives.ReadUInt16LittleEndian(tail[(at + 20)..]) == tail.Length)
                return earliest + at;
        throw Invalid(file, "no end-of-central-directory record (truncated, or not a ZIP archive)");
    }

    private static (long Count, long Size, long Offset) ReadZip64End(MappedFile file, long end)
    {
        if (end < 20) throw Invalid(file, "Zip64 sizes are flagged but there is no Zip64 locator");
        var locator = file.Span(end - 20, 20);
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64EndLocator)
            throw Invalid(file, "Zip64 sizes are flagged but there is no Zip64 locator");
        long recordOffset = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(locator[8..]), long.MaxValue);
        var record = file.Span(recordOffset, 56);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64End)
            throw Invalid(file, $"the Zip64 locator points at byte {recordOffset}, which holds no Zip64 end record");
        return (Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record[32..])),
                Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record[40..])),
                Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record[48..])));
    }

    // Zip64 extra field (id 1): 64-bit values for whichever 32-bit fields are 0xFFFFFFFF, in order.
    private static void ReadZip64Extra(MappedFile file, string name, ReadOnlySpan<byte> extra, ref long size, ref long compressed, ref long offset)
    {
        while (extra.Length >= 4)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (4 + length > extra.Length) throw Invalid(file, $"member '{name}' has an extra field running past its header");
            var body = extra.Slice(4, length);
            if (id == 1)
            {
                int at = 0;
                if (size == 0xFFFFFFFF) size = NextValue(file, name, body, ref at);
                if (compressed == 0xFFFFFFFF) compressed = NextValue(file, name, body, ref at);
                if (offset == 0xFFFFFFFF) offset = NextValue(file, name, body, ref at);
            }
            extra = extra[(4 + length)..];
        }
    }

    private static long NextValue(MappedFile file, string name, ReadOnlySpan<byte> body, ref int at)
    {
        if (at + 8 > body.Length) throw Invalid(file, $"member '{name}' has a short Zip64 extra field");
        long value = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(body[at..]));
        at += 8;
        return value;
    }

    private static long DataOffset(MappedFile file, string name, long localOffset)
    {
        var local = file.Span(localOffset, 30);
        if (BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalHeader)
            throw Invalid(file, $"member '{name}' points at byte {localOffset}, which holds no local header");
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(local[26..]);
        int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(local[28..]);
        return localOffset + 30 + nameLength + extraLength;
    }

    private static long Clamp(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    private static InvalidDataException Invalid(MappedFile file, string problem) => new($"'{file.Path}': not a valid ZIP archive: {problem}");
}
