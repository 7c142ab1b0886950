namespace JepaSharp.Nn;

/// <summary>Parameter initialisers, deterministic for a given <see cref="Random"/>.</summary>
public static class Init
{
    /// <summary>
    /// Normal(0, std²) resampled into [a, b] (PyTorch's trunc_normal_; I-JEPA passes the absolute
    /// bounds ±2 with std 0.02, which makes it a plain normal in practice).
    /// </summary>
    public static void TruncNormal(Span<float> values, Random rng, double std, double a = -2, double b = 2)
    {
        for (int i = 0; i < values.Length; i++)
        {
            double v;
            do
            {
                double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                v = std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            } while (v < a || v > b);
            values[i] = (float)v;
        }
    }
}
