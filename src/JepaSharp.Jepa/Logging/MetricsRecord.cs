using System.Text.Json;

namespace JepaSharp.Jepa.Logging;

/// <summary>One line of a <c>metrics.jsonl</c> file, fields in the order they were written.</summary>
public sealed class MetricsRecord
{
    internal MetricsRecord(int lineNumber, OrderedDictionary<string, JsonElement> fields, long? step)
    {
        LineNumber = lineNumber;
        Fields = fields;
        Step = step;
    }

    /// <summary>The 1-based line of the file this record came from.</summary>
    public int LineNumber { get; }

    public IReadOnlyDictionary<string, JsonElement> Fields { get; }

    /// <summary>The integer <c>step</c> field, which <see cref="MetricsLog"/> writes first on every line; null when absent.</summary>
    public long? Step { get; }

    public JsonElement this[string name] => Fields.TryGetValue(name, out var value)
        ? value
        : throw new KeyNotFoundException($"metrics line {LineNumber} has no field '{name}'");

    /// <summary>A numeric field, including the "NaN" and "±Infinity" strings that stand for non-finite values.</summary>
    public double GetDouble(string name)
    {
        var value = this[name];
        if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
        if (value.ValueKind == JsonValueKind.String)
        {
            switch (value.GetString())
            {
                case "NaN": return double.NaN;
                case "Infinity": return double.PositiveInfinity;
                case "-Infinity": return double.NegativeInfinity;
            }
        }
        throw new FormatException($"metrics line {LineNumber}: field '{name}' is {value.GetRawText()}, not a number");
    }

    public string GetString(string name)
    {
        var value = this[name];
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"metrics line {LineNumber}: field '{name}' is {value.GetRawText()}, not a string");
    }
}
