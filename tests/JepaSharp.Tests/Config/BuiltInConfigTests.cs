using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Schedules;
using Xunit;

namespace JepaSharp.Tests.Config;

public class BuiltInConfigTests
{
    [Fact]
    public void BuiltInNamesListTheRepositoryConfigs()
    {
        Assert.Contains("fmnist-tiny", ConfigLoader.BuiltInNames);
        Assert.Contains("fmnist-small", ConfigLoader.BuiltInNames);
    }

    [Theory]
    [InlineData("fmnist-tiny")]
    [InlineData("fmnist-small")]
    public void BuiltInConfigLoadsFromTheCheckoutAndValidatesWithoutWarnings(string name)
    {
        var config = ConfigLoader.Load(name);

        config.Validate();
        Assert.Empty(config.Warnings);
        Assert.EndsWith(Path.Combine("configs", $"{name}.yaml"), config.SourceName);
    }

    [Theory]
    [InlineData("fmnist-tiny")]
    [InlineData("fmnist-small")]
    public void EmbeddedCopyMatchesTheCheckoutFile(string name)
    {
        var fromCheckout = ConfigLoader.Load(name);
        var embedded = ConfigLoader.LoadEmbedded(name);

        Assert.Equal($"{name}.yaml (built-in)", embedded.SourceName);
        Assert.Equal(ConfigTestSupport.Body(fromCheckout), ConfigTestSupport.Body(embedded));
    }

    [Fact]
    public void FmnistTinyIsVitTinyOnASevenBySevenGrid()
    {
        var config = ConfigLoader.Load("fmnist-tiny");

        Assert.Equal(DatasetKind.FashionMnist, config.Data.Dataset);
        Assert.Equal(1, config.Data.Channels);
        Assert.Equal(28, config.Data.CropSize);
        Assert.Equal(4, config.Mask.PatchSize);
        Assert.Equal(128, config.Data.BatchSize);
        Assert.Equal("vit_tiny", config.Meta.ModelName);
        Assert.Equal(new VitSize(192, 12, 3, 4.0), config.Meta.ResolveEncoder());
        Assert.Equal(new VitSize(96, 4, 3, 4.0), config.Meta.ResolvePredictor());
        Assert.Equal(MaskMode.Fixed, config.Mask.Mode);
    }

    [Fact]
    public void FmnistSmallDiffersFromTinyOnlyInDepthsRunFolderAndRecompute()
    {
        var tiny = ConfigLoader.Load("fmnist-tiny");
        var small = ConfigLoader.Load("fmnist-small");

        Assert.Equal(new VitSize(192, 6, 3, 4.0), small.Meta.ResolveEncoder());
        Assert.Equal(new VitSize(96, 3, 3, 4.0), small.Meta.ResolvePredictor());
        // The 12-block tiny trades a qkv product for memory; the results are the same either way.
        Assert.True(tiny.Meta.RecomputeQkv);
        Assert.Equal(6, tiny.Meta.RecomputeQkvBlocks);
        Assert.False(small.Meta.RecomputeQkv);
        small.Meta.EncDepth = tiny.Meta.EncDepth;
        small.Meta.PredDepth = tiny.Meta.PredDepth;
        small.Meta.RecomputeQkv = tiny.Meta.RecomputeQkv;
        small.Meta.RecomputeQkvBlocks = tiny.Meta.RecomputeQkvBlocks;
        small.Logging.Folder = tiny.Logging.Folder;
        Assert.Equal(ConfigTestSupport.Body(tiny), ConfigTestSupport.Body(small));
    }

    [Fact]
    public void FmnistSmallTrainsInUnderTenMinutesAtTheMeasuredSpeed()
    {
        var config = ConfigLoader.Load("fmnist-small");
        int iterationsPerEpoch = 60_000 / config.Data.BatchSize;

        var schedule = new TrainingSchedule(config, iterationsPerEpoch);
        // 460 images/s: `jepa bench train --config fmnist-small` on the 2-core Zen 5 (README, Benchmarks).
        double seconds = schedule.TrainingSteps * config.Data.BatchSize / 460.0;

        Assert.InRange(seconds, 5 * 60, 10 * 60);
    }

    [Fact]
    public void UnknownBareNameListsTheBuiltIns()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load("fmnist-huge"));

        Assert.Contains("fmnist-huge", e.Message);
        Assert.Contains("fmnist-tiny", e.Message);
        Assert.Contains("fmnist-small", e.Message);
    }

    [Fact]
    public void PathLoadsTheFileItNames()
    {
        string folder = ConfigTestSupport.NewTempFolder();
        try
        {
            string path = Path.Combine(folder, "mine.yaml");
            File.WriteAllText(path, ConfigTestSupport.ValidBase);

            var config = ConfigLoader.Load(path);

            Assert.Equal(path, config.SourceName);
            Assert.Equal(28, config.Data.CropSize);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
