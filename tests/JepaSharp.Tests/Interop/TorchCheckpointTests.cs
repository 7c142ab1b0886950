using JepaSharp.Engine.IO;
using JepaSharp.Interop.Export;
using JepaSharp.Interop.Mapping;
using JepaSharp.Interop.Torch;
using JepaSharp.Jepa.Training;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Interop;

/// <summary>The container readers and writers: shared storages and views, element conversion, export round trips.</summary>
public sealed class TorchCheckpointTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("jepa-torch-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void ViewsSharingStoragesReadAsPythonSeesThem()
    {
        using var expected = InteropFixtures.Outputs();
        using var file = CheckpointFile.Open(InteropFixtures.Path("strided.pth"));
        Assert.Equal(["w", "wt", "row", "col", "block", "scalar", "ids", "flag"], file.Tensors.Select(t => t.Name));
        foreach (var t in file.Tensors)
            Assert.Equal(expected.ReadFloat32("strided." + t.Name), t.ReadFloat32());
        Assert.Equal(["F32", "F32", "F32", "F32", "F16", "F32", "I64", "BOOL"], file.Tensors.Select(t => t.DType));

        using var torch = TorchCheckpoint.Open(InteropFixtures.Path("strided.pth"));
        var byName = torch.Tensors().ToDictionary(t => t.Name, t => t.Tensor);
        Assert.Same(byName["w"].Storage, byName["wt"].Storage);
        Assert.Same(byName["w"].Storage, byName["col"].Storage);
        Assert.Equal(5, byName["row"].StorageOffset);
        Assert.False(byName["wt"].IsContiguous);
        Assert.Equal([1L, 5L], byName["wt"].Strides);
    }

    [Fact]
    public void ZipRecordsArePageAlignedAndReadLazily()
    {
        using var file = new MappedFile(InteropFixtures.Path("official_zip.pth"));
        var entries = ZipDirectory.Read(file);
        Assert.All(entries.Values.Where(e => e.Name.Contains("/data/", StringComparison.Ordinal)), e => Assert.Equal(0, e.DataOffset % 64));
        Assert.Contains("official_zip/data.pkl", entries.Keys);
    }

    [Fact]
    public void NonTensorValuesOfTheOfficialCheckpointAreKept()
    {
        using var file = CheckpointFile.Open(InteropFixtures.Path("official_zip.pth"));
        var values = file.Values.ToDictionary(v => v.Name, v => v.Value);
        Assert.Equal(7L, values["epoch"]);
        Assert.Equal(0.1234, values["loss"]);
        Assert.Null(values["scaler"]);
        Assert.Equal(true, values["opt.param_groups.2.WD_exclude"]);
    }

    [Fact]
    public void PthExportRoundTripsThroughTheReaderWithTheOfficialLayout()
    {
        string run = Path.Combine(_dir.FullName, "run");
        CheckpointImporter.Import(InteropFixtures.Path("official_zip.pth"), run, InteropFixtures.SmallModel);
        using var model = TrainedModel.Load(run);
        string pth = Path.Combine(_dir.FullName, "exported.pth");
        CheckpointExporter.ToPth(model, pth);

        using var file = CheckpointFile.Open(pth);
        Assert.Equal(CheckpointContainer.TorchZip, file.Container);
        var weights = KeyMapping.Map(file);
        Assert.Equal(CheckpointLayout.Official, weights.Layout);
        Assert.StartsWith("encoder.module.", file.Tensors[0].Name);
        foreach (var (prefix, set) in model.Model.StateDicts())
            foreach (var slot in set.Slots)
                Assert.Equal(slot.Tensor.Span.ToArray(), weights.ByKey[prefix + slot.Name].ReadFloat32());
        using var mapped = new MappedFile(pth);
        Assert.All(ZipDirectory.Read(mapped).Values.Where(e => e.Name.Contains("/data/", StringComparison.Ordinal)), e => Assert.Equal(0, e.DataOffset % 64));
    }

    [Theory]
    [InlineData(ExportKeys.HuggingFace, CheckpointLayout.HuggingFace)]
    [InlineData(ExportKeys.Timm, CheckpointLayout.Timm)]
    [InlineData(ExportKeys.JepaSharp, CheckpointLayout.JepaSharp)]
    public void SafetensorsExportReimportsToTheSameEncoder(ExportKeys keys, CheckpointLayout layout)
    {
        using var expected = InteropFixtures.Outputs();
        string run = Path.Combine(_dir.FullName, "run");
        CheckpointImporter.Import(InteropFixtures.Path("official_zip.pth"), run, InteropFixtures.SmallModel);
        using var model = TrainedModel.Load(run);
        string path = Path.Combine(_dir.FullName, "exported.safetensors");
        CheckpointExporter.ToSafetensors(model, path, keys, targetEncoder: false);

        var (file, weights, _) = CheckpointImporter.Open(path, InteropFixtures.SmallModel);
        file.Dispose();
        Assert.Equal(layout, weights.Layout);
        using var reloaded = InteropFixtures.Load(path);
        var input = expected.ReadFloat32("input");
        TestData.AssertClose(expected.ReadFloat32("encoder.out"), InteropFixtures.Encode(reloaded.Encoder, input, expected.GetEntry("input").ToShape()), 1e-4, 0, keys.ToString());
    }

    [Fact]
    public void HalfAndBfloat16ConversionMatchesTheScalarDefinitionOnLongRuns()
    {
        var rng = new Random(3);
        var bits = new ushort[1031];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)rng.Next(0, 0x10000);
        var bytes = new byte[bits.Length * 2];
        Buffer.BlockCopy(bits, 0, bytes, 0, bytes.Length);
        var bf16 = new float[bits.Length];
        var f16 = new float[bits.Length];
        ElementTypes.ToFloat32(ElementType.BF16, bytes, bf16);
        ElementTypes.ToFloat32(ElementType.F16, bytes, f16);
        for (int i = 0; i < bits.Length; i++)
        {
            Assert.Equal(BitConverter.Int32BitsToSingle(bits[i] << 16), bf16[i]);
            Assert.Equal((float)BitConverter.UInt16BitsToHalf(bits[i]), f16[i]);
        }
    }
}
