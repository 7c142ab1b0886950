using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace JepaSharp.Jepa.Logging;

/// <summary>
/// Appends one JSON object per line to <c>&lt;directory&gt;/metrics.jsonl</c>, <c>step</c> first and
/// then the fields in the order given. Each line reaches the operating system in a single write,
/// so a killed process leaves at most a partial last line, which <see cref="Read"/> ignores and
/// the next <see cref="MetricsLog"/> on the file cuts off. Safe to call from several threads.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";

    private const string StepField = "step";

    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _line = new(256);
    private readonly Utf8JsonWriter _json;
    private readonly Lock _lock = new();
    private bool _disposed;

    public string FilePath { get; }

    /// <summary>Opens (creating if needed) <c>&lt;directory&gt;/&lt;fileName&gt;</c> (default metrics.jsonl) for appending.</summary>
    public MetricsLog(string directory, string fileName = FileName)
    {
        Directory.CreateDirectory(directory);
        FilePath = Path.Combine(directory, fileName);
        // No FileStream buffer: each line is written whole and must reach the OS at once.
        _stream = new FileStream(FilePath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, bufferSize: 0);
        try
        {
            // A line left partial by a killed writer would otherwise be glued to the next one.
            _stream.SetLength(EndOfLastCompleteLine(_stream));
            _stream.Seek(0, SeekOrigin.End);
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
        // Relaxed escaping keeps names like "loss/train+ema" readable; the file is never embedded in HTML.
        _json = new Utf8JsonWriter(_line, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Writes and flushes one line: <c>{"step": step, name: value, ...}</c>.</summary>
    public void Append(long step, params ReadOnlySpan<(string Name, MetricValue Value)> fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            string name = fields[i].Name;
            ArgumentException.ThrowIfNullOrEmpty(name);
            if (name == StepField) throw new ArgumentException($"'{StepField}' is written from the step argument and cannot also be a field");
            for (int j = 0; j < i; j++)
                if (fields[j].Name == name) throw new ArgumentException($"metrics field '{name}' is given twice");
        }
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _line.ResetWrittenCount();
            _json.Reset();
            _json.WriteStartObject();
            _json.WriteNumber(StepField, step);
            foreach (var (name, value) in fields) value.WriteTo(_json, name);
            _json.WriteEndObject();
            _json.Flush();
            _line.Write("\n"u8);
            _stream.Write(_line.WrittenSpan);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _json.Dispose();
            _stream.Dispose();
        }
    }

    /// <summary>
    /// Reads every record of a metrics file. A last line without its newline that does not parse
    /// (a killed writer's) is ignored.
    /// </summary>
    /// <exception cref="InvalidDataException">A complete line is not a JSON object, or its <c>step</c> is not an integer; the message names the file and line.</exception>
    public static IReadOnlyList<MetricsRecord> Read(string path)
    {
        var (_, lines) = ReadLines(path);
        return lines.ConvertAll(line => line.Record);
    }

    /// <summary>
    /// Keeps only the records whose <c>step</c> is at most <paramref name="step"/> (and any without
    /// a step), so a run resumed from the checkpoint of that step logs no step twice. The file is
    /// replaced atomically: a crash leaves either the old or the new file, never a mix. Call it
    /// before opening a <see cref="MetricsLog"/> on the file.
    /// </summary>
    /// <returns>The number of records removed; 0 also when the file does not exist.</returns>
    public static int TruncateAfterStep(string path, long step)
    {
        if (!File.Exists(path)) return 0;
        var (content, lines) = ReadLines(path);
        string temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        int removed = 0;
        try
        {
            using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                foreach (var line in lines)
                {
                    if (line.Record.Step > step)
                    {
                        removed++;
                        continue;
                    }
                    output.Write(content, line.Start, line.Length);
                    output.WriteByte((byte)'\n');
                }
                // The rename must not become visible before the data it points to is on disk.
                output.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
        return removed;
    }

    /// <summary>A record and where its line lies in the file, newline excluded.</summary>
    private readonly record struct Line(int Start, int Length, MetricsRecord Record);

    private static (byte[] Content, List<Line> Lines) ReadLines(string path)
    {
        byte[] content;
        using (var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            content = new byte[input.Length];
            input.ReadExactly(content);
        }
        var lines = new List<Line>();
        int start = 0, lineNumber = 0;
        while (start < content.Length)
        {
            lineNumber++;
            int newline = content.AsSpan(start).IndexOf((byte)'\n');
            bool complete = newline >= 0;
            int lineStart = start;
            var bytes = content.AsSpan(start, complete ? newline : content.Length - start);
            start += bytes.Length + 1;
            if (bytes.Trim(" \t\r"u8).IsEmpty) continue;
            MetricsRecord record;
            try
            {
                record = Parse(bytes, lineNumber);
            }
            catch (Exception e) when (e is JsonException or InvalidDataException)
            {
                if (!complete) break;
                throw new InvalidDataException($"{path} line {lineNumber} is not a metrics record: {e.Message}", e);
            }
            lines.Add(new Line(lineStart, bytes.Length, record));
        }
        return (content, lines);
    }

    private static MetricsRecord Parse(ReadOnlySpan<byte> line, int lineNumber)
    {
        var reader = new Utf8JsonReader(line);
        // ParseValue's element owns a copy of its bytes, so there is no document to dispose.
        var root = JsonElement.ParseValue(ref reader);
        if (reader.Read()) throw new InvalidDataException("text follows the JSON object");
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"it is a JSON {root.ValueKind}, not an object");
        var fields = new OrderedDictionary<string, JsonElement>();
        foreach (var property in root.EnumerateObject())
            if (!fields.TryAdd(property.Name, property.Value)) throw new InvalidDataException($"field '{property.Name}' appears twice");
        long? step = null;
        if (fields.TryGetValue(StepField, out var stepValue))
        {
            if (stepValue.ValueKind != JsonValueKind.Number || !stepValue.TryGetInt64(out long parsed))
                throw new InvalidDataException($"its step is {stepValue.GetRawText()}, not an integer");
            step = parsed;
        }
        return new MetricsRecord(lineNumber, fields, step);
    }

    private static long EndOfLastCompleteLine(FileStream stream)
    {
        Span<byte> block = stackalloc byte[4096];
        long end = stream.Length;
        while (end > 0)
        {
            int size = (int)Math.Min(block.Length, end);
            stream.Position = end - size;
            var part = block[..size];
            stream.ReadExactly(part);
            int newline = part.LastIndexOf((byte)'\n');
            if (newline >= 0) return end - size + newline + 1;
            end -= size;
        }
        return 0;
    }
}
