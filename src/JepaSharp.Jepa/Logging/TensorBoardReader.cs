using System.Buffers.Binary;
using static JepaSharp.Jepa.Logging.EventSchema;

namespace JepaSharp.Jepa.Logging;

/// <summary>
/// Reads TensorBoard event files back: scalar (<c>simple_value</c>) and image summaries, with
/// every record's length and data CRC verified. Other summary kinds (histograms, tensors) are skipped.
/// </summary>
public static class TensorBoardReader
{
    /// <summary>The event files in <paramref name="runDirectory"/> (TensorBoard's rule: the name contains "tfevents"), oldest first.</summary>
    public static IReadOnlyList<string> FindEventFiles(string runDirectory)
    {
        var files = Directory.GetFiles(runDirectory, "*tfevents*");
        // The names start with the creation time in ten digits, so name order is creation order.
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// Reads the records of <paramref name="path"/> from <paramref name="startOffset"/> (0, or the
    /// <see cref="TensorBoardEventFile.EndOffset"/> of an earlier read) to its end. A damaged last
    /// record is skipped and described in <see cref="TensorBoardEventFile.TailProblem"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A record before the last one is corrupt; the message names the file and byte offset.</exception>
    public static TensorBoardEventFile Read(string path, long startOffset = 0)
    {
        // ReadWrite sharing: the writer may still have the file open.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1 << 16);
        long fileLength = stream.Length;
        if (startOffset < 0 || startOffset > fileLength)
            throw new ArgumentOutOfRangeException(nameof(startOffset), $"{startOffset} is outside the {fileLength}-byte file {path}");
        stream.Position = startOffset;

        var contents = new EventCollector();
        Span<byte> header = stackalloc byte[TfRecord.HeaderSize];
        byte[] body = new byte[4096];
        long offset = startOffset;
        string? tailProblem = null;
        while (offset < fileLength)
        {
            long remaining = fileLength - offset;
            if (remaining < TfRecord.HeaderSize)
            {
                tailProblem = $"the file ends {remaining} bytes into the header of the record at byte {offset}";
                break;
            }
            stream.ReadExactly(header);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            uint storedLengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
            uint actualLengthCrc = TfRecord.MaskedCrc32C(header[..8]);
            if (actualLengthCrc != storedLengthCrc)
            {
                // A machine crash can leave the file's last blocks allocated but zero-filled.
                if (RestIsZero(stream, offset, fileLength))
                {
                    tailProblem = $"the file ends in {remaining} zero bytes from byte {offset}";
                    break;
                }
                throw Corrupt(path, offset, $"the length field fails its CRC (stored 0x{storedLengthCrc:X8}, computed 0x{actualLengthCrc:X8})");
            }
            if (remaining < TfRecord.Overhead || length > (ulong)(remaining - TfRecord.Overhead))
            {
                tailProblem = $"the record at byte {offset} declares {length} bytes of data but the file ends {remaining - TfRecord.HeaderSize} bytes after its header";
                break;
            }
            if (length > (ulong)Array.MaxLength - TfRecord.FooterSize)
                throw Corrupt(path, offset, $"the length field declares {length} bytes, more than one record can hold");

            int dataLength = (int)length;
            if (body.Length < dataLength + TfRecord.FooterSize) body = new byte[Math.Max(dataLength + TfRecord.FooterSize, 2 * body.Length)];
            stream.ReadExactly(body, 0, dataLength + TfRecord.FooterSize);
            var data = body.AsSpan(0, dataLength);
            uint storedDataCrc = BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(dataLength));
            uint actualDataCrc = TfRecord.MaskedCrc32C(data);
            long next = offset + TfRecord.Overhead + dataLength;
            if (actualDataCrc != storedDataCrc)
            {
                string problem = $"the data fails its CRC (stored 0x{storedDataCrc:X8}, computed 0x{actualDataCrc:X8})";
                if (next == fileLength)
                {
                    tailProblem = $"the last record, at byte {offset}, is damaged: {problem}";
                    break;
                }
                throw Corrupt(path, offset, problem);
            }
            try
            {
                contents.AddEvent(data);
            }
            catch (InvalidDataException e)
            {
                throw Corrupt(path, offset, e.Message);
            }
            offset = next;
        }
        return new TensorBoardEventFile(path, contents.FileVersion, contents.EventCount, contents.Scalars, contents.Images, offset, tailProblem);
    }

    private static bool RestIsZero(FileStream stream, long offset, long fileLength)
    {
        stream.Position = offset;
        Span<byte> chunk = stackalloc byte[4096];
        for (long left = fileLength - offset; left > 0;)
        {
            var part = chunk[..(int)Math.Min(chunk.Length, left)];
            stream.ReadExactly(part);
            if (part.ContainsAnyExcept((byte)0)) return false;
            left -= part.Length;
        }
        return true;
    }

    private static InvalidDataException Corrupt(string path, long offset, string problem)
        => new($"{path} is corrupt in the record at byte {offset}: {problem}");

    /// <summary>Decodes Event messages and gathers their summaries.</summary>
    private sealed class EventCollector
    {
        public string? FileVersion { get; private set; }
        public int EventCount { get; private set; }
        public List<TensorBoardScalar> Scalars { get; } = [];
        public List<TensorBoardImage> Images { get; } = [];

        public void AddEvent(ReadOnlySpan<byte> message)
        {
            var reader = new ProtoReader(message);
            double wallTime = 0;
            long step = 0;
            ReadOnlySpan<byte> summary = default;
            while (reader.TryReadKey(out int field, out var wireType))
            {
                switch (field)
                {
                    case Event.WallTime:
                        reader.Expect(field, wireType, WireType.Fixed64);
                        wallTime = reader.ReadDouble();
                        break;
                    case Event.Step:
                        reader.Expect(field, wireType, WireType.Varint);
                        step = (long)reader.ReadVarint();
                        break;
                    case Event.FileVersion:
                        reader.Expect(field, wireType, WireType.LengthDelimited);
                        FileVersion = reader.ReadString();
                        break;
                    case Event.Summary:
                        reader.Expect(field, wireType, WireType.LengthDelimited);
                        summary = reader.ReadLengthDelimited();
                        break;
                    default:
                        reader.Skip(wireType);
                        break;
                }
            }
            // Fields may come in any order, so the summary is decoded once wall time and step are known.
            var values = new ProtoReader(summary);
            while (values.TryReadKey(out int field, out var wireType))
            {
                if (field != EventSchema.Summary.Value)
                {
                    values.Skip(wireType);
                    continue;
                }
                values.Expect(field, wireType, WireType.LengthDelimited);
                AddValue(values.ReadLengthDelimited(), wallTime, step);
            }
            EventCount++;
        }

        private void AddValue(ReadOnlySpan<byte> message, double wallTime, long step)
        {
            var reader = new ProtoReader(message);
            string tag = "";
            float? simpleValue = null;
            ReadOnlySpan<byte> image = default;
            bool hasImage = false;
            while (reader.TryReadKey(out int field, out var wireType))
            {
                switch (field)
                {
                    case Value.Tag:
                        reader.Expect(field, wireType, WireType.LengthDelimited);
                        tag = reader.ReadString();
                        break;
                    case Value.SimpleValue:
                        reader.Expect(field, wireType, WireType.Fixed32);
                        simpleValue = reader.ReadFloat();
                        break;
                    case Value.Image:
                        reader.Expect(field, wireType, WireType.LengthDelimited);
                        image = reader.ReadLengthDelimited();
                        hasImage = true;
                        break;
                    default:
                        reader.Skip(wireType);
                        break;
                }
            }
            if (simpleValue is float value) Scalars.Add(new TensorBoardScalar(wallTime, step, tag, value));
            if (hasImage) Images.Add(ReadImage(image, wallTime, step, tag));
        }

        private static TensorBoardImage ReadImage(ReadOnlySpan<byte> message, double wallTime, long step, string tag)
        {
            var reader = new ProtoReader(message);
            int height = 0, width = 0, colorspace = 0;
            byte[] encoded = [];
            while (reader.TryReadKey(out int field, out var wireType))
            {
                switch (field)
                {
                    case EventSchema.Image.Height:
                        reader.Expect(field, wireType, WireType.Varint);
                        height = (int)reader.ReadVarint();
                        break;
                    case EventSchema.Image.Width:
                        reader.Expect(field, wireType, WireType.Varint);
                        width = (int)reader.ReadVarint();
                        break;
                    case EventSchema.Image.Colorspace:
                        reader.Expect(field, wireType, WireType.Varint);
                        colorspace = (int)reader.ReadVarint();
                        break;
                    case EventSchema.Image.EncodedImage:
                        reader.Expect(field, wireType, WireType.LengthDelimited);
                        encoded = reader.ReadLengthDelimited().ToArray();
                        break;
                    default:
                        reader.Skip(wireType);
                        break;
                }
            }
            return new TensorBoardImage(wallTime, step, tag, width, height, colorspace, encoded);
        }
    }
}
