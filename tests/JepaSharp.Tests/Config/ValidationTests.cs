using JepaSharp.Jepa.Config;
using Xunit;

namespace JepaSharp.Tests.Config;

public class ValidationTests
{
    private static string WithSection(string section) => ConfigTestSupport.ValidBase + section;

    [Fact]
    public void ValidBaseIsValid()
    {
        ConfigTestSupport.Parse(ConfigTestSupport.ValidBase).Validate();
    }

    [Fact]
    public void CropSizeNotDivisibleByPatchSize()
    {
        string yaml = ConfigTestSupport.ValidBase.Replace("crop_size: 28", "crop_size: 30");

        string message = ConfigTestSupport.ValidationMessage(yaml, "patch.yaml");

        Assert.Equal("patch.yaml:8: mask.patch_size must divide data.crop_size (30) so the image splits into whole patches (got 4)", message);
    }

    [Theory]
    [InlineData("[0.99, 1.2]")]
    [InlineData("[-0.1, 1.0]")]
    public void EmaOutsideZeroOne(string ema)
    {
        string message = ConfigTestSupport.ValidationMessage(WithSection($"optimization:\n  ema: {ema}\n"), "ema.yaml");

        Assert.StartsWith($"ema.yaml:{ConfigTestSupport.ValidBaseLines + 2}: optimization.ema momentum values must lie in [0, 1]", message);
    }

    [Fact]
    public void WarmupLongerThanTraining()
    {
        string message = ConfigTestSupport.ValidationMessage(WithSection("optimization:\n  epochs: 10\n  warmup: 12\n"), "warm.yaml");

        Assert.Equal($"warm.yaml:{ConfigTestSupport.ValidBaseLines + 3}: optimization.warmup must not exceed optimization.epochs (10) (got 12.0)", message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-0.001")]
    public void NonPositiveLearningRate(string lr)
    {
        string message = ConfigTestSupport.ValidationMessage(WithSection($"optimization:\n  lr: {lr}\n"), "lr.yaml");

        Assert.StartsWith($"lr.yaml:{ConfigTestSupport.ValidBaseLines + 2}: optimization.lr must be > 0", message);
    }

    [Fact]
    public void ColourJitterStrengthIsCappedWhereTheHueRangeEnds()
    {
        string yaml = ConfigTestSupport.ValidBase.Replace("crop_size: 28", "crop_size: 28\n  use_color_distortion: true\n  color_jitter_strength: 3.0");

        string message = ConfigTestSupport.ValidationMessage(yaml, "jitter.yaml");

        Assert.Equal("jitter.yaml:8: data.color_jitter_strength must be <= 2.5 with data.use_color_distortion (the hue range 0.2·s may not pass 0.5) (got 3.0)", message);
        ConfigTestSupport.Parse(yaml.Replace("use_color_distortion: true", "use_color_distortion: false")).Validate();
    }

    [Fact]
    public void RecomputedEncoderBlocksNeedRecomputeAndFitTheEncoder()
    {
        string without = ConfigTestSupport.ValidationMessage(WithSection("meta:\n  model_name: vit_tiny\n  recompute_qkv_blocks: 6\n"), "blocks.yaml");
        string tooMany = ConfigTestSupport.ValidationMessage(
            WithSection("meta:\n  model_name: vit_tiny\n  recompute_qkv: true\n  recompute_qkv_blocks: 13\n"), "blocks.yaml");

        Assert.Equal($"blocks.yaml:{ConfigTestSupport.ValidBaseLines + 3}: meta.recompute_qkv_blocks needs meta.recompute_qkv: true (it says how many encoder blocks recompute) (got 6)", without);
        Assert.Equal($"blocks.yaml:{ConfigTestSupport.ValidBaseLines + 4}: meta.recompute_qkv_blocks cannot exceed the encoder's 12 blocks (got 13)", tooMany);
        ConfigTestSupport.Parse(WithSection("meta:\n  model_name: vit_tiny\n  recompute_qkv: true\n  recompute_qkv_blocks: 0\n")).Validate();
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1000, -1)]
    public void LoaderWorkersAreAtLeastOneAndAtMostTheProcessors(int numWorkers, int expected)
    {
        var config = ConfigTestSupport.Parse(ConfigTestSupport.ValidBase);
        config.Data.NumWorkers = numWorkers;

        Assert.Equal(expected < 0 ? Environment.ProcessorCount : expected, config.Data.LoaderWorkers);
    }

    [Fact]
    public void LoadCheckpointPointsToResumeAndInit()
    {
        string message = ConfigTestSupport.ValidationMessage(WithSection("meta:\n  load_checkpoint: true\n"), "load.yaml");

        Assert.StartsWith($"load.yaml:{ConfigTestSupport.ValidBaseLines + 2}: meta.load_checkpoint must be false: continue a run with `jepa train --resume", message);
        Assert.Contains("--init FILE", message);
    }

    [Fact]
    public void Bfloat16IsNamedOnlyWhenTheConfigAsksForIt()
    {
        var omitted = ConfigTestSupport.Parse(ConfigTestSupport.ValidBase, "plain.yaml");
        var inFile = ConfigTestSupport.Parse(WithSection("meta:\n  use_bfloat16: true\n"), "bf16.yaml");
        var overridden = ConfigTestSupport.Parse(WithSection("meta:\n  use_bfloat16: false\n"), "override.yaml");
        overridden.ApplyOverrides([("meta.use_bfloat16", "true")]);

        Assert.True(omitted.Meta.UseBfloat16); // the official default, not asked for by the file
        Assert.Empty(omitted.Warnings);
        Assert.Equal($"bf16.yaml:{ConfigTestSupport.ValidBaseLines + 2}: meta.use_bfloat16 is true, but JepaSharp trains in fp32 " +
                     "(the official bf16 autocast rounds each product's inputs to bf16; set it false to silence this)", Assert.Single(inFile.Warnings));
        Assert.StartsWith("override.yaml (overridden by --meta.use_bfloat16): meta.use_bfloat16 is true", Assert.Single(overridden.Warnings));
    }

    [Fact]
    public void DefaultValueIsBlamedOnTheFileWithoutALine()
    {
        // final_lr keeps its default 1e-6, which exceeds the lr set in the file.
        string message = ConfigTestSupport.ValidationMessage(WithSection("optimization:\n  lr: 1.0e-7\n"), "final.yaml");

        Assert.Equal("final.yaml: optimization.final_lr must not exceed optimization.lr (1.0e-07) (got 1.0e-06)", message);
    }

    [Fact]
    public void OfficialMinKeepCannotWorkOnASevenBySevenGrid()
    {
        string yaml = ConfigTestSupport.ValidBase.Replace("min_keep: 4", "min_keep: 10");

        string message = ConfigTestSupport.ValidationMessage(yaml, "keep.yaml");

        Assert.StartsWith("keep.yaml:9: mask.min_keep must be below the smallest target block (6 patches on the 7x7 grid", message);
    }

    [Fact]
    public void MinKeepJustBelowTheSmallestBlockIsAccepted()
    {
        ConfigTestSupport.Parse(ConfigTestSupport.ValidBase.Replace("min_keep: 4", "min_keep: 5")).Validate();
    }

    [Fact]
    public void UnknownModelNameListsTheSizes()
    {
        string message = ConfigTestSupport.ValidationMessage(WithSection("meta:\n  model_name: vit_mega\n"), "model.yaml");

        Assert.Equal($"model.yaml:{ConfigTestSupport.ValidBaseLines + 2}: meta.model_name must be one of vit_tiny, vit_small, vit_base, " +
                     "vit_large, vit_huge, vit_giant (got vit_mega)", message);
    }

    [Fact]
    public void HeadsMustDivideTheWidth()
    {
        string message = ConfigTestSupport.ValidationMessage(
            WithSection("meta:\n  model_name: vit_tiny\n  pred_emb_dim: 96\n  pred_num_heads: 5\n"), "heads.yaml");

        Assert.StartsWith($"heads.yaml:{ConfigTestSupport.ValidBaseLines + 4}: meta.pred_num_heads predictor width 96 must be divisible by its 5 heads", message);
    }

    [Fact]
    public void InheritedPredictorHeadsAreExplained()
    {
        string message = ConfigTestSupport.ValidationMessage(WithSection("meta:\n  model_name: vit_tiny\n  pred_emb_dim: 100\n"), "heads.yaml");

        Assert.Contains("meta.pred_emb_dim predictor width 100 must be divisible by its 3 heads (meta.pred_num_heads is null", message);
    }

    [Fact]
    public void ChannelsMustMatchTheDatasetAndTheNormalization()
    {
        string yaml = ConfigTestSupport.ValidBase.Replace("channels: 1", "channels: 3");

        var problems = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse(yaml, "gray.yaml").Validate()).Problems;

        Assert.Equal(3, problems.Count);
        Assert.Equal("gray.yaml:3: data.channels must be 1 for data.dataset fashion-mnist (got 3)", problems[0]);
        Assert.StartsWith("gray.yaml:4: data.normalize_mean needs one value per channel (data.channels is 3)", problems[1]);
        Assert.StartsWith("gray.yaml:5: data.normalize_std needs one value per channel", problems[2]);
    }

    [Fact]
    public void FolderDatasetNeedsARootPath()
    {
        string message = ConfigTestSupport.ValidationMessage("data:\n  dataset: folder\n", "folder.yaml");

        Assert.Equal("folder.yaml: data.root_path must name the image root for data.dataset folder (got null)", message);
    }

    [Fact]
    public void ScheduleAndLoggingProblemsAreAllListed()
    {
        string yaml = WithSection("""
            optimization:
              ipe_scale: 0.8
              smooth_l1_beta: 0
              clip_grad: -1
            logging:
              log_every: 0
              write_tag: runs/jepa

            """);

        var problems = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse(yaml, "many.yaml").Validate()).Problems;

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("optimization.ipe_scale must be >= 1"));
        Assert.Contains(problems, p => p.Contains("optimization.smooth_l1_beta must be > 0"));
        Assert.Contains(problems, p => p.Contains("optimization.clip_grad must be > 0 (null turns clipping off)"));
        Assert.Contains(problems, p => p.Contains("logging.log_every must be >= 1"));
        Assert.Contains(problems, p => p.Contains("logging.write_tag must be a non-empty file-name prefix"));
    }

    [Fact]
    public void TrainSubsetSmallerThanABatchHasNoIterations()
    {
        string yaml = ConfigTestSupport.ValidBase.Replace("  crop_size: 28\n", "  crop_size: 28\n  train_subset: 100\n");

        string message = ConfigTestSupport.ValidationMessage(yaml, "subset.yaml");

        Assert.StartsWith("subset.yaml:7: data.train_subset must be at least data.batch_size (128)", message);
    }

    [Fact]
    public void MultipleProblemsMakeOneMessageWithOneLineEach()
    {
        string yaml = WithSection("optimization:\n  lr: 0\n  epochs: 0\n");

        var e = Assert.Throws<ConfigException>(() => ConfigTestSupport.Parse(yaml, "two.yaml").Validate());

        Assert.Equal(2, e.Problems.Count);
        Assert.Equal($"2 problems:{Environment.NewLine}{e.Problems[0]}{Environment.NewLine}{e.Problems[1]}", e.Message);
    }
}
