namespace JepaSharp.Nn;

/// <summary>Fixed sine-cosine position tables, computed in double and stored as float (as the official code does with numpy).</summary>
public static class PositionEmbedding
{
    /// <summary>
    /// I-JEPA / MAE 2-D table for a gridH × gridW grid, row-major tokens n = row·gridW + column:
    /// channels [0, D/2) encode the column and [D/2, D) the row (recipe Q10), each half laid out
    /// [sin(p·ω_0..ω_{D/4−1}), cos(p·ω_0..)] with ω_k = 10000^(−k/(D/4)).
    /// </summary>
    public static void SinCos2D(Span<float> table, int dim, int gridH, int gridW)
    {
        if (dim % 4 != 0) throw new ArgumentException($"2-D sin-cos position embedding needs a width divisible by 4, got {dim}");
        if (table.Length != dim * gridH * gridW) throw new ArgumentException($"table of {table.Length} floats for a {gridH}x{gridW} grid of width {dim}");
        int half = dim / 2;
        for (int r = 0; r < gridH; r++)
            for (int c = 0; c < gridW; c++)
            {
                var row = table.Slice((r * gridW + c) * dim, dim);
                SinCos1D(row[..half], c);
                SinCos1D(row[half..], r);
            }
    }

    private static void SinCos1D(Span<float> dst, int position)
    {
        int quarter = dst.Length / 2;
        for (int k = 0; k < quarter; k++)
        {
            double omega = 1.0 / Math.Pow(10000.0, k / (double)quarter);
            dst[k] = (float)Math.Sin(position * omega);
            dst[quarter + k] = (float)Math.Cos(position * omega);
        }
    }
}
