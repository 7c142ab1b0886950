namespace JepaSharp.Jepa.Masks;

/// <summary>Block sizes as the official <c>_sample_block_size</c> computes them, plus the exact smallest size a range can yield.</summary>
internal static class BlockSizes
{
    /// <summary>
    /// Draws a block size. Faithful mode reuses the scale's uniform for the aspect ratio (Q3), so
    /// small blocks are always wide and large ones tall; fixed mode draws the two independently.
    /// </summary>
    public static (int Height, int Width) Sample(MaskRandom random, Interval scale, Interval aspect, int gridHeight, int gridWidth, MaskMode mode)
    {
        double scaleDraw = random.NextDouble();
        double aspectDraw = mode == MaskMode.Faithful ? scaleDraw : random.NextDouble();
        return FromDraws(scaleDraw, aspectDraw, scale, aspect, gridHeight, gridWidth, mode);
    }

    /// <summary>The size for uniforms <paramref name="scaleDraw"/> and <paramref name="aspectDraw"/> in [0, 1).</summary>
    public static (int Height, int Width) FromDraws(double scaleDraw, double aspectDraw, Interval scale, Interval aspect, int gridHeight, int gridWidth, MaskMode mode) =>
        FromKeep(Keep(scale.Lerp(scaleDraw), gridHeight, gridWidth), aspect.Lerp(aspectDraw), gridHeight, gridWidth, mode);

    /// <summary>
    /// The smallest block (by area) that <see cref="Sample"/> can return for these ranges, found by
    /// evaluating every piece on which the rounded height and width are constant. Used to prove at
    /// construction that every drawn block can hold more than MinKeep patches.
    /// </summary>
    public static (int Height, int Width) Smallest(Interval scale, Interval aspect, int gridHeight, int gridWidth, MaskMode mode)
    {
        var smallest = (Height: int.MaxValue, Width: 1);
        for (int keep = Keep(scale.Min, gridHeight, gridWidth); keep <= Keep(scale.Max, gridHeight, gridWidth); keep++)
        {
            var aspects = mode == MaskMode.Faithful ? AspectsDrawnWithKeep(keep, scale, aspect, gridHeight * gridWidth) : aspect;
            foreach (double ratio in AspectsCoveringEveryRounding(keep, aspects))
            {
                var size = FromKeep(keep, ratio, gridHeight, gridWidth, mode);
                if ((long)size.Height * size.Width < (long)smallest.Height * smallest.Width) smallest = size;
            }
        }
        return smallest;
    }

    // Python's int(H * W * s): same operation order, truncation towards zero.
    private static int Keep(double scale, int gridHeight, int gridWidth) => (int)(gridHeight * gridWidth * scale);

    private static (int Height, int Width) FromKeep(int keep, double aspect, int gridHeight, int gridWidth, MaskMode mode)
    {
        // Math.Round rounds half to even, like Python's round().
        int height = (int)Math.Round(Math.Sqrt(keep * aspect));
        int width = (int)Math.Round(Math.Sqrt(keep / aspect));
        // Faithful: "while h >= H: h -= 1" keeps every block off the full grid (Q2).
        int spare = mode == MaskMode.Faithful ? 1 : 0;
        return (Math.Min(height, gridHeight - spare), Math.Min(width, gridWidth - spare));
    }

    /// <summary>In faithful mode one uniform drives scale and aspect: the aspect ratios that occur together with <paramref name="keep"/>.</summary>
    private static Interval AspectsDrawnWithKeep(int keep, Interval scale, Interval aspect, int patchCount)
    {
        double span = scale.Max - scale.Min;
        if (span == 0) return aspect;
        double first = Math.Clamp(((double)keep / patchCount - scale.Min) / span, 0, 1);
        double last = Math.Clamp(((double)(keep + 1) / patchCount - scale.Min) / span, 0, 1);
        return new Interval(aspect.Lerp(first), aspect.Lerp(last));
    }

    /// <summary>
    /// The ends of <paramref name="aspects"/>, every ratio where round(sqrt(keep·ar)) or
    /// round(sqrt(keep/ar)) steps, and a point strictly between each pair of neighbours.
    /// </summary>
    private static List<double> AspectsCoveringEveryRounding(int keep, Interval aspects)
    {
        var steps = new List<double> { aspects.Min, aspects.Max };
        if (keep > 0)
        {
            // Height steps where keep·ar = (j + ½)², width where keep/ar = (j + ½)².
            for (int j = (int)Math.Floor(Math.Sqrt(keep * aspects.Min)); j + 0.5 <= Math.Sqrt(keep * aspects.Max); j++)
                steps.Add((j + 0.5) * (j + 0.5) / keep);
            for (int j = (int)Math.Floor(Math.Sqrt(keep / aspects.Max)); j + 0.5 <= Math.Sqrt(keep / aspects.Min); j++)
                steps.Add(keep / ((j + 0.5) * (j + 0.5)));
        }
        steps.RemoveAll(ratio => ratio < aspects.Min || ratio > aspects.Max);
        steps.Sort();
        int count = steps.Count;
        for (int i = 1; i < count; i++) steps.Add(0.5 * (steps[i - 1] + steps[i]));
        return steps;
    }
}
