using JepaSharp.Jepa.Masks;
using Xunit;

namespace JepaSharp.Tests.Masks;

public class MaskOptionsTests
{
    [Fact]
    public void DefaultsAreTheOfficialConfigValuesWithFixedMode()
    {
        var o = new MaskOptions(14, 14);
        Assert.Equal(new Interval(0.85, 1.0), o.EncMaskScale);
        Assert.Equal(new Interval(0.15, 0.2), o.PredMaskScale);
        Assert.Equal(new Interval(0.75, 1.5), o.AspectRatio);
        Assert.Equal((1, 4, 10), (o.NumEncMasks, o.NumPredMasks, o.MinKeep));
        Assert.False(o.AllowOverlap);
        Assert.Equal(MaskMode.Fixed, o.Mode);
    }

    [Theory]
    [InlineData(28, 28, 4, 7, 7)]
    [InlineData(224, 224, 14, 16, 16)]
    [InlineData(448, 224, 16, 28, 14)]
    public void ForImageDividesByThePatchSize(int inputHeight, int inputWidth, int patch, int gridHeight, int gridWidth)
    {
        var o = MaskOptions.ForImage(inputHeight, inputWidth, patch);
        Assert.Equal((gridHeight, gridWidth), (o.GridHeight, o.GridWidth));
    }

    [Fact]
    public void ForImageRejectsAPartialPatch()
    {
        var e = Assert.Throws<ArgumentException>(() => MaskOptions.ForImage(30, 28, 4));
        Assert.Contains("30×28", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => MaskOptions.ForImage(28, 28, 0));
    }

    public static TheoryData<MaskOptions, string> BadOptions() => new()
    {
        { new MaskOptions(0, 7), "0×7" },
        { new MaskOptions(7, 7) { PredMaskScale = (0.3, 0.2) }, "PredMaskScale" },
        { new MaskOptions(7, 7) { PredMaskScale = (0.0, 0.2) }, "[0, 0.2]" },
        { new MaskOptions(7, 7) { EncMaskScale = (0.85, 1.2) }, "EncMaskScale must satisfy 0 < Min ≤ Max ≤ 1" },
        { new MaskOptions(7, 7) { EncMaskScale = (double.NaN, 1.0) }, "EncMaskScale" },
        { new MaskOptions(7, 7) { AspectRatio = (0.0, 1.5) }, "AspectRatio" },
        { new MaskOptions(7, 7) { AspectRatio = (2.0, 1.0) }, "[2, 1]" },
        { new MaskOptions(7, 7) { NumEncMasks = 0 }, "NumEncMasks" },
        { new MaskOptions(7, 7) { NumPredMasks = 0 }, "NumPredMasks" },
        { new MaskOptions(7, 7) { MinKeep = -1 }, "MinKeep must be at least 0, got -1" },
        { new MaskOptions(7, 7) { Mode = (MaskMode)7 }, "Mode 7" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void InvalidOptionsThrowNamingTheSetting(MaskOptions options, string expectedInMessage)
    {
        var e = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Contains(expectedInMessage, e.Message);
        Assert.Throws<ArgumentException>(() => new MultiBlockMaskCollator(options, seed: 0));
    }
}
