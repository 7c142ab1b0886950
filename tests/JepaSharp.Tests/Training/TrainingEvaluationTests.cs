using JepaSharp.Eval;
using JepaSharp.Jepa.Logging;
using JepaSharp.Jepa.Models;
using JepaSharp.Jepa.Training;
using JepaSharp.Tests.Data;
using Xunit;

namespace JepaSharp.Tests.Training;

/// <summary>Evaluation during training (--eval-every), the best checkpoint it keeps, and per-layer gradient norms.</summary>
[Collection(nameof(TrainingRuns))]
public class TrainingEvaluationTests
{
    private sealed class ScriptedEvaluator(params double[] scores) : ITrainingEvaluator
    {
        public List<long> Steps { get; } = [];

        public TrainingEvaluation Evaluate(IJepaModel model, long step)
        {
            double score = scores[Steps.Count];
            Steps.Add(step);
            return new TrainingEvaluation("linear_probe", score, [("linear_probe", score), ("rankme", 10 + Steps.Count)], [("encoder", "target")]);
        }
    }

    private static TrainResult Train(string dir, ITrainingEvaluator evaluator, long? maxSteps = null, bool resume = false)
    {
        using var trainer = new Trainer(TrainerTests.SmallConfig(), new TrainOptions
        {
            OutDir = dir, CheckpointEvery = 5, EvalEvery = 5, Evaluator = evaluator, MaxSteps = maxSteps, Resume = resume,
        });
        return trainer.Run(CancellationToken.None);
    }

    [Fact]
    public void EvaluationsAreLoggedAndTheBestScoringCheckpointIsKept()
    {
        if (!TrainerTests.FixturesAvailable()) return;
        using var tmp = new TempFolder();
        var evaluator = new ScriptedEvaluator(0.5, 0.8, 0.6, 0.7);
        var result = Train(tmp.Path, evaluator);

        Assert.Equal([5L, 10, 15, 20], evaluator.Steps);
        var lines = MetricsLog.Read(Path.Combine(tmp.Path, Trainer.EvaluationsFile));
        Assert.Equal([5L, 10, 15, 20], lines.Select(l => l.Step!.Value));
        Assert.Equal([0.5, 0.8, 0.6, 0.7], lines.Select(l => l.GetDouble("linear_probe")));
        Assert.Equal("target", lines[0].GetString("encoder"));
        Assert.Equal(1, lines[0].GetDouble("epoch"));

        Assert.Equal(Checkpoints.Best(tmp.Path), result.BestCheckpoint);
        var best = Checkpoints.ReadBestEvaluation(result.BestCheckpoint!);
        Assert.Equal(new BestEvaluation(10, "linear_probe", 0.8), best);
        Assert.Equal(10, Checkpoints.ReadState(result.BestCheckpoint!).Step);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Checkpoints.Folder(tmp.Path), "step-00000010", Checkpoints.ModelFile)),
            File.ReadAllBytes(Path.Combine(result.BestCheckpoint!, Checkpoints.ModelFile)));
        using var loaded = TrainedModel.Load(result.BestCheckpoint!);
        Assert.Equal(10, loaded.Step);
    }

    [Fact]
    public void AResumedRunKeepsItsBestAndDropsEvaluationsAfterTheCheckpoint()
    {
        if (!TrainerTests.FixturesAvailable()) return;
        using var tmp = new TempFolder();
        Train(tmp.Path, new ScriptedEvaluator(0.9, 0.1), maxSteps: 10);
        // Killed after step 12's evaluation line but before its checkpoint: the line must go.
        File.AppendAllText(Path.Combine(tmp.Path, Trainer.EvaluationsFile), "{\"step\":12,\"linear_probe\":0.99}\n");
        var resumed = Train(tmp.Path, new ScriptedEvaluator(0.3, 0.95), resume: true);

        Assert.Equal([5L, 10, 15, 20], MetricsLog.Read(Path.Combine(tmp.Path, Trainer.EvaluationsFile)).Select(l => l.Step!.Value));
        Assert.Equal(new BestEvaluation(20, "linear_probe", 0.95), Checkpoints.ReadBestEvaluation(resumed.BestCheckpoint!));
    }

    [Fact]
    public void LayerGradientNormsComposeTheGlobalNorm()
    {
        if (!TrainerTests.FixturesAvailable()) return;
        using var tmp = new TempFolder();
        using (var trainer = new Trainer(TrainerTests.SmallConfig(), new TrainOptions { OutDir = tmp.Path }))
            trainer.Run(CancellationToken.None);
        var records = MetricsLog.Read(Path.Combine(tmp.Path, MetricsLog.FileName));
        var measured = records.Where(r => r.Fields.ContainsKey("grad_norm/encoder.blocks.0")).ToArray();
        Assert.Equal([10L, 20], measured.Select(r => r.Step!.Value));
        foreach (var record in measured)
        {
            var layers = record.Fields.Keys.Where(k => k.StartsWith("grad_norm/", StringComparison.Ordinal)).ToArray();
            Assert.Equal(["grad_norm/encoder.patch_embed", "grad_norm/encoder.blocks.0", "grad_norm/encoder.blocks.1", "grad_norm/encoder.norm",
                "grad_norm/predictor.mask_token", "grad_norm/predictor.predictor_embed", "grad_norm/predictor.predictor_blocks.0",
                "grad_norm/predictor.predictor_norm", "grad_norm/predictor.predictor_proj"], layers);
            double composed = Math.Sqrt(layers.Sum(k => Math.Pow(record.GetDouble(k), 2)));
            Assert.Equal(record.GetDouble("grad_norm"), composed, 1e-6 * composed);
        }
    }

    [Theory]
    [InlineData("blocks.3.attn.qkv.weight", "blocks.3")]
    [InlineData("predictor_blocks.0.mlp.fc1.bias", "predictor_blocks.0")]
    [InlineData("patch_embed.proj.weight", "patch_embed")]
    [InlineData("mask_token", "mask_token")]
    [InlineData("norm.weight", "norm")]
    public void ParametersGroupByModule(string parameter, string group) => Assert.Equal(group, LayerGradNorms.GroupOf(parameter));

    [Fact]
    public void TheTrainingProbeScoresAHeldOutPartOfTheTrainingSplitDeterministically()
    {
        if (!TrainerTests.FixturesAvailable()) return;
        var config = TrainerTests.SmallConfig();
        using var model = TrainedModel.RandomInit(config);
        var probe = new TrainingProbe(config, Trainer.OpenTrainingSet(config), new TrainingProbeOptions { Images = 600, MaxIterations = 50 });
        var first = probe.Evaluate(model.Model, 0);
        var second = probe.Evaluate(model.Model, 0);
        Assert.Equal(first.Figures, second.Figures);
        Assert.Equal(["linear_probe", "knn", "rankme", "top_pc_fraction", "mean_std"], first.Figures.Select(f => f.Name));
        Assert.Equal(first.Score, first.Figures[0].Value);
        // Even a random encoder's features separate Fashion-MNIST classes far above chance (10 %).
        Assert.InRange(first.Score, 0.3, 1.0);
        Assert.InRange(first.Figures[2].Value, 1.0, 32.0);
    }
}
