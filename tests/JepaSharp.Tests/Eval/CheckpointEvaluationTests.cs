using JepaSharp.Eval;
using JepaSharp.Jepa.Training;
using JepaSharp.Tests.Data;
using JepaSharp.Tests.Training;
using Xunit;

namespace JepaSharp.Tests.Eval;

/// <summary>The checkpoint evaluation behind <c>jepa eval</c> and <c>jepa run</c>, on a small IDX dataset written for the test.</summary>
[Collection(nameof(TrainingRuns))]
public class CheckpointEvaluationTests
{
    /// <summary>Fashion-MNIST-shaped IDX files: train and t10k images [count, 28, 28] with labels, pixels depending on the label.</summary>
    private static void WriteDataset(string folder, int trainCount, int testCount)
    {
        var random = new Random(5);
        foreach (var (prefix, count) in new[] { ("train", trainCount), ("t10k", testCount) })
        {
            var labels = new byte[count];
            var pixels = new byte[count * 28 * 28];
            for (int i = 0; i < count; i++)
            {
                labels[i] = (byte)(i % 10);
                for (int p = 0; p < 28 * 28; p++)
                    pixels[i * 784 + p] = (byte)Math.Clamp((p / 28 < 3 * labels[i] ? 180 : 40) + random.Next(-30, 30), 0, 255);
            }
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), DataFiles.Idx([count, 28, 28], pixels));
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), DataFiles.Idx([count], labels));
        }
    }

    [Fact]
    public void RunAddsTheLastBlocksRowBesideTheFinalTokens()
    {
        if (!TrainerTests.FixturesAvailable()) return;
        using var run = new TempFolder();
        using var data = new TempFolder();
        using (var trainer = new Trainer(TrainerTests.SmallConfig(), new TrainOptions { OutDir = run.Path, MaxSteps = 2 }))
            trainer.Run(CancellationToken.None);
        WriteDataset(data.Path, 300, 100);
        var options = new EvaluationOptions { Probe = new LinearProbeOptions { Lambdas = [1e-2], MaxIterations = 50 } };

        var both = CheckpointEvaluation.Run(run.Path, "fashion-mnist", data.Path, [], new FeatureOptions(), options, alsoLastBlocks: 2);
        var alone = CheckpointEvaluation.Run(run.Path, "fashion-mnist", data.Path, [], new FeatureOptions(), options);
        var concatenated = CheckpointEvaluation.Run(run.Path, "fashion-mnist", data.Path, [], new FeatureOptions { LastBlocks = 2 }, options);

        Assert.Equal(["pretrained", "pretrained_last_2_blocks"], both.Results.Keys);
        Assert.Equal(1, both.LastBlocks);
        Assert.Equal(32, both.Results["pretrained"].FeatureDimension);
        Assert.Equal(64, both.Results["pretrained_last_2_blocks"].FeatureDimension);
        Assert.Equal(Figures(alone.Results["pretrained"]), Figures(both.Results["pretrained"]));
        Assert.Equal(Figures(concatenated.Results["pretrained"]), Figures(both.Results["pretrained_last_2_blocks"]));
    }

    private static (double, double, double, double) Figures(EvaluationReport r)
        => (r.LinearProbe.TestAccuracy, r.Knn.WeightedAccuracy, r.LowShot[0].MeanAccuracy, r.Collapse.RankMe);
}
