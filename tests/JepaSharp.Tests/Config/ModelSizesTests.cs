using JepaSharp.Jepa.Config;
using Xunit;

namespace JepaSharp.Tests.Config;

public class ModelSizesTests
{
    [Theory]
    [InlineData("vit_tiny", 192, 12, 3, 768)]
    [InlineData("vit_small", 384, 12, 6, 1536)]
    [InlineData("vit_base", 768, 12, 12, 3072)]
    [InlineData("vit_large", 1024, 24, 16, 4096)]
    [InlineData("vit_huge", 1280, 32, 16, 5120)]
    [InlineData("vit_giant", 1408, 40, 16, 6144)]
    public void SizesMatchTheOfficialFactories(string name, int embedDim, int depth, int heads, int mlpHidden)
    {
        var size = ModelSizes.Get(name);

        Assert.Equal((embedDim, depth, heads, mlpHidden), (size.EmbedDim, size.Depth, size.NumHeads, size.MlpHiddenDim));
    }

    [Fact]
    public void GiantUsesTheFortyEightElevenths()
    {
        Assert.Equal(48.0 / 11.0, ModelSizes.Get("vit_giant").MlpRatio);
        Assert.Equal(88, ModelSizes.Get("vit_giant").HeadDim);
    }

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelSizes.Get("vit_mega"));

        Assert.Contains("vit_mega", e.Message);
        Assert.Contains("vit_tiny", e.Message);
    }

    [Fact]
    public void EncoderOverridesReplaceSingleDimensions()
    {
        var meta = new MetaConfig { ModelName = "vit_small", EncDepth = 4, EncHeads = 3 };

        Assert.Equal(new VitSize(384, 4, 3, 4.0), meta.ResolveEncoder());
        Assert.Equal(3, meta.ResolvePredictor().NumHeads);
    }
}
