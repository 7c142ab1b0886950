using JepaSharp.Interop.Mapping;
using JepaSharp.Jepa.Training;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Interop;

/// <summary>
/// Files saved by PyTorch (tools/make_interop_fixtures.py: official-architecture models at a small
/// size, random weights) load into JepaSharp models whose outputs match PyTorch's within 1e-4.
/// </summary>
public class CheckpointParityTests
{
    private const double Atol = 1e-4;

    [Theory]
    [InlineData("official_zip.pth")]
    [InlineData("official_legacy.pth")]
    public void OfficialCheckpointReproducesAllThreeNetworks(string name)
    {
        using var expected = InteropFixtures.Outputs();
        using var model = InteropFixtures.Load(InteropFixtures.Path(name));
        var input = expected.ReadFloat32("input");
        var shape = expected.GetEntry("input").ToShape();
        TestData.AssertClose(expected.ReadFloat32("encoder.out"), InteropFixtures.Encode(model.Encoder, input, shape), Atol, 0, $"{name} encoder");
        TestData.AssertClose(expected.ReadFloat32("target_encoder.out"), InteropFixtures.Encode(model.TargetEncoder, input, shape), Atol, 0, $"{name} target encoder");
        var context = InteropFixtures.Indices(expected, "ctx_idx");
        var targets = InteropFixtures.Indices(expected, "tgt_idx");
        var prediction = InteropFixtures.Predict(model, input, shape, context, expected.GetEntry("ctx_idx").Shape[1], targets, expected.GetEntry("tgt_idx").Shape[1]);
        TestData.AssertClose(expected.ReadFloat32("predictor.out"), prediction, Atol, 0, $"{name} predictor");
    }

    [Theory]
    [InlineData("official_fp16.pth", "fp16.encoder.out")]
    [InlineData("official_bf16.pth", "bf16.encoder.out")]
    public void HalfPrecisionCheckpointsWidenToTheSameFloat32Model(string name, string reference)
    {
        using var expected = InteropFixtures.Outputs();
        using var model = InteropFixtures.Load(InteropFixtures.Path(name));
        var input = expected.ReadFloat32("input");
        TestData.AssertClose(expected.ReadFloat32(reference), InteropFixtures.Encode(model.Encoder, input, expected.GetEntry("input").ToShape()), Atol, 0, name);
    }

    [Theory]
    [InlineData("hf.safetensors", CheckpointLayout.HuggingFace)]
    [InlineData("timm.pth", CheckpointLayout.Timm)]
    public void ThirdPartyEncoderConversionsMatchTheContextEncoder(string name, CheckpointLayout layout)
    {
        using var expected = InteropFixtures.Outputs();
        var (file, weights, architecture) = CheckpointImporter.Open(InteropFixtures.Path(name), InteropFixtures.SmallModel);
        file.Dispose();
        Assert.Equal(layout, weights.Layout);
        Assert.False(architecture.PredictorStored);
        using var model = InteropFixtures.Load(InteropFixtures.Path(name));
        var input = expected.ReadFloat32("input");
        var shape = expected.GetEntry("input").ToShape();
        TestData.AssertClose(expected.ReadFloat32("encoder.out"), InteropFixtures.Encode(model.Encoder, input, shape), Atol, 0, name);
        // One encoder in the file: the target encoder is the same network.
        TestData.AssertClose(expected.ReadFloat32("encoder.out"), InteropFixtures.Encode(model.TargetEncoder, input, shape), Atol, 0, name + " target");
    }

    [Fact]
    public void HuggingFaceHeadCountComesFromItsConfig()
    {
        var (file, _, architecture) = CheckpointImporter.Open(InteropFixtures.Path("hf.safetensors"), new ArchitectureOptions());
        file.Dispose();
        Assert.Equal(2, architecture.Heads);
        Assert.Equal("from config.json", architecture.HeadsSource);
    }

    [Fact]
    public void InferredArchitectureMatchesTheScript()
    {
        var (file, weights, a) = CheckpointImporter.Open(InteropFixtures.Path("official_zip.pth"), InteropFixtures.SmallModel);
        file.Dispose();
        Assert.Equal(CheckpointLayout.Official, weights.Layout);
        Assert.Equal((3, 4, 16, 32, 2, 128), (a.Channels, a.PatchSize, a.ImageSize, a.Dim, a.Depth, a.MlpHidden));
        Assert.Equal((16, 1, 2, true, true), (a.PredictorDim, a.PredictorDepth, a.PredictorHeads, a.PredictorStored, a.TargetEncoderStored));
        Assert.Contains(weights.Unmapped, n => n.StartsWith("opt.state.", StringComparison.Ordinal));
    }

    [Fact]
    public void PositionTablesAreInterpolatedLikeTorchBicubicWithoutAClassToken()
    {
        using var expected = InteropFixtures.Outputs();
        using var model = InteropFixtures.Load(InteropFixtures.Path("official_zip.pth"), InteropFixtures.SmallModel with { ImageSize = 24 });
        TestData.AssertClose(expected.ReadFloat32("interp.pos_embed"), model.Encoder.PosEmbed.Span, 1e-5, 0, "pos_embed 4x4 -> 6x6");
        var input = expected.ReadFloat32("interp.input");
        TestData.AssertClose(expected.ReadFloat32("interp.encoder.out"), InteropFixtures.Encode(model.Encoder, input, expected.GetEntry("interp.input").ToShape()), Atol, 0, "encoder at 24 px");
    }

    [Fact]
    public void ImportWritesARunThatTrainedModelLoads()
    {
        using var expected = InteropFixtures.Outputs();
        string dir = Path.Combine(Path.GetTempPath(), "jepa-import-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = CheckpointImporter.Import(InteropFixtures.Path("official_zip.pth"), dir, InteropFixtures.SmallModel);
            Assert.True(File.Exists(Path.Combine(dir, "config.yaml")));
            Assert.True(File.Exists(Path.Combine(dir, CheckpointImporter.ReportFile)));
            using var trained = TrainedModel.Load(dir);
            Assert.Equal(result.CheckpointDir, Path.GetDirectoryName(trained.WeightsPath));
            var input = expected.ReadFloat32("input");
            var shape = expected.GetEntry("input").ToShape();
            TestData.AssertClose(expected.ReadFloat32("target_encoder.out"), InteropFixtures.Encode(trained.Model.TargetEncoder, input, shape), Atol, 0, "imported target encoder");
            Assert.Throws<InvalidOperationException>(() => CheckpointImporter.Import(InteropFixtures.Path("official_zip.pth"), dir, InteropFixtures.SmallModel));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void EncoderOnlyImportSaysThePredictorIsFresh()
    {
        string dir = Path.Combine(Path.GetTempPath(), "jepa-import-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = CheckpointImporter.Import(InteropFixtures.Path("timm.pth"), dir, InteropFixtures.SmallModel);
            Assert.Contains(result.Notes, n => n.Contains("no predictor", StringComparison.Ordinal));
            Assert.Contains(result.Notes, n => n.Contains("target_encoder = encoder", StringComparison.Ordinal));
            using var trained = TrainedModel.Load(dir);
            Assert.Equal(1, trained.Config.Meta.PredDepth);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
