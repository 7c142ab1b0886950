using JepaSharp.Jepa.Config;
using Xunit;

namespace JepaSharp.Tests.Config;

public class SaveTests
{
    [Theory]
    [InlineData("fmnist-tiny")]
    [InlineData("fmnist-small")]
    public void SaveThenLoadRoundTrips(string name)
    {
        var original = ConfigLoader.Load(name);
        original.ApplyOverrides([("optimization.lr", "0.1234567890123"), ("data.train_subset", "2048"), ("logging.write_tag", "123")]);
        string folder = ConfigTestSupport.NewTempFolder();
        try
        {
            string path = Path.Combine(folder, "params-ijepa.yaml");

            original.Save(path);
            var reloaded = ConfigLoader.Load(path);

            Assert.Equal(ConfigTestSupport.Body(original), ConfigTestSupport.Body(reloaded));
            Assert.Equal(0.1234567890123, reloaded.Optimization.Lr);
            Assert.Equal(2048, reloaded.Data.TrainSubset);
            Assert.Equal("123", reloaded.Logging.WriteTag);
            Assert.Equal(original.Meta.ResolveEncoder(), reloaded.Meta.ResolveEncoder());
            Assert.Equal(original.Data.NormalizeMean, reloaded.Data.NormalizeMean);
            reloaded.Validate();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void SaveCreatesTheFolderReplacesAnOldFileAndLeavesNoTemporaryFile()
    {
        string folder = ConfigTestSupport.NewTempFolder();
        try
        {
            string path = Path.Combine(folder, "run", "params-ijepa.yaml");
            var config = ConfigLoader.Load("fmnist-small");

            config.Save(path);
            config.ApplyOverrides([("optimization.epochs", "3")]);
            config.Save(path);

            Assert.Equal(["params-ijepa.yaml"], Directory.GetFiles(Path.Combine(folder, "run")).Select(Path.GetFileName));
            Assert.Equal(3, ConfigLoader.Load(path).Optimization.Epochs);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void SavedYamlListsOfficialKeysFirstInTheOfficialOrder()
    {
        string yaml = new TrainConfig().ToYaml();

        Assert.StartsWith("# Resolved JepaSharp config (from (defaults))", yaml);
        Assert.True(yaml.IndexOf("data:", StringComparison.Ordinal) < yaml.IndexOf("logging:", StringComparison.Ordinal));
        Assert.True(yaml.IndexOf("  use_horizontal_flip:", StringComparison.Ordinal) < yaml.IndexOf("  dataset:", StringComparison.Ordinal));
        Assert.Contains("  crop_scale: [0.3, 1.0]\n", yaml);
        Assert.Contains("  final_lr: 1.0e-06\n", yaml);
        Assert.Contains("  read_checkpoint: null\n", yaml);
        Assert.DoesNotContain("...", yaml);
    }

    [Theory]
    [InlineData(1e-6, "1.0e-06")]
    [InlineData(0.001, "0.001")]
    [InlineData(1.0, "1.0")]
    [InlineData(40.0, "40.0")]
    [InlineData(-2.5e-10, "-2.5e-10")]
    [InlineData(1e20, "1.0e+20")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    public void NumbersAreWrittenSoThatPyYamlReadsFloats(double value, string expected)
    {
        Assert.Equal(expected, ValueKinds.FormatNumber(value));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("1e3")]
    [InlineData(".inf")]
    [InlineData("")]
    [InlineData("a: b")]
    [InlineData("$replace_this/path/")]
    public void StringsThatLookLikeOtherTypesStayStrings(string text)
    {
        var config = new TrainConfig();
        config.Logging.Folder = text;
        config.Meta.ReadCheckpoint = text;

        var reloaded = ConfigTestSupport.Parse(config.ToYaml());

        Assert.Equal(text, reloaded.Logging.Folder);
        Assert.Equal(text, reloaded.Meta.ReadCheckpoint);
    }
}
