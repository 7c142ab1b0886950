using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Logging;
using JepaSharp.Jepa.Training;
using JepaSharp.Tests.Data;
using Xunit;

namespace JepaSharp.Tests.Training;

/// <summary>Real training on a Fashion-MNIST subset with a small model: the loss falls, resume is exact, runs are protected.</summary>
[Collection(nameof(TrainingRuns))]
public class TrainerTests
{
    /// <summary>fmnist-small's recipe shrunk to a model and subset that train 20 steps in a few seconds.</summary>
    internal static TrainConfig SmallConfig()
    {
        var config = ConfigLoader.Load("fmnist-small");
        config.ApplyOverrides([
            ("data.train_subset", "640"), ("data.batch_size", "32"),
            ("meta.enc_embed_dim", "32"), ("meta.enc_depth", "2"), ("meta.enc_heads", "2"),
            ("meta.pred_emb_dim", "16"), ("meta.pred_depth", "1"), ("meta.pred_num_heads", "2"),
            ("optimization.epochs", "1"), ("optimization.warmup", "0.25"), ("optimization.lr", "1e-3"),
        ]);
        return config;
    }

    private static double[] Losses(string runDir) => MetricsLog.Read(Path.Combine(runDir, MetricsLog.FileName)).Select(r => r.GetDouble("loss")).ToArray();

    private static TrainResult Train(TrainConfig config, string dir, bool resume = false, long? maxSteps = null)
    {
        using var trainer = new Trainer(config, new TrainOptions { OutDir = dir, Resume = resume, MaxSteps = maxSteps, CheckpointEvery = 5 });
        return trainer.Run(CancellationToken.None);
    }

    internal static bool FixturesAvailable() => JepaSharp.Data.Datasets.DatasetLocator.TryLocate("fashion-mnist", JepaSharp.Data.Datasets.DatasetSplit.Train) != null;

    [Fact]
    public void TwentyStepsOnFashionMnistLowerTheLossAndWriteEverything()
    {
        if (!FixturesAvailable()) return;
        using var tmp = new TempFolder();
        var result = Train(SmallConfig(), tmp.Path);
        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        Assert.Equal(20, result.Steps);
        var losses = Losses(tmp.Path);
        Assert.Equal(20, losses.Length);
        Assert.True(losses[^5..].Average() < 0.9 * losses[..5].Average(), $"loss did not fall: {string.Join(", ", losses.Select(l => l.ToString("F4")))}");
        var record = MetricsLog.Read(Path.Combine(tmp.Path, MetricsLog.FileName))[0];
        foreach (var key in new[] { "step", "epoch", "loss", "lr", "wd", "momentum", "img_per_s" }) Assert.True(record.Fields.ContainsKey(key), key);
        Assert.Single(TensorBoardReader.FindEventFiles(tmp.Path));
        Assert.True(File.Exists(Path.Combine(tmp.Path, "config.yaml")));
        Assert.EndsWith("step-00000020", Checkpoints.Latest(tmp.Path));
    }

    [Fact]
    public void ResumeAfterAKillRepeatsTheUninterruptedRunExactly()
    {
        if (!FixturesAvailable()) return;
        using var whole = new TempFolder();
        using var killed = new TempFolder();
        Train(SmallConfig(), whole.Path);

        // A kill -9 at step 12: checkpoints 5 and 10 are complete, step 12's never happened, a half-written
        // checkpoint folder and a torn metrics line are left behind.
        var first = Train(SmallConfig(), killed.Path, maxSteps: 12);
        Assert.Equal(TrainOutcome.StoppedEarly, first.Outcome);
        string checkpoints = Checkpoints.Folder(killed.Path);
        Directory.Delete(Path.Combine(checkpoints, "step-00000012"), recursive: true);
        File.WriteAllText(Path.Combine(checkpoints, "latest"), "step-00000010\n");
        Directory.CreateDirectory(Path.Combine(checkpoints, ".tmp-step-00000015-dead"));
        File.AppendAllText(Path.Combine(killed.Path, MetricsLog.FileName), "{\"step\":13,\"epo");

        var resumed = Train(SmallConfig(), killed.Path, resume: true);
        Assert.Equal(TrainOutcome.Completed, resumed.Outcome);
        Assert.Equal(Losses(whole.Path), Losses(killed.Path));
        Assert.Empty(Directory.GetDirectories(checkpoints, ".tmp-*"));
    }

    [Fact]
    public void ARunDirectoryIsNeverOverwrittenWithoutResume()
    {
        if (!FixturesAvailable()) return;
        using var tmp = new TempFolder();
        Train(SmallConfig(), tmp.Path, maxSteps: 5);
        var e = Assert.Throws<InvalidOperationException>(() => Train(SmallConfig(), tmp.Path));
        Assert.Contains("--resume", e.Message);
        var changed = SmallConfig();
        changed.ApplyOverrides([("optimization.lr", "5e-4")]);
        var mismatch = Assert.Throws<InvalidDataException>(() => Train(changed, tmp.Path, resume: true));
        Assert.Contains("config differs", mismatch.Message);
    }

    [Fact]
    public void CorruptCheckpointFailsWithTheFileNamed()
    {
        if (!FixturesAvailable()) return;
        using var tmp = new TempFolder();
        Train(SmallConfig(), tmp.Path, maxSteps: 5);
        string model = Path.Combine(Checkpoints.Latest(tmp.Path)!, Checkpoints.ModelFile);
        using (var stream = new FileStream(model, FileMode.Open)) stream.SetLength(stream.Length / 2);
        var e = Assert.Throws<InvalidDataException>(() => Train(SmallConfig(), tmp.Path, resume: true));
        Assert.Contains(model, e.Message);
        File.WriteAllText(Path.Combine(Checkpoints.Latest(tmp.Path)!, Checkpoints.StateFile), "{ not json");
        e = Assert.Throws<InvalidDataException>(() => Train(SmallConfig(), tmp.Path, resume: true));
        Assert.Contains(Checkpoints.StateFile, e.Message);
    }

    [Theory]
    [InlineData("--checkpoint-every")]
    [InlineData("--eval-every")]
    [InlineData("--max-steps")]
    [InlineData("--max-minutes")]
    public void NonPositiveLimitsAndCadencesAreRejectedBeforeTheRunStarts(string option)
    {
        using var tmp = new TempFolder();
        var options = new TrainOptions { OutDir = tmp.Path };
        options = option switch
        {
            "--checkpoint-every" => options with { CheckpointEvery = 0 },
            "--eval-every" => options with { EvalEvery = 0 },
            "--max-steps" => options with { MaxSteps = 0 },
            _ => options with { MaxMinutes = -1 },
        };
        var e = Assert.Throws<ArgumentException>(() => new Trainer(SmallConfig(), options));
        Assert.StartsWith($"{option} must be positive", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void DivergenceStopsTheRunAndKeepsOnlyFiniteCheckpoints()
    {
        if (!FixturesAvailable()) return;
        using var tmp = new TempFolder();
        var exploding = SmallConfig();
        exploding.ApplyOverrides([("optimization.lr", "1e12"), ("optimization.start_lr", "1e12"), ("optimization.warmup", "0")]);
        using var trainer = new Trainer(exploding, new TrainOptions { OutDir = tmp.Path, CheckpointEvery = 1 });
        var result = trainer.Run(CancellationToken.None);

        Assert.Equal(TrainOutcome.Diverged, result.Outcome);
        Assert.True(result.Steps < 20, $"ran {result.Steps} steps at lr 1e12");
        Assert.Contains("training stopped", result.Message);
        if (Checkpoints.Latest(tmp.Path) is { } last)
        {
            Assert.Equal(last, result.Checkpoint);
            using var model = TrainedModel.Load(last);
            foreach (var (_, set) in model.Model.StateDicts())
                Assert.True(float.IsFinite(System.Numerics.Tensors.TensorPrimitives.SumOfMagnitudes(set.Values.AsSpan())), "a checkpoint holds non-finite weights");
        }
    }

    [Fact]
    public void BadConfigValuesAreRejectedBeforeTraining()
    {
        var config = SmallConfig();
        var e = Assert.ThrowsAny<FormatException>(() => config.ApplyOverrides([("optimization.learning_rate", "1")]));
        Assert.Contains("optimization.learning_rate", e.Message);
        config.ApplyOverrides([("data.crop_size", "30")]);
        e = Assert.ThrowsAny<FormatException>(() => config.Validate());
        Assert.Contains("crop_size", e.Message);
    }
}

/// <summary>Training tests use both cores; running them one at a time keeps the suite's wall time predictable.</summary>
[CollectionDefinition(nameof(TrainingRuns), DisableParallelization = true)]
public sealed class TrainingRuns;
