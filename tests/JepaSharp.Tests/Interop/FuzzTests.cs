using JepaSharp.Engine.IO;
using JepaSharp.Fuzz;
using JepaSharp.Interop.Torch;
using Xunit;

namespace JepaSharp.Tests.Interop;

/// <summary>
/// A bounded run of tests/JepaSharp.Fuzz per reader (a few seconds each; seed 1 reaches the inputs
/// that found the UTF-8 safetensors header, IDX size overflow and YAML event bugs): every mutated
/// input loads or fails with the reader's documented exception. Longer runs:
/// dotnet run --project tests/JepaSharp.Fuzz -c Release -- --seconds 600.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("jepa-fuzz-test-");
    private readonly MappedFile _scratch;

    public FuzzTests()
    {
        string path = Path.Combine(_dir.FullName, "storage.bin");
        File.WriteAllBytes(path, new byte[64]);
        _scratch = new MappedFile(path);
    }

    public void Dispose()
    {
        _scratch.Dispose();
        _dir.Delete(recursive: true);
    }

    [Theory]
    [InlineData("pickle")]
    [InlineData("pth")]
    [InlineData("safetensors")]
    [InlineData("idx")]
    [InlineData("png")]
    [InlineData("yaml")]
    public void MutatedInputsLoadOrFailWithTheDocumentedException(string name)
    {
        var target = FuzzTargets.All(FuzzTargets.FindRepositoryRoot(), _scratch).Single(t => t.Name == name);
        // At least 200 mutated inputs whatever the time: under a loaded test run the thread pool can start the
        // first inputs seconds late, and a time budget alone then ran only the seeds.
        var report = FuzzRunner.Run(target, seed: 1, TimeSpan.FromSeconds(3), maxIterations: 2500, TimeSpan.FromSeconds(20), _dir.FullName,
            minIterations: target.Seeds.Count + 200);
        Assert.True(report.Iterations > target.Seeds.Count, $"{name}: only {report.Iterations} inputs ran");
        Assert.True(report.Findings.Count == 0, $"{name}: {report.Findings.Count} findings, first: {report.Findings.FirstOrDefault()?.Problem}");
    }
}

/// <summary>Regression cases for what the fuzzer found, as plain unit tests.</summary>
public sealed class FuzzFindingTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("jepa-fuzz-found-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void SafetensorsHeaderWithInvalidUtf8IsInvalidData()
    {
        string path = Path.Combine(_dir.FullName, "bad.safetensors");
        byte[] header = "{\"\xff\":{}}"u8.ToArray();
        header[2] = 0xFF;
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header]);
        var e = Assert.Throws<InvalidDataException>(() => JepaSharp.Engine.IO.SafetensorsFile.Open(path));
        Assert.Contains("not valid UTF-8", e.Message);
    }

    [Fact]
    public void YamlWithANulCharacterIsAConfigError()
    {
        // The fuzzer's input: configs/fmnist-small.yaml with byte 13 (in the first comment) set to 0.
        var bytes = File.ReadAllBytes(Path.Combine(FuzzTargets.FindRepositoryRoot(), "configs", "fmnist-small.yaml"));
        bytes[13] = 0;
        string yaml = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.Throws<JepaSharp.Jepa.Config.ConfigException>(() => JepaSharp.Jepa.Config.ConfigLoader.Parse(yaml, "nul.yaml"));
    }

    [Fact]
    public void IdxDimensionsWhoseProductOverflowsOrExceedsTheFileAreInvalidData()
    {
        string huge = Path.Combine(_dir.FullName, "huge.idx");
        File.WriteAllBytes(huge, [0, 0, 8, 4, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF]);
        Assert.Contains("more bytes than one array", Assert.Throws<InvalidDataException>(() => new JepaSharp.Data.Datasets.IdxDataset(huge, null)).Message);
        // 2 GB declared in a 20-byte file: refused from the file length, without allocating.
        string claims = Path.Combine(_dir.FullName, "claims.idx");
        File.WriteAllBytes(claims, [0, 0, 8, 3, 0, 0, 0x80, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 1, 2, 3, 4]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => new JepaSharp.Data.Datasets.IdxDataset(claims, null)).Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }
}
