namespace JepaSharp.Jepa.Masks;

/// <summary>A closed range of reals from which a mask scale or aspect ratio is drawn.</summary>
public readonly record struct Interval(double Min, double Max)
{
    /// <summary>The point a fraction <paramref name="u"/> of the way from Min to Max (u in [0, 1)).</summary>
    public double Lerp(double u) => Min + u * (Max - Min);

    public static implicit operator Interval((double Min, double Max) range) => new(range.Min, range.Max);

    public override string ToString() => $"[{Min}, {Max}]";
}
