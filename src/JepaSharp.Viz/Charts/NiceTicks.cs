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
    /// <summary>
    /// The step of 1, 2 or 5 × 10^k nearest to <paramref name="rough"/> (Heckbert's rounding: mantissas below 1.5 → 1,
    /// below 3 → 2, below 7 → 5, else 10), so the tick count stays near the target and little of the axis is empty.
    /// </summary>
    public static double NiceStep(double rough)
    {
        if (!(rough > 0) || !double.IsFinite(rough)) throw new ArgumentOutOfRangeException(nameof(rough), rough, "a tick step must be positive and finite");
        double decade = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double mantissa = rough / decade;
        return decade * (mantissa < 1.5 ? 1 : mantissa < 3 ? 2 : mantissa < 7 ? 5 : 10);
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
        // k / (1/step) with both exact integers is the double nearest to k·step (3 / 10 = 0.3, unlike 3 * 0.1).
        double inverse = step < 1 ? Math.Round(1 / step) : 0;
        for (int i = 0; i < ticks.Length; i++) ticks[i] = step < 1 ? (first + i) / inverse : (first + i) * step;
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

    /// <summary>
    /// Labels for ticks: as many decimals as the step needs; for magnitudes ≥ 1e5 or steps below 1e-3, one shared
    /// power of ten with as many mantissa digits as the step needs (so neighbouring labels never coincide).
    /// </summary>
    public static string[] Labels(IReadOnlyList<double> ticks, AxisScale scale)
    {
        if (scale == AxisScale.Log)
            return [.. ticks.Select(t => Math.Abs(t) >= 1e5 || Math.Abs(t) < 1e-3 ? Scientific(t, Exponent(t), 0) : t.ToString("0.###", CultureInfo.InvariantCulture))];
        double largest = ticks.Max(t => Math.Abs(t));
        double step = ticks.Count > 1 ? Math.Abs(ticks[1] - ticks[0]) : Math.Max(largest, 1);
        int stepExponent = Exponent(step);
        if (largest >= 1e5 || step < 1e-3)
        {
            int exponent = Exponent(largest);
            return [.. ticks.Select(t => Scientific(t, exponent, Math.Clamp(exponent - stepExponent, 0, 12)))];
        }
        string format = "F" + Math.Max(0, -stepExponent);
        return [.. ticks.Select(t => t.ToString(format, CultureInfo.InvariantCulture))];
    }

    private static int Exponent(double value) => value == 0 ? 0 : (int)Math.Floor(Math.Log10(Math.Abs(value)) + 1e-9);

    private static string Scientific(double value, int exponent, int digits) =>
        value == 0 ? "0" : $"{(value / Math.Pow(10, exponent)).ToString("F" + digits, CultureInfo.InvariantCulture)}e{exponent}";

    private static void RequireRange(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || max < min)
            throw new ArgumentException($"axis range [{min}, {max}] must be finite with min ≤ max");
    }
}
