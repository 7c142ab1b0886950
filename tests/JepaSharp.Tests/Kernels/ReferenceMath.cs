namespace JepaSharp.Tests.Kernels;

/// <summary>Double-precision special functions the kernel tests measure against (accurate to ~1e-15).</summary>
public static class ReferenceMath
{
    /// <summary>erf by the all-positive series erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3···(2n+1)), which has no cancellation.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        if (Math.Abs(x) >= 2.5) return Math.Sign(x) * (1 - Erfc(Math.Abs(x)));
        double sum = 0, term = x;
        for (int n = 1; Math.Abs(term) > 1e-18 * Math.Abs(sum) || n < 3; n++)
        {
            sum += term;
            term *= 2 * x * x / (2 * n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    /// <summary>erfc with relative accuracy in the upper tail: a 100-term continued fraction for x ≥ 1.5.</summary>
    public static double Erfc(double x)
    {
        if (x < 0) return 2 - Erfc(-x);
        if (x < 1.5) return 1 - Erf(x);
        double f = x;
        for (int n = 100; n >= 1; n--) f = x + n / 2.0 / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    /// <summary>The standard normal CDF Φ(x) = ½·erfc(−x/√2).</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>The standard normal density φ(x).</summary>
    public static double NormalPdf(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    /// <summary>exact GELU x·Φ(x).</summary>
    public static double Gelu(double x) => x * NormalCdf(x);

    /// <summary>d/dx GELU = Φ(x) + x·φ(x).</summary>
    public static double GeluGrad(double x) => NormalCdf(x) + x * NormalPdf(x);

    /// <summary>The spacing of floats at |v| (normal range), used to express errors in ulps.</summary>
    public static double Ulp(double v)
    {
        double a = Math.Abs(v);
        if (a < float.Epsilon) return float.Epsilon;
        int e = Math.Max(Math.ILogB(a), -126);
        return Math.ScaleB(1.0, e - 23);
    }
}
