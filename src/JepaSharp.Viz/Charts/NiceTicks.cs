using System.Globalization;

namespace JepaSharp.Viz.Charts;

public enum AxisScale
{
    Linear,
    /// <summary>Base 10; values ≤ 0 cannot be placed and are skipped.</summary>
    Log,
}

/// <summary>
/// Tick placement people can read: linear axes step by 1, 2 or 5 × 10^k and the axis range is widened to
/// whole steps, so the first and last ticks enclose the data; log axes tick at decades (with 2 and 5 between
/// them when the range spans few decades).
/// </summary>
public static class NiceTicks
{
    /// <summary>The smallest of 1, 2, 5 × 10^k that is at least <paramref name="rough"/>.</summary>
    public static double NiceStep(double rough)
    {
        if (!(rough > 0) || !double.IsFinite(rough)) throw new ArgumentOutOfRangeException(nameof(rough), rough, "a tick step must be positive and finite");
        double decade = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        foreach (double m in (ReadOnlySpan<double>)[1, 2, 5, 10])
            if (m * decade >= rough * (1 - 1e-9)) return m * decade;
        return 10 * decade;
    }

    /// <summary>Ticks of a linear axis over [min, max] with about <paramref name="target"/> intervals; the first tick ≤ min, the last ≥ max.</summary>
    public static double[] Linear(double min, double max, int target = 5)
    {
        RequireRange(min, max);
        if (max == min)
        {
            double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            (min, max) = (min - pad, max + pad);
        }
        double step = NiceStep((max - min) / Math.Max(1, target));
        double first = Math.Floor(min / step + 1e-9), last = Math.Ceiling(max / step - 1e-9);
        var ticks = new double[(int)(last - first) + 1];
        // Multiplying the integer index (not accumulating) keeps 0.1 + 0.2 noise out of the labels.
        for (int i = 0; i < ticks.Length; i++) ticks[i] = Math.Round((first + i) * step, 12);
        return ticks;
    }

    /// <summary>Ticks of a log axis over [min, max] (both &gt; 0): whole decades enclosing the range, thinned or filled in with 2 and 5.</summary>
    public static double[] Log(double min, double max, int target = 5)
    {
        RequireRange(min, max);
        if (!(min > 0)) throw new ArgumentOutOfRangeException(nameof(min), min, "a log axis needs positive values");
        int lo = (int)Math.Floor(Math.Log10(min) + 1e-9), hi = (int)Math.Ceiling(Math.Log10(max) - 1e-9);
        if (hi == lo) hi++;
        int decades = hi - lo;
        var ticks = new List<double>();
        int every = Math.Max(1, (int)Math.Ceiling(decades / (double)Math.Max(1, target)));
        for (int e = lo; e <= hi; e++)
        {
            double decade = Math.Pow(10, e);
            if ((e - lo) % every == 0 || e == hi) ticks.Add(decade);
            if (decades <= 2 && e < hi) ticks.AddRange([2 * decade, 5 * decade]);
        }
        ticks.Sort();
        return [.. ticks];
    }

    /// <summary>Labels for ticks: as few decimals as the step needs, scientific notation for very large or small magnitudes.</summary>
    public static string[] Labels(IReadOnlyList<double> ticks, AxisScale scale)
    {
        double largest = ticks.Max(t => Math.Abs(t));
        double smallestNonZero = ticks.Where(t => t != 0).Select(Math.Abs).DefaultIfEmpty(1).Min();
        bool scientific = largest >= 1e5 || smallestNonZero < 1e-3;
        if (scale == AxisScale.Log || scientific)
            return [.. ticks.Select(t => scientific ? Scientific(t) : t.ToString("0.###", CultureInfo.InvariantCulture))];
        double step = ticks.Count > 1 ? Math.Abs(ticks[1] - ticks[0]) : Math.Max(largest, 1);
        int decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(step) + 1e-9), 0, 10);
        return [.. ticks.Select(t => t.ToString("F" + decimals, CultureInfo.InvariantCulture))];
    }

    private static string Scientific(double value)
    {
        if (value == 0) return "0";
        int exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)) + 1e-9);
        double mantissa = Math.Round(value / Math.Pow(10, exponent), 3);
        string m = mantissa.ToString("0.###", CultureInfo.InvariantCulture);
        return m == "1" ? $"1e{exponent}" : m == "-1" ? $"-1e{exponent}" : $"{m}e{exponent}";
    }

    private static void RequireRange(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || max < min)
            throw new ArgumentException($"axis range [{min}, {max}] must be finite with min ≤ max");
    }
}
