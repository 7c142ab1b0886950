using JepaSharp.Interop.Export;
using JepaSharp.Interop.Mapping;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Training;
using JepaSharp.Tests.Training;
using Xunit;

namespace JepaSharp.Tests.Interop;

/// <summary>train --init: a new run starts from another checkpoint's weights (any import format), at its own resolution.</summary>
[Collection(nameof(TrainingRuns))]
public sealed class InitFromCheckpointTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("jepa-init-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static TrainConfig Config(int seed, int cropSize)
    {
        var config = ConfigLoader.Load("fmnist-small");
        config.ApplyOverrides([
            ("data.train_subset", "64"), ("data.batch_size", "32"), ("data.crop_size", cropSize.ToString()),
            ("meta.enc_embed_dim", "32"), ("meta.enc_depth", "2"), ("meta.enc_heads", "2"),
            ("meta.pred_emb_dim", "16"), ("meta.pred_depth", "1"), ("meta.pred_num_heads", "2"),
            ("meta.seed", seed.ToString()), ("optimization.epochs", "1"), ("optimization.warmup", "0.5"),
        ]);
        return config;
    }

    [Fact]
    public void ANewRunStartsFromExportedWeightsAndInterpolatesPositions()
    {
        if (JepaSharp.Data.Datasets.DatasetLocator.TryLocate("fashion-mnist", JepaSharp.Data.Datasets.DatasetSplit.Train) == null) return;
        using var source = TrainedModel.RandomInit(Config(seed: 7, cropSize: 28));
        string pth = Path.Combine(_dir.FullName, "source.pth");
        CheckpointExporter.ToPth(source, pth);

        // Same resolution: every tensor arrives unchanged.
        using (var trainer = new Trainer(Config(seed: 1, cropSize: 28), new TrainOptions
               {
                   OutDir = Path.Combine(_dir.FullName, "same"),
                   InitializeWeights = m => CheckpointImporter.LoadInto(pth, m),
               }))
        {
            foreach (var ((_, want), (_, got)) in source.Model.StateDicts().Zip(trainer.Model.StateDicts()))
                Assert.Equal(want.Values.AsSpan().ToArray(), got.Values.AsSpan().ToArray());
            Assert.Equal(0, trainer.Step);
        }

        // 32 px instead of 28: the 7x7 position tables become 8x8, the rest is copied.
        using var larger = new Trainer(Config(seed: 1, cropSize: 32), new TrainOptions
        {
            OutDir = Path.Combine(_dir.FullName, "larger"),
            MaxSteps = 1,
            InitializeWeights = m => Assert.Contains(CheckpointImporter.LoadInto(pth, m), n => n.Contains("7x7 -> 8x8", StringComparison.Ordinal)),
        });
        var expected = PositionInterpolation.Bicubic(source.Model.Encoder.PosEmbed.Span, 7, 7, 8, 8, 32);
        Assert.Equal(expected, larger.Model.Encoder.PosEmbed.Span.ToArray());
        Assert.Equal(source.Model.Encoder.Blocks[1].Attn.Qkv.Weight.Span.ToArray(), larger.Model.Encoder.Blocks[1].Attn.Qkv.Weight.Span.ToArray());
        var step = larger.Run(CancellationToken.None);
        Assert.Equal(TrainOutcome.StoppedEarly, step.Outcome);
        Assert.True(double.IsFinite(step.LastLoss));
    }

    [Fact]
    public void AMismatchedArchitectureIsRefusedNamingTheTensor()
    {
        if (JepaSharp.Data.Datasets.DatasetLocator.TryLocate("fashion-mnist", JepaSharp.Data.Datasets.DatasetSplit.Train) == null) return;
        var e = Assert.Throws<InvalidDataException>(() => new Trainer(Config(seed: 1, cropSize: 28), new TrainOptions
        {
            OutDir = Path.Combine(_dir.FullName, "mismatch"),
            InitializeWeights = m => CheckpointImporter.LoadInto(InteropFixtures.Path("official_zip.pth"), m),
        }));
        Assert.Contains("patch_embed.proj.weight", e.Message);
    }

    [Fact]
    public void ExportedPthCarriesItsConfigBackThroughImport()
    {
        using var source = TrainedModel.RandomInit(Config(seed: 7, cropSize: 28));
        string pth = Path.Combine(_dir.FullName, "source.pth");
        CheckpointExporter.ToPth(source, pth);
        var result = CheckpointImporter.Import(pth, Path.Combine(_dir.FullName, "imported"), new ArchitectureOptions());
        Assert.Equal("from the stored config", result.Architecture.HeadsSource);
        using var imported = TrainedModel.Load(result.OutDir);
        Assert.Equal(source.Config.Data.NormalizeMean, imported.Config.Data.NormalizeMean);
        Assert.Equal(source.Model.TargetEncoder.Norm.Weight.Span.ToArray(), imported.Model.TargetEncoder.Norm.Weight.Span.ToArray());
    }
}
