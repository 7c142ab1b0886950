using JepaSharp.Interop.Mapping;
using JepaSharp.Interop.Pickle;
using JepaSharp.Interop.Torch;
using Xunit;

namespace JepaSharp.Tests.Interop;

/// <summary>
/// Hostile pickles and archives: each is refused with an InvalidDataException that names the
/// global or the problem; nothing is executed and nothing crashes.
/// </summary>
public sealed class PickleSecurityTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("jepa-security-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static object? Unpickle(byte[] pickle) =>
        new Unpickler(pickle, "crafted", new TorchPickleResolver("crafted", (_, _) => throw new InvalidDataException("no storages here"))).Load();

    private static InvalidDataException Refused(byte[] pickle) => Assert.Throws<InvalidDataException>(() => Unpickle(pickle));

    [Fact]
    public void GlobalOfOsSystemIsRefusedBeforeAnythingRuns()
    {
        string marker = Path.Combine(_dir.FullName, "pwned");
        var pickle = new PickleBytes().Global("os", "system").Text($"touch {marker}").Op(PickleOpcode.Tuple1).Op(PickleOpcode.Reduce).Stop();
        var e = Refused(pickle);
        Assert.Contains("'os.system'", e.Message);
        Assert.Contains("refusing", e.Message);
        Assert.False(File.Exists(marker));
    }

    [Theory]
    [InlineData("builtins", "eval")]
    [InlineData("builtins", "getattr")]
    [InlineData("__builtin__", "exec")]
    [InlineData("subprocess", "Popen")]
    [InlineData("posix", "system")]
    [InlineData("torch.storage", "_load_from_bytes")]
    [InlineData("torch", "load")]
    [InlineData("numpy.core.multiarray", "_reconstruct")]
    public void ReduceOfArbitraryCallablesIsRefusedNamingTheGlobal(string module, string name)
    {
        var e = Refused(new PickleBytes().Global(module, name).Text("x").Op(PickleOpcode.Tuple1).Op(PickleOpcode.Reduce).Stop());
        Assert.Contains($"'{module}.{name}'", e.Message);
    }

    [Fact]
    public void StackGlobalInstObjAndNewObjOfForeignClassesAreRefused()
    {
        Assert.Contains("'os.system'", Refused(new PickleBytes().Text("os").Text("system").Op(PickleOpcode.StackGlobal).Stop()).Message);
        var inst = new PickleBytes().Op(PickleOpcode.Mark).Text("id").Op(PickleOpcode.Inst).Raw("subprocess\ncheck_output\n"u8.ToArray()).Stop();
        Assert.Contains("'subprocess.check_output'", Refused(inst).Message);
        var obj = new PickleBytes().Op(PickleOpcode.Mark).Global("collections", "defaultdict").Op(PickleOpcode.Obj).Stop();
        Assert.Contains("'collections.defaultdict'", Refused(obj).Message);
        var newobj = new PickleBytes().Global("pathlib", "Path").Op(PickleOpcode.EmptyTuple).Op(PickleOpcode.NewObj).Stop();
        Assert.Contains("'pathlib.Path'", Refused(newobj).Message);
        // Allowed names that are types, not functions, cannot be called either.
        var storageCall = new PickleBytes().Global("torch", "FloatStorage").Op(PickleOpcode.EmptyTuple).Op(PickleOpcode.NewObj).Stop();
        Assert.Contains("torch.FloatStorage", Refused(storageCall).Message);
        Assert.Contains("extension", Refused(new PickleBytes().Op(PickleOpcode.Ext1).Raw(1).Stop()).Message);
    }

    [Fact]
    public void DeepNestingIsBounded()
    {
        var marks = new PickleBytes();
        for (int i = 0; i < 100_000; i++) marks.Op(PickleOpcode.Mark);
        Assert.Contains("nested deeper", Refused(marks.Stop()).Message);

        // 10 000 lists inside each other need no marks: the tree walk bounds them instead of recursing.
        var lists = new PickleBytes();
        for (int i = 0; i < 10_000; i++) lists.Op(PickleOpcode.EmptyList);
        for (int i = 0; i < 9_999; i++) lists.Op(PickleOpcode.Append);
        string path = CraftedArchive.Write(_dir.FullName, lists.Stop());
        var e = Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(path));
        Assert.Contains("nested deeper", e.Message);

        // A list that contains itself is a cycle, not an endless walk.
        var cycle = new PickleBytes().Op(PickleOpcode.EmptyList).Op(PickleOpcode.BinPut).Raw(0).Op(PickleOpcode.BinGet).Raw(0).Op(PickleOpcode.Append).Stop();
        Assert.Contains("refers to itself", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(CraftedArchive.Write(_dir.FullName, cycle))).Message);
    }

    [Fact]
    public void HugeDeclaredLengthsFailBeforeAllocating()
    {
        Assert.Contains("only", Refused(new PickleBytes().Op(PickleOpcode.BinUnicode).Raw(0xF0, 0xFF, 0xFF, 0xFF).Stop()).Message);
        Assert.Contains("only", Refused(new PickleBytes().Op(PickleOpcode.BinBytes8).Raw(0, 0, 0, 0, 0, 0, 0, 0x7F).Stop()).Message);
        Assert.Contains("LONG4", Refused(new PickleBytes().Op(PickleOpcode.Long4).Raw(0, 0, 0, 0x40).Stop()).Message);
        Assert.Contains("FRAME", Refused(new PickleBytes().Op(PickleOpcode.Frame).Raw(0, 0, 0, 0, 0, 0, 0, 1).Stop()).Message);
        Assert.Contains("never stored", Refused(new PickleBytes().Op(PickleOpcode.LongBinGet).Raw(0xFF, 0xFF, 0xFF, 0xFF).Stop()).Message);
    }

    [Fact]
    public void MalformedStreamsFailWithTheirByteOffset()
    {
        Assert.Contains("before its STOP", Refused(new PickleBytes().Op(PickleOpcode.EmptyDict).Build()).Message);
        Assert.Contains("underflow", Refused(new PickleBytes().Op(PickleOpcode.Append).Stop()).Message);
        Assert.Contains("unknown pickle opcode 0xFF", Refused(new PickleBytes().Raw(0xFF).Stop()).Message);
        Assert.Contains("SETITEMS applied to a list", Refused(new PickleBytes().Op(PickleOpcode.EmptyList).Op(PickleOpcode.Mark).Op(PickleOpcode.SetItems).Stop()).Message);
        Assert.Contains("pickle byte", Refused(new PickleBytes().Op(PickleOpcode.None).Op(PickleOpcode.None).Stop()).Message);
    }

    [Fact]
    public void TensorViewsReachingPastTheirStorageAreRefused()
    {
        var data = new byte[4 * sizeof(float)];
        string past = CraftedArchive.Write(_dir.FullName, CraftedArchive.OneTensor(4, 2, [3], [1]), ("0", data));
        Assert.Contains("reaches element 4", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(past)).Message);
        string strided = CraftedArchive.Write(_dir.FullName, CraftedArchive.OneTensor(4, 0, [2, 2], [1, 3]), ("0", data));
        Assert.Contains("reaches element 4", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(strided)).Message);
        // The record holds fewer bytes than the storage declares.
        string shortRecord = CraftedArchive.Write(_dir.FullName, CraftedArchive.OneTensor(100, 0, [4], [1]), ("0", data));
        Assert.Contains("declares 100", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(shortRecord)).Message);
        string missing = CraftedArchive.Write(_dir.FullName, CraftedArchive.OneTensor(4, 0, [4], [1]));
        Assert.Contains("no record 'archive/data/0'", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(missing)).Message);
        string good = CraftedArchive.Write(_dir.FullName, CraftedArchive.OneTensor(4, 0, [4], [1]), ("0", data));
        using var file = CheckpointFile.Open(good);
        Assert.Equal(new float[4], file.Tensors.Single().ReadFloat32());
    }

    [Fact]
    public void EveryTruncationOfARealCheckpointFailsCleanly()
    {
        var bytes = File.ReadAllBytes(InteropFixtures.Path("official_zip.pth"));
        var legacy = File.ReadAllBytes(InteropFixtures.Path("official_legacy.pth"));
        foreach (var (source, name) in new[] { (bytes, "zip"), (legacy, "legacy") })
            for (int cut = 0; cut < source.Length; cut += source.Length / 97 + 1)
            {
                string path = Path.Combine(_dir.FullName, $"{name}-{cut}.pth");
                File.WriteAllBytes(path, source[..cut]);
                var e = Assert.ThrowsAny<Exception>(() => CheckpointFile.Open(path).Dispose());
                Assert.True(e is InvalidDataException, $"{name} cut at {cut}: {e.GetType().Name}: {e.Message}");
            }
    }

    [Fact]
    public void CompressedOrOversizedZipMembersAreRefusedWithoutInflating()
    {
        string path = CraftedArchive.Write(_dir.FullName, CraftedArchive.OneTensor(4, 0, [4], [1]), ("0", new byte[16]));
        var original = File.ReadAllBytes(path);
        int central = IndexOf(original, [0x50, 0x4B, 0x01, 0x02]);

        var deflated = (byte[])original.Clone();
        deflated[central + 10] = 8;
        File.WriteAllBytes(path, deflated);
        Assert.Contains("compressed (method 8)", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(path)).Message);

        // A "bomb": a member declaring 4 GB - 2 of data in a file of a few hundred bytes.
        var huge = (byte[])original.Clone();
        foreach (int field in new[] { 20, 24 })
            for (int i = 0; i < 4; i++) huge[central + field + i] = i == 0 ? (byte)0xFE : (byte)0xFF;
        File.WriteAllBytes(path, huge);
        Assert.Contains("past the start of the central directory", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(path)).Message);

        var badOffset = (byte[])original.Clone();
        for (int i = 0; i < 4; i++) badOffset[central + 42 + i] = 0x7F;
        File.WriteAllBytes(path, badOffset);
        Assert.Contains("outside the", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(path)).Message);

        var badPickle = (byte[])original.Clone();
        badPickle[IndexOf(original, [0x80, 0x02]) + 1] ^= 0x40;
        File.WriteAllBytes(path, badPickle);
        Assert.Contains("CRC", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(path)).Message);
    }

    [Fact]
    public void NonCheckpointsAreNamedAsSuch()
    {
        string text = Path.Combine(_dir.FullName, "notes.txt");
        File.WriteAllText(text, "hello, world");
        Assert.Contains("neither a safetensors file nor a PyTorch checkpoint", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(text)).Message);
        string plainPickle = Path.Combine(_dir.FullName, "plain.pkl");
        File.WriteAllBytes(plainPickle, new PickleBytes().Op(PickleOpcode.EmptyDict).Stop());
        Assert.Contains("magic number", Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(plainPickle)).Message);
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
