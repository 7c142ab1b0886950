using System.Buffers.Binary;
using System.Text.RegularExpressions;
using JepaSharp.Data.Images;
using JepaSharp.Jepa.Logging;
using JepaSharp.Tests.Data;
using Xunit;

namespace JepaSharp.Tests.Logging;

public class TensorBoardWriterTests
{
    /// <summary>The byte offset of every record in an event file, from the length fields.</summary>
    private static List<long> RecordOffsets(byte[] file)
    {
        var offsets = new List<long>();
        for (long offset = 0; offset < file.Length; offset += 16 + (long)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan((int)offset)))
            offsets.Add(offset);
        return offsets;
    }

    /// <summary>Writes the version event and then scalar "x" = step at steps 1 to <paramref name="steps"/>.</summary>
    private static string WriteScalarFile(TempFolder folder, int steps)
    {
        using var writer = new TensorBoardWriter(folder.Path);
        for (int step = 1; step <= steps; step++) writer.AddScalar("x", step, step);
        return writer.FilePath;
    }

    [Fact]
    public void FileNameFollowsTensorFlowConvention()
    {
        using var folder = new TempFolder();
        string runDirectory = folder.File("run", "nested");
        using var first = new TensorBoardWriter(runDirectory);
        using var second = new TensorBoardWriter(runDirectory);

        var pattern = new Regex($@"^events\.out\.tfevents\.(\d{{10}})\.{Regex.Escape(Environment.MachineName)}\.{Environment.ProcessId}\.\d+$");
        foreach (var writer in new[] { first, second })
        {
            Assert.Equal(runDirectory, Path.GetDirectoryName(writer.FilePath));
            var match = pattern.Match(Path.GetFileName(writer.FilePath));
            Assert.True(match.Success, Path.GetFileName(writer.FilePath));
            long unixTime = long.Parse(match.Groups[1].Value);
            Assert.InRange(unixTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        }
        Assert.NotEqual(first.FilePath, second.FilePath);
        Assert.Equal([first.FilePath, second.FilePath], TensorBoardReader.FindEventFiles(runDirectory).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void FirstRecordIsTheFileVersionEvent()
    {
        using var folder = new TempFolder();
        double before = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        string path;
        using (var writer = new TensorBoardWriter(folder.Path)) path = writer.FilePath;
        double after = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

        var bytes = File.ReadAllBytes(path);
        Assert.Single(RecordOffsets(bytes));
        // Event{1: wall_time (fixed64), 3: file_version} and nothing else.
        Assert.Equal(0x09, bytes[12]);
        double wallTime = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(13));
        Assert.InRange(wallTime, before, after);
        Assert.Equal("1A0D627261696E2E4576656E743A32", Convert.ToHexString(bytes.AsSpan(21, bytes.Length - 25)));

        var file = TensorBoardReader.Read(path);
        Assert.Equal("brain.Event:2", file.FileVersion);
        Assert.Equal(1, file.EventCount);
    }

    [Fact]
    public void ScalarsRoundTrip()
    {
        using var folder = new TempFolder();
        double before = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        string path;
        using (var writer = new TensorBoardWriter(folder.Path))
        {
            path = writer.FilePath;
            writer.AddScalar("loss", 0.75f, 0);
            writer.AddScalar("train/loss", -1.5e-7f, 1);
            writer.AddScalars(300, ("lr", 1e-3f), ("wd", 0.04f), ("loss", float.NaN));
            writer.AddScalar("δ ünïcode", float.PositiveInfinity, long.MaxValue);
            writer.AddScalar("negative step", 2f, -5);
            writer.AddScalars(301);
        }
        double after = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

        var file = TensorBoardReader.Read(path);
        Assert.Equal(6, file.EventCount);
        Assert.Equal(
            [("loss", 0.75f, 0L), ("train/loss", -1.5e-7f, 1L), ("lr", 1e-3f, 300L), ("wd", 0.04f, 300L), ("loss", float.NaN, 300L),
             ("δ ünïcode", float.PositiveInfinity, long.MaxValue), ("negative step", 2f, -5L)],
            file.Scalars.Select(s => (s.Tag, s.Value, s.Step)));
        Assert.All(file.Scalars, s => Assert.InRange(s.WallTime, before, after));
        // One event for the three values written together: they share the wall time.
        Assert.Single(file.Scalars.Skip(2).Take(3).Select(s => s.WallTime).Distinct());
        Assert.Null(file.TailProblem);
    }

    [Fact]
    public void ImagesRoundTripAsPng()
    {
        using var folder = new TempFolder();
        var rgb = new byte[5 * 3 * 3];
        new Random(1).NextBytes(rgb);
        var grayAlpha = new byte[4 * 2 * 2];
        new Random(2).NextBytes(grayAlpha);
        string path;
        using (var writer = new TensorBoardWriter(folder.Path))
        {
            path = writer.FilePath;
            writer.AddImage("samples/rgb", new ByteImage(5, 3, 3, rgb), 10);
            writer.AddScalar("between", 1f, 10);
            writer.AddImage("samples/gray-alpha", grayAlpha, 4, 2, 2, 11);
        }

        var file = TensorBoardReader.Read(path);
        Assert.Equal(2, file.Images.Count);
        var first = file.Images[0];
        Assert.Equal(("samples/rgb", 10L, 5, 3, 3), (first.Tag, first.Step, first.Width, first.Height, first.Colorspace));
        Assert.True(first.EncodedImage.AsSpan().StartsWith(Png.Signature));
        Assert.Equal(rgb, first.Decode().Pixels);
        var second = file.Images[1];
        Assert.Equal(("samples/gray-alpha", 11L, 4, 2, 2), (second.Tag, second.Step, second.Width, second.Height, second.Colorspace));
        Assert.Equal(grayAlpha, second.Decode().Pixels);
        Assert.Equal([("between", 1f)], file.Scalars.Select(s => (s.Tag, s.Value)));
    }

    [Fact]
    public void RecordsAreOnDiskBeforeTheWriterIsDisposed()
    {
        using var folder = new TempFolder();
        using var writer = new TensorBoardWriter(folder.Path);
        writer.AddScalar("loss", 1f, 1);
        var first = TensorBoardReader.Read(writer.FilePath);
        Assert.Single(first.Scalars);

        writer.AddScalar("loss", 2f, 2);
        var more = TensorBoardReader.Read(writer.FilePath, first.EndOffset);
        Assert.Null(more.FileVersion);
        Assert.Equal([(2L, 2f)], more.Scalars.Select(s => (s.Step, s.Value)));
        writer.Flush();
    }

    [Fact]
    public void AddingScalarsAllocatesNothingPerCall()
    {
        using var folder = new TempFolder();
        using var writer = new TensorBoardWriter(folder.Path);
        writer.AddScalars(0, ("loss", 1f), ("lr", 2f));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 1; step <= 100; step++)
        {
            writer.AddScalar("loss", step, step);
            writer.AddScalars(step, ("loss", 1f), ("lr", 2f));
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"200 calls allocated {allocated} bytes");
    }

    [Fact]
    public void TruncatedTailIsSkippedAndReported()
    {
        using var folder = new TempFolder();
        string path = WriteScalarFile(folder, 3);
        var intact = File.ReadAllBytes(path);
        long lastRecord = RecordOffsets(intact)[^1];

        // Cut inside the header, inside the data and just before the data CRC of the last record.
        foreach (long cut in new[] { lastRecord + 5, lastRecord + 14, intact.Length - 1 })
        {
            File.WriteAllBytes(path, intact[..(int)cut]);
            var file = TensorBoardReader.Read(path);
            Assert.Equal([1f, 2f], file.Scalars.Select(s => s.Value));
            Assert.Equal(lastRecord, file.EndOffset);
            Assert.Contains($"byte {lastRecord}", file.TailProblem);
        }
    }

    [Fact]
    public void DamagedLastRecordIsSkippedAndReported()
    {
        using var folder = new TempFolder();
        string path = WriteScalarFile(folder, 3);
        var bytes = File.ReadAllBytes(path);
        long lastRecord = RecordOffsets(bytes)[^1];
        bytes[(int)lastRecord + 20] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        var file = TensorBoardReader.Read(path);
        Assert.Equal([1f, 2f], file.Scalars.Select(s => s.Value));
        Assert.Contains("fails its CRC", file.TailProblem);
    }

    [Fact]
    public void ZeroFilledTailIsSkippedAndReported()
    {
        using var folder = new TempFolder();
        string path = WriteScalarFile(folder, 2);
        long intactLength = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Append)) stream.Write(new byte[5000]);

        var file = TensorBoardReader.Read(path);
        Assert.Equal([1f, 2f], file.Scalars.Select(s => s.Value));
        Assert.Equal(intactLength, file.EndOffset);
        Assert.Contains("zero bytes", file.TailProblem);
    }

    [Theory]
    [InlineData(3)]   // inside the length field
    [InlineData(9)]   // inside the length CRC
    [InlineData(20)]  // inside the data
    public void CorruptionInTheMiddleNamesFileAndOffset(int byteInRecord)
    {
        using var folder = new TempFolder();
        string path = WriteScalarFile(folder, 3);
        var bytes = File.ReadAllBytes(path);
        long secondRecord = RecordOffsets(bytes)[1];
        bytes[(int)secondRecord + byteInRecord] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => TensorBoardReader.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains($"byte {secondRecord}", error.Message);
    }

    [Fact]
    public void MalformedEventWithValidCrcNamesFileAndOffset()
    {
        using var folder = new TempFolder();
        string path = folder.File("events.out.tfevents.bad");
        // Event{2: step} whose varint never ends, framed correctly.
        byte[] data = [0x10, 0xFF];
        var record = new byte[16 + data.Length];
        data.CopyTo(record, 12);
        TfRecord.Frame(record, data.Length);
        File.WriteAllBytes(path, [.. record, .. record]);

        var error = Assert.Throws<InvalidDataException>(() => TensorBoardReader.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("byte 0", error.Message);
        Assert.Contains("varint", error.Message);
    }

    [Fact]
    public void RejectsEmptyTagsAndUseAfterDispose()
    {
        using var folder = new TempFolder();
        var writer = new TensorBoardWriter(folder.Path);
        Assert.Throws<ArgumentException>(() => writer.AddScalar("", 1f, 0));
        Assert.Throws<ArgumentException>(() => writer.AddImage("image", new byte[5], 2, 2, 1, 0));
        writer.Dispose();
        writer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => writer.AddScalar("loss", 1f, 0));
        Assert.Null(TensorBoardReader.Read(writer.FilePath).TailProblem);
    }
}
