using System.Text.Json;

namespace JepaSharp.Jepa.Logging;

/// <summary>
/// One value of a <see cref="MetricsLog"/> record: an integer, a floating-point number or a
/// string. Converts implicitly, so fields read <c>("loss", 0.41f)</c>.
/// </summary>
public readonly struct MetricValue
{
    private enum Kind { Integer, Single, Double, String }

    private readonly Kind _kind;
    private readonly long _integer;
    private readonly double _number;
    private readonly string? _text;

    private MetricValue(Kind kind, long integer = 0, double number = 0, string? text = null)
    {
        _kind = kind;
        _integer = integer;
        _number = number;
        _text = text;
    }

    public static implicit operator MetricValue(int value) => new(Kind.Integer, integer: value);

    public static implicit operator MetricValue(long value) => new(Kind.Integer, integer: value);

    /// <summary>A float is written in its own shortest form (0.1f as 0.1, not 0.10000000149011612).</summary>
    public static implicit operator MetricValue(float value) => new(Kind.Single, number: value);

    public static implicit operator MetricValue(double value) => new(Kind.Double, number: value);

    public static implicit operator MetricValue(string value) => new(Kind.String, text: value ?? throw new ArgumentNullException(nameof(value)));

    internal void WriteTo(Utf8JsonWriter writer, string name)
    {
        switch (_kind)
        {
            case Kind.Integer:
                writer.WriteNumber(name, _integer);
                break;
            case Kind.String:
                writer.WriteString(name, _text);
                break;
            // JSON has no NaN or infinities; a diverging loss must still be logged, so they are
            // written as the strings System.Text.Json's named-literal option uses.
            case Kind.Single or Kind.Double when !double.IsFinite(_number):
                writer.WriteString(name, double.IsNaN(_number) ? "NaN" : _number > 0 ? "Infinity" : "-Infinity");
                break;
            case Kind.Single:
                writer.WriteNumber(name, (float)_number);
                break;
            default:
                writer.WriteNumber(name, _number);
                break;
        }
    }
}
