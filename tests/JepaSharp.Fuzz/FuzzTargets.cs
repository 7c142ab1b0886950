using System.IO.Compression;
using JepaSharp.Data.Datasets;
using JepaSharp.Data.Images;
using JepaSharp.Engine.IO;
using JepaSharp.Interop.Mapping;
using JepaSharp.Interop.Pickle;
using JepaSharp.Interop.Torch;
using JepaSharp.Jepa.Config;

namespace JepaSharp.Fuzz;

/// <summary>
/// One reader under test: its seed inputs, how an input is fed to it, and the exception types its
/// documentation promises for bad input (matched exactly, so e.g. an ArgumentOutOfRangeException
/// from a bad slice is a finding even where ArgumentException is expected).
/// </summary>
public sealed record FuzzTarget(string Name, IReadOnlyList<byte[]> Seeds, Action<byte[], string> Run, IReadOnlySet<Type> Expected);

/// <summary>The pickle, PyTorch (zip/legacy), safetensors, IDX, PNG and YAML-config readers with seeds from the repository.</summary>
public static class FuzzTargets
{
    // Inputs declaring more elements than this are opened but not read in full: the point is parsing, not copying.
    private const long MaxElementsRead = 1 << 22;

    public static string Names => "pickle, pth, safetensors, idx, png, yaml";

    /// <summary>The repository root (holding JepaSharp.slnx), searched upward from the working directory and the program.</summary>
    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "JepaSharp.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("cannot find the repository root (JepaSharp.slnx) above the working directory or the program");
    }

    public static IReadOnlyList<FuzzTarget> All(string root, MappedFile scratch)
    {
        string fixtures = Path.Combine(root, "tests", "JepaSharp.Tests", "Fixtures");
        string interop = Path.Combine(fixtures, "interop");
        string[] torchFiles = ["strided.pth", "timm.pth", "official_legacy.pth", "official_fp16.pth"];
        var pth = torchFiles.Select(f => File.ReadAllBytes(Path.Combine(interop, f))).ToList();
        var pickles = pth.Where(b => b[0] == (byte)'P').Select(DataPickle).ToList();
        var safetensors = new[] { Path.Combine(fixtures, "dtypes.safetensors"), Path.Combine(fixtures, "pos_embed.safetensors"), Path.Combine(interop, "hf.safetensors") }
            .Select(File.ReadAllBytes).ToList();
        var yaml = Directory.GetFiles(Path.Combine(root, "configs"), "*.yaml").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        return
        [
            new("pickle", pickles, (input, _) => Unpickle(input, scratch), Types(typeof(InvalidDataException))),
            new("pth", pth, (input, path) => OpenWeights(input, path), Types(typeof(InvalidDataException), typeof(ArgumentException))),
            new("safetensors", safetensors, (input, path) => OpenSafetensors(input, path), Types(typeof(InvalidDataException), typeof(OverflowException))),
            new("idx", IdxSeeds(), (input, path) => OpenIdx(input, path), Types(typeof(InvalidDataException))),
            new("png", PngSeeds(), (input, _) => Png.Decode(input, "fuzz.png"), Types(typeof(InvalidDataException))),
            new("yaml", yaml, (input, _) => ConfigLoader.Parse(System.Text.Encoding.UTF8.GetString(input), "fuzz.yaml").Validate(), Types(typeof(ConfigException))),
        ];
    }

    private static HashSet<Type> Types(params Type[] types) => [.. types];

    private static byte[] DataPickle(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        using var stream = archive.Entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).Open();
        var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    // The restricted unpickler alone, with every storage backed by one small scratch file.
    private static void Unpickle(byte[] input, MappedFile scratch)
    {
        var resolver = new TorchPickleResolver("fuzz", (id, type) =>
        {
            var storage = new TorchStorage("0", type, 1, 0, scratch);
            storage.Locate(0, 0);
            return storage;
        });
        foreach (var _ in ObjectTree.Leaves(new Unpickler(input, "fuzz", resolver).Load(), "fuzz"))
        {
        }
    }

    // The whole import path: container, key mapping, architecture inference and every tensor read.
    private static void OpenWeights(byte[] input, string path)
    {
        File.WriteAllBytes(path, input);
        using var file = CheckpointFile.Open(path);
        foreach (var tensor in file.Tensors)
            if (tensor.Numel <= MaxElementsRead) tensor.ReadFloat32();
        var weights = KeyMapping.Map(file);
        ArchitectureInference.Infer(weights, file, new ArchitectureOptions { Heads = 1, PredictorHeads = 1 });
    }

    private static void OpenSafetensors(byte[] input, string path)
    {
        File.WriteAllBytes(path, input);
        using var file = SafetensorsFile.Open(path);
        foreach (var entry in file.Entries.Values)
        {
            if (entry.Numel > MaxElementsRead) continue;
            if (ElementTypes.IsInteger(entry.ElementType)) file.ReadInt64(entry.Name);
            else file.ReadFloat32(entry.Name);
        }
    }

    private static void OpenIdx(byte[] input, string path)
    {
        File.WriteAllBytes(path, input);
        var dataset = new IdxDataset(path, null);
        var pixels = new byte[dataset.ImageBytes];
        for (int i = 0; i < dataset.Count; i++) dataset.ReadBytes(i, pixels);
    }

    private static List<byte[]> IdxSeeds()
    {
        byte[] images = [0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, .. Enumerable.Range(0, 24).Select(i => (byte)(i * 10))];
        byte[] colour = [0, 0, 0x08, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, .. Enumerable.Range(0, 12).Select(i => (byte)i)];
        var gzip = new MemoryStream();
        using (var z = new GZipStream(gzip, CompressionLevel.Optimal, leaveOpen: true)) z.Write(images);
        return [images, colour, gzip.ToArray()];
    }

    private static List<byte[]> PngSeeds()
    {
        var rng = new Random(5);
        byte[] Pixels(int n)
        {
            var p = new byte[n];
            rng.NextBytes(p);
            return p;
        }
        return [Png.Encode(Pixels(5 * 4), 5, 4, 1), Png.Encode(Pixels(3 * 3 * 3), 3, 3, 3), Png.Encode(Pixels(2 * 7 * 4), 2, 7, 4), Png.Encode(Pixels(6 * 2 * 2), 6, 2, 2)];
    }
}
