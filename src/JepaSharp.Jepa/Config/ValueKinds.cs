using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace JepaSharp.Jepa.Config;

/// <summary>
/// How one value type is read from and written to YAML. Files and command-line overrides go
/// through the same kinds, so <c>--optimization.ema [0.99,0.999]</c> obeys exactly the rules of
/// the file. Parse failures throw <see cref="FormatException"/> whose message says what was
/// expected; the caller adds file, line and key.
/// </summary>
internal sealed class ValueKind<T>(Func<YamlNode, T> parse, Func<T, YamlNode> write)
{
    public T Parse(YamlNode node) => parse(node);
    public YamlNode Write(T value) => write(value);
}

internal static class ValueKinds
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static readonly ValueKind<int> Int = new(node => ParseInt(Scalar(node, "an integer")), WriteInt);
    public static readonly ValueKind<int?> OptionalInt = new(node => IsNull(node) ? null : ParseInt(Scalar(node, "an integer or null")),
        value => value is { } v ? WriteInt(v) : Null());
    public static readonly ValueKind<double> Number = new(node => ParseNumber(Scalar(node, "a number")), WriteNumber);
    public static readonly ValueKind<double?> OptionalNumber = new(node => IsNull(node) ? null : ParseNumber(Scalar(node, "a number or null")),
        value => value is { } v ? WriteNumber(v) : Null());
    public static readonly ValueKind<bool> Bool = new(node => ParseBool(Scalar(node, "true or false")), value => Plain(value ? "true" : "false"));
    public static readonly ValueKind<string> Text = new(node => IsNull(node) ? throw new FormatException("expected a string, got null") : Scalar(node, "a string").Value ?? "",
        WriteText);
    public static readonly ValueKind<string?> OptionalText = new(node => IsNull(node) ? null : Scalar(node, "a string or null").Value,
        value => value is null ? Null() : WriteText(value));
    public static readonly ValueKind<ValueRange> Range = new(node =>
        {
            var pair = Numbers(node, "[min, max]", exactCount: 2);
            return new ValueRange(pair[0], pair[1]);
        },
        range => FlowSequence(range.Min, range.Max));
    public static readonly ValueKind<EmaRange> Ema = new(node =>
        {
            var pair = Numbers(node, "[start, end]", exactCount: 2);
            return new EmaRange(pair[0], pair[1]);
        },
        ema => FlowSequence(ema.Start, ema.End));
    public static readonly ValueKind<double[]> NumberList = new(node => Numbers(node, "a list of numbers", exactCount: null),
        values => FlowSequence(values));

    /// <summary>An enum spelled by fixed lower-case names (e.g. <c>fashion-mnist</c>).</summary>
    public static ValueKind<TEnum> Choice<TEnum>(params (string Name, TEnum Value)[] choices) where TEnum : struct, Enum
    {
        string allowed = string.Join(", ", choices.Select(c => c.Name));
        return new ValueKind<TEnum>(node =>
            {
                var scalar = Scalar(node, $"one of {allowed}");
                foreach (var (name, value) in choices)
                    if (name == scalar.Value) return value;
                throw new FormatException($"expected one of {allowed}, got {Quote(scalar)}");
            },
            value => Plain(choices.First(c => c.Value.Equals(value)).Name));
    }

    /// <summary>
    /// Formats a double so that it reads back bit-identically AND as a float in PyYAML (whose
    /// YAML 1.1 resolver needs a '.' in the mantissa: <c>1e-06</c> would be a string there, so
    /// params files stay readable by the official Python code): <c>0.001</c>, <c>1.0</c>, <c>1.0e-06</c>.
    /// </summary>
    public static string FormatNumber(double value)
    {
        if (double.IsNaN(value)) return ".nan";
        if (double.IsInfinity(value)) return value > 0 ? ".inf" : "-.inf";
        string text = value.ToString("R", Invariant);
        int e = text.IndexOf('E');
        string mantissa = e < 0 ? text : text[..e];
        if (!mantissa.Contains('.')) mantissa += ".0";
        if (e < 0) return mantissa;
        int exponent = int.Parse(text[(e + 1)..], Invariant);
        return $"{mantissa}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
    }

    /// <summary>Short human form of a node for messages: <c>abc</c>, <c>[0.5, 2]</c>, <c>null</c>.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode scalar => IsNull(scalar) ? "null" : scalar.Value ?? "",
        YamlSequenceNode sequence => $"[{string.Join(", ", sequence.Children.Select(Describe))}]",
        YamlMappingNode mapping => $"{{{string.Join(", ", mapping.Children.Select(kv => $"{Describe(kv.Key)}: {Describe(kv.Value)}"))}}}",
        _ => node.ToString(),
    };

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static YamlScalarNode Scalar(YamlNode node, string expected) =>
        node as YamlScalarNode ?? throw new FormatException($"expected {expected}, got {Describe(node)}");

    private static int ParseInt(YamlScalarNode node) =>
        int.TryParse(node.Value, NumberStyles.AllowLeadingSign, Invariant, out int value)
            ? value
            : throw new FormatException($"expected an integer, got {Quote(node)}");

    private static double ParseNumber(YamlScalarNode node)
    {
        string text = node.Value ?? "";
        // YAML spells the special floats .inf/.nan; .NET would also take "Infinity"/"NaN". None is a usable setting.
        if (double.TryParse(text, NumberStyles.Float, Invariant, out double value) && double.IsFinite(value)) return value;
        throw new FormatException($"expected a finite number, got {Quote(node)}");
    }

    private static bool ParseBool(YamlScalarNode node) => (node.Value ?? "").ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new FormatException($"expected true or false, got {Quote(node)}"),
    };

    private static double[] Numbers(YamlNode node, string expected, int? exactCount)
    {
        if (node is not YamlSequenceNode sequence)
            throw new FormatException($"expected {expected}, got {Describe(node)}");
        if (exactCount is { } count && sequence.Children.Count != count)
            throw new FormatException($"expected {expected} ({count} numbers), got {sequence.Children.Count}: {Describe(node)}");
        if (sequence.Children.Count == 0)
            throw new FormatException($"expected {expected}, got an empty list");
        var values = new double[sequence.Children.Count];
        for (int i = 0; i < values.Length; i++)
        {
            try
            {
                values[i] = ParseNumber(Scalar(sequence.Children[i], "a number"));
            }
            catch (FormatException)
            {
                throw new FormatException($"expected {expected}, got {Describe(node)} (item {i + 1} is not a finite number)");
            }
        }
        return values;
    }

    private static string Quote(YamlScalarNode node) => IsNull(node) ? "null" : $"'{node.Value}'";

    private static YamlNode WriteInt(int value) => Plain(value.ToString(Invariant));

    private static YamlNode WriteNumber(double value) => Plain(FormatNumber(value));

    private static YamlNode Null() => Plain("null");

    /// <summary>Quotes strings that a YAML reader would otherwise take for null, a bool or a number.</summary>
    private static YamlNode WriteText(string value)
    {
        bool ambiguous = IsNull(new YamlScalarNode(value))
                         || value.ToLowerInvariant() is "true" or "false" or "yes" or "no" or "on" or "off"
                         || value.ToLowerInvariant() is ".inf" or "+.inf" or "-.inf" or ".nan"
                         || double.TryParse(value, NumberStyles.Float, Invariant, out _);
        return new YamlScalarNode(value) { Style = ambiguous ? ScalarStyle.DoubleQuoted : ScalarStyle.Any };
    }

    private static YamlScalarNode Plain(string text) => new(text) { Style = ScalarStyle.Plain };

    private static YamlSequenceNode FlowSequence(params double[] values) =>
        new(values.Select(v => (YamlNode)Plain(FormatNumber(v)))) { Style = SequenceStyle.Flow };
}
