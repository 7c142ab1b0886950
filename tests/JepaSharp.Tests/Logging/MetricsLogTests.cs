using System.Globalization;
using System.Text;
using System.Text.Json;
using JepaSharp.Jepa.Logging;
using JepaSharp.Tests.Data;
using Xunit;

namespace JepaSharp.Tests.Logging;

public class MetricsLogTests
{
    private static string WriteSteps(TempFolder folder, int steps)
    {
        using var log = new MetricsLog(folder.Path);
        for (int step = 1; step <= steps; step++) log.Append(step, ("loss", 1.0 / step));
        return log.FilePath;
    }

    [Fact]
    public void LinesAreCompactJsonInInsertionOrder()
    {
        using var folder = new TempFolder();
        var culture = CultureInfo.CurrentCulture;
        var commaDecimals = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        commaDecimals.NumberFormat.NumberDecimalSeparator = ",";
        CultureInfo.CurrentCulture = commaDecimals;
        string path;
        try
        {
            using var log = new MetricsLog(folder.File("run"));
            path = log.FilePath;
            log.Append(12, ("loss", 0.1f), ("lr", 2.5e-4), ("images", 4096L), ("epoch", 3), ("phase", "train/ema+1"));
            log.Append(13, ("loss", float.NaN), ("grad", double.NegativeInfinity), ("max", double.PositiveInfinity));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        Assert.Equal(folder.File("run", "metrics.jsonl"), path);
        Assert.Equal(
            "{\"step\":12,\"loss\":0.1,\"lr\":0.00025,\"images\":4096,\"epoch\":3,\"phase\":\"train/ema+1\"}\n" +
            "{\"step\":13,\"loss\":\"NaN\",\"grad\":\"-Infinity\",\"max\":\"Infinity\"}\n",
            File.ReadAllText(path));
    }

    [Fact]
    public void RecordsRoundTrip()
    {
        using var folder = new TempFolder();
        string path;
        using (var log = new MetricsLog(folder.Path))
        {
            path = log.FilePath;
            log.Append(1, ("loss", 0.5f), ("lr", 1e-3), ("tokens", long.MaxValue), ("note", "δ \"quoted\""));
            log.Append(2, ("loss", double.NaN));
            log.Append(3);
        }

        var records = MetricsLog.Read(path);
        Assert.Equal([1L, 2L, 3L], records.Select(r => r.Step));
        Assert.Equal([1, 2, 3], records.Select(r => r.LineNumber));
        var first = records[0];
        Assert.Equal(["step", "loss", "lr", "tokens", "note"], first.Fields.Keys);
        Assert.Equal(0.5, first.GetDouble("loss"));
        Assert.Equal(1e-3, first.GetDouble("lr"));
        Assert.Equal(long.MaxValue, first["tokens"].GetInt64());
        Assert.Equal("δ \"quoted\"", first.GetString("note"));
        Assert.True(double.IsNaN(records[1].GetDouble("loss")));
        Assert.Throws<KeyNotFoundException>(() => records[2]["loss"]);
        Assert.Throws<FormatException>(() => first.GetDouble("note"));
    }

    [Fact]
    public void AppendRejectsDuplicateAndReservedNames()
    {
        using var folder = new TempFolder();
        using var log = new MetricsLog(folder.Path);
        Assert.Throws<ArgumentException>(() => log.Append(1, ("loss", 1), ("loss", 2)));
        Assert.Throws<ArgumentException>(() => log.Append(1, ("step", 1)));
        Assert.Throws<ArgumentException>(() => log.Append(1, ("", 1)));
        Assert.Equal(0, new FileInfo(log.FilePath).Length);
    }

    [Fact]
    public void TruncatedLastLineIsIgnoredAndCutOffByTheNextLog()
    {
        using var folder = new TempFolder();
        string path = WriteSteps(folder, 3);
        File.AppendAllText(path, "{\"step\":4,\"loss\":0.2");

        Assert.Equal([1L, 2L, 3L], MetricsLog.Read(path).Select(r => r.Step));

        using (var log = new MetricsLog(folder.Path)) log.Append(4, ("loss", 0.25));
        Assert.Equal([1L, 2L, 3L, 4L], MetricsLog.Read(path).Select(r => r.Step));
        Assert.EndsWith("{\"step\":3,\"loss\":0.3333333333333333}\n{\"step\":4,\"loss\":0.25}\n", File.ReadAllText(path));
    }

    [Fact]
    public void CompleteLastLineWithoutNewlineIsKept()
    {
        using var folder = new TempFolder();
        string path = folder.File("metrics.jsonl");
        File.WriteAllText(path, "{\"step\":1}\n\n{\"step\":2}");
        Assert.Equal([(1L, 1), (2L, 3)], MetricsLog.Read(path).Select(r => (r.Step, r.LineNumber)));
    }

    [Theory]
    [InlineData("{\"step\":2,\"loss\":")]
    [InlineData("[1,2]")]
    [InlineData("{\"step\":2.5}")]
    [InlineData("{\"step\":\"2\"}")]
    [InlineData("{\"step\":2,\"step\":3}")]
    [InlineData("{\"step\":2} {}")]
    public void BadCompleteLineNamesFileAndLine(string badLine)
    {
        using var folder = new TempFolder();
        string path = folder.File("metrics.jsonl");
        File.WriteAllText(path, "{\"step\":1}\n" + badLine + "\n{\"step\":3}\n");

        var error = Assert.Throws<InvalidDataException>(() => MetricsLog.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 2", error.Message);
    }

    [Fact]
    public void TruncateAfterStepKeepsExactlyTheEarlierLines()
    {
        using var folder = new TempFolder();
        string path = WriteSteps(folder, 10);
        var lines = File.ReadAllLines(path);
        File.AppendAllText(path, "{\"step\":11,\"lo");

        Assert.Equal(4, MetricsLog.TruncateAfterStep(path, 6));

        Assert.Equal(string.Join("\n", lines[..6]) + "\n", File.ReadAllText(path));
        Assert.Equal([MetricsLog.FileName], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
        Assert.Equal(0, MetricsLog.TruncateAfterStep(path, 6));
        Assert.Equal(6, MetricsLog.TruncateAfterStep(path, 0));
        Assert.Equal("", File.ReadAllText(path));
    }

    [Fact]
    public void TruncateAfterStepKeepsStepLessLinesAndJudgesEachLineByItsStep()
    {
        using var folder = new TempFolder();
        string path = folder.File("metrics.jsonl");
        File.WriteAllText(path, "{\"run\":\"a\"}\n{\"step\":5}\n{\"step\":9}\n{\"step\":2}\n");

        Assert.Equal(1, MetricsLog.TruncateAfterStep(path, 5));
        Assert.Equal("{\"run\":\"a\"}\n{\"step\":5}\n{\"step\":2}\n", File.ReadAllText(path));
    }

    [Fact]
    public void TruncateAfterStepLeavesACorruptFileUntouched()
    {
        using var folder = new TempFolder();
        string path = folder.File("metrics.jsonl");
        const string content = "{\"step\":1}\nnot json\n{\"step\":3}\n";
        File.WriteAllText(path, content);

        Assert.Throws<InvalidDataException>(() => MetricsLog.TruncateAfterStep(path, 1));
        Assert.Equal(content, File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(folder.Path));
        Assert.Equal(0, MetricsLog.TruncateAfterStep(folder.File("absent.jsonl"), 1));
    }

    [Fact]
    public void EachLineIsReadableBeforeTheLogIsDisposed()
    {
        using var folder = new TempFolder();
        using var log = new MetricsLog(folder.Path);
        log.Append(1, ("loss", 2.0));
        Assert.Equal([1L], MetricsLog.Read(log.FilePath).Select(r => r.Step));
        log.Dispose();
        Assert.Throws<ObjectDisposedException>(() => log.Append(2));
        Assert.Equal(JsonValueKind.Number, MetricsLog.Read(log.FilePath)[0]["loss"].ValueKind);
        Assert.Equal("{\"step\":1,\"loss\":2}\n", File.ReadAllText(log.FilePath, Encoding.UTF8));
    }
}
