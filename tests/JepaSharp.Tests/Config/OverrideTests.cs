using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Config;
using Xunit;

namespace JepaSharp.Tests.Config;

public class OverrideTests
{
    [Fact]
    public void OverridesParseScalarsNullsAndFlowSequences()
    {
        var config = ConfigLoader.Load("fmnist-small");

        config.ApplyOverrides([
            ("optimization.lr", "5e-4"),
            ("mask.pred_mask_scale", "[0.1,0.15]"),
            ("mask.min_keep", "3"),
            ("optimization.ema", "[0.996, 1.0]"),
            ("data.train_subset", "1024"),
            ("meta.enc_depth", "null"),
            ("optimization.clip_grad", "1.5"),
            ("data.use_horizontal_flip", "true"),
            ("mask.mode", "faithful"),
            ("optimization.loss", "l2"),
            ("logging.folder", "runs/try 1"),
        ]);

        config.Validate();
        Assert.Equal(5e-4, config.Optimization.Lr);
        Assert.Equal(new ValueRange(0.1, 0.15), config.Mask.PredMaskScale);
        Assert.Equal(new EmaRange(0.996, 1.0), config.Optimization.Ema);
        Assert.Equal(1024, config.Data.TrainSubset);
        Assert.Equal(12, config.Meta.ResolveEncoder().Depth);
        Assert.Equal(1.5, config.Optimization.ClipGrad);
        Assert.True(config.Data.UseHorizontalFlip);
        Assert.Equal(MaskMode.Faithful, config.Mask.Mode);
        Assert.Equal(LossKind.L2, config.Optimization.Loss);
        Assert.Equal("runs/try 1", config.Logging.Folder);
    }

    [Fact]
    public void NullTurnsAnOptionalSettingOff()
    {
        var config = ConfigLoader.Load("fmnist-small");

        config.ApplyOverrides([("logging.eval_every", "null"), ("optimization.clip_grad", "~")]);

        Assert.Null(config.Logging.EvalEvery);
        Assert.Null(config.Optimization.ClipGrad);
    }

    [Fact]
    public void UnknownKeyNamesFileKeyAndCloseMatches()
    {
        var config = ConfigTestSupport.Parse(ConfigTestSupport.ValidBase, "run.yaml");

        var e = Assert.Throws<ConfigException>(() => config.ApplyOverrides([("optimization.lrr", "1e-3")]));

        Assert.StartsWith("run.yaml: --optimization.lrr 1e-3: unknown key optimization.lrr", e.Message);
        Assert.Contains("did you mean optimization.lr", e.Message);
    }

    [Theory]
    [InlineData("lr", "optimization.lr")]
    [InlineData("optimzation.warmup", "optimization.warmup")]
    [InlineData("data.batchsize", "data.batch_size")]
    [InlineData("meta.pred_heads", "meta.pred_num_heads")]
    [InlineData("data.crop", "data.crop_size, data.crop_scale")]
    public void CloseMatchesCatchTyposBareNamesAndAbbreviations(string wrong, string suggestions)
    {
        var config = new TrainConfig();

        var e = Assert.Throws<ConfigException>(() => config.ApplyOverrides([(wrong, "1")]));

        Assert.All(suggestions.Split(", "), s => Assert.Contains(s, e.Message));
    }

    [Fact]
    public void KeyWithoutCloseMatchListsItsSectionsKeys()
    {
        var e = Assert.Throws<ConfigException>(() => new TrainConfig().ApplyOverrides([("logging.verbosity_level", "3")]));

        Assert.Contains("keys of logging: folder, write_tag", e.Message);
    }

    [Theory]
    [InlineData("optimization.lr", "abc", "expected a finite number, got 'abc'")]
    [InlineData("optimization.lr", ".nan", "expected a finite number")]
    [InlineData("data.batch_size", "12.5", "expected an integer, got '12.5'")]
    [InlineData("optimization.ema", "[0.99]", "expected [start, end] (2 numbers), got 1")]
    [InlineData("mask.enc_mask_scale", "[0.8, x]", "item 2 is not a finite number")]
    [InlineData("data.pin_mem", "maybe", "expected true or false, got 'maybe'")]
    [InlineData("data.dataset", "imagenet", "expected one of fashion-mnist, mnist, cifar10, cifar100, folder, got 'imagenet'")]
    [InlineData("logging.log_every", "[1, 2", "not a valid YAML value")]
    [InlineData("logging.write_tag", "null", "expected a string, got null")]
    public void BadValueNamesFileKeyAndProblem(string key, string value, string problem)
    {
        var config = ConfigTestSupport.Parse(ConfigTestSupport.ValidBase, "run.yaml");

        var e = Assert.Throws<ConfigException>(() => config.ApplyOverrides([(key, value)]));

        Assert.StartsWith($"run.yaml: --{key} {value}: {key}: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void EveryBadOverrideIsReportedAtOnce()
    {
        var e = Assert.Throws<ConfigException>(() =>
            new TrainConfig().ApplyOverrides([("optimization.lr", "x"), ("nope.key", "1"), ("data.batch_size", "64")]));

        Assert.Equal(2, e.Problems.Count);
    }

    [Fact]
    public void ValidationBlamesTheOverrideThatSetABadValue()
    {
        var config = ConfigLoader.Load("fmnist-small");
        config.ApplyOverrides([("optimization.lr", "0")]);

        var e = Assert.Throws<ConfigException>(config.Validate);

        Assert.Contains("fmnist-small.yaml (overridden by --optimization.lr): optimization.lr must be > 0 (got 0.0)", e.Message);
    }
}
