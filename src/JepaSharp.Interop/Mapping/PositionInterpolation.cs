namespace JepaSharp.Interop.Mapping;

/// <summary>
/// Resamples a position table [gh·gw, D] (row-major grid, no class token) to another grid size
/// with bicubic interpolation, matching PyTorch's F.interpolate(mode="bicubic",
/// align_corners=False): output cell x samples source coordinate (x + 0.5)·in/out − 0.5 with
/// the cubic-convolution kernel (A = −0.75) over 4×4 neighbours, indices clamped at the border.
/// The official I-JEPA helper assumes a class token that does not exist (recipe Q12); this one doesn't.
/// </summary>
public static class PositionInterpolation
{
    private const double A = -0.75;

    public static float[] Bicubic(ReadOnlySpan<float> source, int sourceHeight, int sourceWidth, int height, int width, int dim)
    {
        if (source.Length != (long)sourceHeight * sourceWidth * dim)
            throw new ArgumentException($"position table of {source.Length} values is not {sourceHeight}x{sourceWidth}x{dim}", nameof(source));
        var (rowIndex, rowWeight) = Taps(sourceHeight, height);
        var (colIndex, colWeight) = Taps(sourceWidth, width);
        var result = new float[height * width * dim];
        var accumulator = new double[dim];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                Array.Clear(accumulator);
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                    {
                        double w = rowWeight[y * 4 + i] * colWeight[x * 4 + j];
                        var cell = source.Slice((rowIndex[y * 4 + i] * sourceWidth + colIndex[x * 4 + j]) * dim, dim);
                        for (int c = 0; c < dim; c++) accumulator[c] += w * cell[c];
                    }
                var output = result.AsSpan((y * width + x) * dim, dim);
                for (int c = 0; c < dim; c++) output[c] = (float)accumulator[c];
            }
        return result;
    }

    // Per output index: the 4 clamped source indices and their cubic weights.
    private static (int[] Index, double[] Weight) Taps(int inSize, int outSize)
    {
        var index = new int[outSize * 4];
        var weight = new double[outSize * 4];
        double scale = (double)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            double real = scale * (o + 0.5) - 0.5;
            int floor = (int)Math.Floor(real);
            double t = real - floor;
            double[] w = [Cubic(t + 1), Cubic(t), Cubic(1 - t), Cubic(2 - t)];
            for (int k = 0; k < 4; k++)
            {
                index[o * 4 + k] = Math.Clamp(floor - 1 + k, 0, inSize - 1);
                weight[o * 4 + k] = w[k];
            }
        }
        return (index, weight);
    }

    // Keys' cubic convolution kernel with a = −0.75 (as PyTorch and OpenCV).
    private static double Cubic(double x)
    {
        x = Math.Abs(x);
        return x <= 1 ? ((A + 2) * x - (A + 3)) * x * x + 1
            : x < 2 ? ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
            : 0;
    }
}
