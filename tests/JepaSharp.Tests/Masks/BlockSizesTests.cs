using JepaSharp.Jepa.Masks;
using Xunit;

namespace JepaSharp.Tests.Masks;

public class BlockSizesTests
{
    public static TheoryData<int, double, double, double, double, MaskMode> Ranges() => new()
    {
        { 7, 0.15, 0.2, 0.75, 1.5, MaskMode.Fixed },
        { 7, 0.15, 0.2, 0.75, 1.5, MaskMode.Faithful },
        { 7, 0.1, 0.15, 0.75, 1.5, MaskMode.Fixed },
        { 7, 0.85, 1.0, 1.0, 1.0, MaskMode.Faithful },
        { 14, 0.15, 0.2, 0.75, 1.5, MaskMode.Faithful },
        { 16, 0.15, 0.2, 0.75, 1.5, MaskMode.Faithful },
        { 16, 0.15, 0.2, 0.75, 1.5, MaskMode.Fixed },
        { 5, 0.2, 0.8, 0.3, 3.0, MaskMode.Fixed },       // the official class defaults on a tiny grid
        { 5, 0.2, 0.8, 0.3, 3.0, MaskMode.Faithful },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void SmallestMatchesADenseSweepOfTheDraws(int grid, double scaleMin, double scaleMax, double aspectMin, double aspectMax, MaskMode mode)
    {
        Interval scale = (scaleMin, scaleMax), aspect = (aspectMin, aspectMax);
        const int steps = 600;
        int swept = int.MaxValue;
        for (int i = 0; i < steps; i++)
            for (int j = 0; j < steps; j++)
            {
                double u = i / (double)steps, v = mode == MaskMode.Faithful ? u : j / (double)steps;
                var (h, w) = BlockSizes.FromDraws(u, v, scale, aspect, grid, grid, mode);
                swept = Math.Min(swept, h * w);
            }
        var smallest = BlockSizes.Smallest(scale, aspect, grid, grid, mode);
        Assert.Equal(swept, smallest.Height * smallest.Width);
    }

    [Fact]
    public void OfficialSizesOn16x16()
    {
        // ijepa-recipe.md §1.2: u = 0 → keep 38 → 5×7; the context block is always 15×15.
        Assert.Equal((5, 7), BlockSizes.FromDraws(0, 0, (0.15, 0.2), (0.75, 1.5), 16, 16, MaskMode.Faithful));
        Assert.Equal((15, 15), BlockSizes.FromDraws(0, 0, (0.85, 1.0), (1.0, 1.0), 16, 16, MaskMode.Faithful));
        Assert.Equal((15, 15), BlockSizes.FromDraws(0.999, 0.999, (0.85, 1.0), (1.0, 1.0), 16, 16, MaskMode.Faithful));
        Assert.Equal((16, 16), BlockSizes.FromDraws(0.999, 0.999, (0.85, 1.0), (1.0, 1.0), 16, 16, MaskMode.Fixed));
    }
}
