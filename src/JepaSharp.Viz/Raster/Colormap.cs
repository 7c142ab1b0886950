namespace JepaSharp.Viz.Raster;

/// <summary>
/// A colormap: evenly spaced control colours over [0, 1], linearly interpolated in sRGB. Viridis and magma use every
/// 15th of matplotlib's 256 published entries (_cm_listed.py, entries 0, 15, …, 255); the diverging map is matplotlib's RdBu_r (the 11 ColorBrewer RdBu colours, reversed: blue for
/// low, near-white at the centre, red for high).
/// </summary>
public sealed class Colormap
{
    private readonly double[] points; // r, g, b in [0, 1] per control point

    private Colormap(string name, double[] points)
    {
        Name = name;
        this.points = points;
    }

    public string Name { get; }

    public static Colormap Viridis { get; } = new("viridis",
    [
        0.267004, 0.004874, 0.329415, 0.281924, 0.089666, 0.412415, 0.280255, 0.165693, 0.476498,
        0.263663, 0.237631, 0.518762, 0.237441, 0.305202, 0.541921, 0.208623, 0.367752, 0.552675,
        0.182256, 0.426184, 0.557120, 0.159194, 0.482237, 0.558073, 0.137770, 0.537492, 0.554906,
        0.121148, 0.592739, 0.544641, 0.128087, 0.647749, 0.523491, 0.180653, 0.701402, 0.488189,
        0.274149, 0.751988, 0.436601, 0.395174, 0.797475, 0.367757, 0.535621, 0.835785, 0.281908,
        0.688944, 0.865448, 0.182725, 0.845561, 0.887322, 0.099702, 0.993248, 0.906157, 0.143936,
    ]);

    public static Colormap Magma { get; } = new("magma",
    [
        0.001462, 0.000466, 0.013866, 0.035520, 0.028397, 0.125209, 0.102815, 0.063010, 0.257854,
        0.191460, 0.064818, 0.396152, 0.291366, 0.064553, 0.475462, 0.384299, 0.097855, 0.501002,
        0.475780, 0.134577, 0.507921, 0.569172, 0.167454, 0.504105, 0.664915, 0.198075, 0.488836,
        0.761077, 0.231214, 0.460162, 0.852126, 0.276106, 0.418573, 0.925937, 0.346844, 0.374959,
        0.969680, 0.446936, 0.360311, 0.989363, 0.557873, 0.391671, 0.996580, 0.668256, 0.456192,
        0.996727, 0.776795, 0.541039, 0.992440, 0.884330, 0.640099, 0.987053, 0.991438, 0.749504,
    ]);

    public static Colormap Diverging { get; } = FromHex("RdBu_r",
        "#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f");

    private static Colormap FromHex(string name, params string[] colours)
        => new(name, colours.SelectMany(c => { var rgb = Rgb.FromHex(c); return new[] { rgb.R / 255.0, rgb.G / 255.0, rgb.B / 255.0 }; }).ToArray());

    /// <summary>The colour at <paramref name="t"/>, clamped to [0, 1]; NaN gives the lowest colour.</summary>
    public Rgb Map(double t)
    {
        int segments = points.Length / 3 - 1;
        double position = double.IsNaN(t) ? 0 : Math.Clamp(t, 0, 1) * segments;
        int i = Math.Min((int)position, segments - 1);
        double f = position - i;
        return new Rgb(Channel(i, 0, f), Channel(i, 1, f), Channel(i, 2, f));
    }

    /// <summary>The colour of <paramref name="value"/> on the scale [<paramref name="min"/>, <paramref name="max"/>] (the middle when the range is empty).</summary>
    public Rgb Map(double value, double min, double max) => Map(max > min ? (value - min) / (max - min) : 0.5);

    private byte Channel(int segment, int channel, double f)
    {
        double a = points[segment * 3 + channel], b = points[(segment + 1) * 3 + channel];
        return (byte)Math.Round(255 * (a + (b - a) * f));
    }
}
