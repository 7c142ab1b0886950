using JepaSharp.Jepa.Config;
using Xunit;

namespace JepaSharp.Tests.Config;

public class LoadErrorTests
{
    [Fact]
    public void InvalidYamlReportsFileAndLine()
    {
        const string yaml = "data:\n  batch_size: 128\n   crop_size: 28\nmask:\n  patch_size: 4\n";

        var e = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse(yaml, "broken.yaml"));

        Assert.StartsWith("broken.yaml:3: invalid YAML", e.Message);
    }

    [Fact]
    public void UnclosedFlowSequenceReportsTheLastGoodLine()
    {
        const string yaml = "mask:\n  patch_size: 4\n  aspect_ratio: [0.75, 1.5\n  min_keep: 4\n";

        var e = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse(yaml, "broken.yaml"));

        Assert.Equal("broken.yaml:3: invalid YAML after this line (an unclosed '[' or '{'?)", e.Message);
    }

    [Fact]
    public void DuplicateKeyReportsItsLine()
    {
        const string yaml = "optimization:\n  lr: 0.001\n  epochs: 10\n  lr: 0.002\n";

        var e = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse(yaml, "dup.yaml"));

        Assert.StartsWith("dup.yaml:4: invalid YAML", e.Message);
        Assert.Contains("Duplicate key", e.Message);
    }

    [Fact]
    public void WrongTypeNamesFileLineKeyAndValue()
    {
        const string yaml = "data:\n  crop_size: 28\n  batch_size: lots\n";

        var e = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse(yaml, "types.yaml"));

        Assert.Equal("types.yaml:3: data.batch_size: expected an integer, got 'lots'", e.Message);
    }

    [Fact]
    public void RangeWrittenAsBlockSequenceOrFlowSequenceReadsTheSame()
    {
        var block = ConfigTestSupport.Parse("mask:\n  pred_mask_scale:\n  - 0.1\n  - 0.2\n");
        var flow = ConfigTestSupport.Parse("mask:\n  pred_mask_scale: [0.1, 0.2]\n");

        Assert.Equal(new ValueRange(0.1, 0.2), block.Mask.PredMaskScale);
        Assert.Equal(block.Mask.PredMaskScale, flow.Mask.PredMaskScale);
    }

    [Fact]
    public void EveryBadValueOfAFileIsReportedAtOnce()
    {
        const string yaml = "data:\n  batch_size: x\noptimization:\n  lr: y\n  ema: 0.99\n";

        var e = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse(yaml, "many.yaml"));

        Assert.Equal(3, e.Problems.Count);
        Assert.Equal("many.yaml:5: optimization.ema: expected [start, end], got 0.99", e.Problems[2]);
    }

    [Fact]
    public void SectionThatIsNotAMappingIsReported()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse("data:\n  batch_size: 1\nmask: 4\n", "flat.yaml"));

        Assert.Equal("flat.yaml:3: mask must be a mapping of keys, got 4", e.Message);
    }

    [Fact]
    public void EmptySectionKeepsTheDefaults()
    {
        var config = ConfigTestSupport.Parse("logging:\n");

        Assert.Equal(10, config.Logging.LogEvery);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# nothing but a comment\n")]
    public void EmptyFileIsReported(string yaml)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse(yaml, "empty.yaml"));

        Assert.Equal("empty.yaml: the config is empty", e.Message);
    }

    [Fact]
    public void TopLevelListIsReported()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse("- data\n- mask\n", "list.yaml"));

        Assert.StartsWith("list.yaml:1: a config must be a mapping of sections", e.Message);
    }

    [Fact]
    public void MissingFileIsReportedWithItsPath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.yaml");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));

        Assert.StartsWith($"{path}: cannot read config file", e.Message);
    }
}
