namespace JepaSharp.Viz.Raster;

/// <summary>An opaque 8-bit sRGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static Rgb Black => new(0, 0, 0);
    public static Rgb White => new(255, 255, 255);

    /// <summary>The colour as <c>#rrggbb</c> (SVG and CSS).</summary>
    public string ToHex() => $"#{R:x2}{G:x2}{B:x2}";

    /// <summary>A colour written as <c>#rrggbb</c>.</summary>
    public static Rgb FromHex(string hex)
    {
        if (hex.Length != 7 || hex[0] != '#' || !uint.TryParse(hex.AsSpan(1), System.Globalization.NumberStyles.HexNumber, null, out uint v))
            throw new ArgumentException($"'{hex}' is not a #rrggbb colour");
        return new((byte)(v >> 16), (byte)(v >> 8), (byte)v);
    }

    /// <summary>(1 − alpha)·this + alpha·over, rounded per channel.</summary>
    public Rgb Blend(Rgb over, double alpha) => new(Mix(R, over.R, alpha), Mix(G, over.G, alpha), Mix(B, over.B, alpha));

    internal static byte Mix(byte under, byte over, double alpha) => alpha >= 1 ? over : (byte)Math.Clamp(Math.Round(under + (over - under) * alpha), 0, 255);

    /// <summary>
    /// Distinct, colour-blind-friendly colours (Okabe–Ito) for categories such as target blocks: orange,
    /// sky blue, bluish green, yellow, blue, vermillion, reddish purple, then repeating.
    /// </summary>
    public static Rgb Category(int index) => Categories[index % Categories.Length];

    private static readonly Rgb[] Categories =
    [
        FromHex("#e69f00"), FromHex("#56b4e9"), FromHex("#009e73"), FromHex("#f0e442"),
        FromHex("#0072b2"), FromHex("#d55e00"), FromHex("#cc79a7"),
    ];
}
