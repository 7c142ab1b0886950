using System.Diagnostics;
using System.Globalization;
using JepaSharp.Data.Images;
using static JepaSharp.Jepa.Logging.EventSchema;

namespace JepaSharp.Jepa.Logging;

/// <summary>
/// Writes a TensorBoard event file (<c>events.out.tfevents.&lt;unix time&gt;.&lt;host&gt;.&lt;pid&gt;.&lt;n&gt;</c>)
/// into a run directory: scalars and PNG images, one TFRecord-framed <c>Event</c> per call.
/// Each record reaches the operating system in a single write as soon as it is added, so a
/// killed process loses at most the record it was writing. Safe to call from several threads.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private static int _filesCreated;

    private readonly FileStream _stream;
    private readonly Lock _lock = new();
    private byte[] _record = new byte[256];
    private bool _disposed;

    /// <summary>The path of the event file this writer appends to.</summary>
    public string FilePath { get; }

    /// <summary>Creates the run directory if needed and a new event file in it, starting with the file-version event.</summary>
    public TensorBoardWriter(string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        long unixTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        while (true)
        {
            // The per-process counter keeps two writers of one process apart; CreateNew guarantees
            // another process's file (same second, recycled pid) is never appended to.
            int counter = Interlocked.Increment(ref _filesCreated);
            string name = string.Create(CultureInfo.InvariantCulture,
                $"events.out.tfevents.{unixTime:D10}.{Environment.MachineName}.{Environment.ProcessId}.{counter}");
            string path = Path.Combine(runDirectory, name);
            try
            {
                // No FileStream buffer: records are written whole, and each must reach the OS at once.
                _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
                FilePath = path;
                break;
            }
            catch (IOException) when (File.Exists(path))
            {
            }
        }
        try
        {
            WriteFileVersionEvent();
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
    }

    public void AddScalar(string tag, float value, long step) => AddScalars(step, (tag, value));

    /// <summary>Writes one event holding all <paramref name="scalars"/>, so they share a step and wall time.</summary>
    public void AddScalars(long step, params ReadOnlySpan<(string Tag, float Value)> scalars)
    {
        if (scalars.IsEmpty) return;
        int summarySize = 0;
        foreach (var (tag, _) in scalars)
        {
            ArgumentException.ThrowIfNullOrEmpty(tag);
            summarySize += ProtoWriter.LengthDelimitedFieldSize(Summary.Value, ScalarValueSize(tag));
        }
        lock (_lock)
        {
            var proto = BeginSummaryEvent(step, summarySize);
            foreach (var (tag, value) in scalars)
            {
                proto.WriteLengthPrefix(Summary.Value, ScalarValueSize(tag));
                proto.WriteStringField(Value.Tag, tag);
                proto.WriteFloatField(Value.SimpleValue, value);
            }
            WriteRecord(proto);
        }
    }

    public void AddImage(string tag, ByteImage image, long step)
    {
        ArgumentNullException.ThrowIfNull(image);
        AddImage(tag, image.Pixels, image.Width, image.Height, image.Channels, step);
    }

    /// <summary>
    /// Writes 8-bit interleaved pixels (1 gray, 2 gray+alpha, 3 RGB or 4 RGBA channels) as a PNG
    /// image summary.
    /// </summary>
    public void AddImage(string tag, ReadOnlySpan<byte> pixels, int width, int height, int channels, long step)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        byte[] png = Png.Encode(pixels, width, height, channels);
        // Summary.Image's colorspace codes coincide with the channel count for these four layouts.
        int colorspace = channels;
        int imageSize = ProtoWriter.VarintFieldSize(EventSchema.Image.Height, height)
                        + ProtoWriter.VarintFieldSize(EventSchema.Image.Width, width)
                        + ProtoWriter.VarintFieldSize(EventSchema.Image.Colorspace, colorspace)
                        + ProtoWriter.LengthDelimitedFieldSize(EventSchema.Image.EncodedImage, png.Length);
        int valueSize = ProtoWriter.StringFieldSize(Value.Tag, tag) + ProtoWriter.LengthDelimitedFieldSize(Value.Image, imageSize);
        int summarySize = ProtoWriter.LengthDelimitedFieldSize(Summary.Value, valueSize);
        lock (_lock)
        {
            var proto = BeginSummaryEvent(step, summarySize);
            proto.WriteLengthPrefix(Summary.Value, valueSize);
            proto.WriteStringField(Value.Tag, tag);
            proto.WriteLengthPrefix(Value.Image, imageSize);
            proto.WriteVarintField(EventSchema.Image.Height, height);
            proto.WriteVarintField(EventSchema.Image.Width, width);
            proto.WriteVarintField(EventSchema.Image.Colorspace, colorspace);
            proto.WriteBytesField(EventSchema.Image.EncodedImage, png);
            WriteRecord(proto);
        }
    }

    /// <summary>
    /// Forces the written events onto the disk. They already reach the operating system as they
    /// are added; this also survives a machine crash, at the cost of a sync.
    /// </summary>
    public void Flush()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Flush(flushToDisk: true);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _stream.Dispose();
        }
    }

    private static int ScalarValueSize(string tag)
        => ProtoWriter.StringFieldSize(Value.Tag, tag) + ProtoWriter.KeySize(Value.SimpleValue) + sizeof(float);

    private static int WallTimeSize => ProtoWriter.KeySize(Event.WallTime) + sizeof(double);

    private static double UnixWallTime() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

    private void WriteFileVersionEvent()
    {
        int eventSize = WallTimeSize + ProtoWriter.StringFieldSize(Event.FileVersion, EventSchema.FileVersion);
        var proto = BeginRecord(eventSize);
        proto.WriteDoubleField(Event.WallTime, UnixWallTime());
        proto.WriteStringField(Event.FileVersion, EventSchema.FileVersion);
        WriteRecord(proto);
    }

    /// <summary>Starts an event record and writes the event's fields up to the summary's body.</summary>
    private ProtoWriter BeginSummaryEvent(long step, int summarySize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Proto3 leaves a zero step out, as TensorFlow's own serializer does.
        int stepSize = step == 0 ? 0 : ProtoWriter.VarintFieldSize(Event.Step, step);
        int eventSize = WallTimeSize + stepSize + ProtoWriter.LengthDelimitedFieldSize(Event.Summary, summarySize);
        var proto = BeginRecord(eventSize);
        proto.WriteDoubleField(Event.WallTime, UnixWallTime());
        if (step != 0) proto.WriteVarintField(Event.Step, step);
        proto.WriteLengthPrefix(Event.Summary, summarySize);
        return proto;
    }

    private ProtoWriter BeginRecord(int eventSize)
    {
        int recordSize = TfRecord.Overhead + eventSize;
        if (_record.Length < recordSize) _record = new byte[Math.Max(recordSize, 2 * _record.Length)];
        return new ProtoWriter(_record.AsSpan(TfRecord.HeaderSize, eventSize));
    }

    private void WriteRecord(scoped in ProtoWriter proto)
    {
        Debug.Assert(proto.IsFull, "the event's precomputed size disagrees with what was written");
        int eventSize = proto.Position;
        var record = _record.AsSpan(0, TfRecord.Overhead + eventSize);
        TfRecord.Frame(record, eventSize);
        _stream.Write(record);
    }
}
