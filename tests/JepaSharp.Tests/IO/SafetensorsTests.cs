using System.Buffers.Binary;
using System.Text;
using JepaSharp.Engine.IO;
using JepaSharp.Engine.Memory;
using JepaSharp.Engine.Tensors;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.IO;

public sealed class SafetensorsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("jepasharp-safetensors-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => System.IO.Path.Combine(_dir.FullName, name);

    /// <summary>Writes a file from a literal header and <paramref name="dataBytes"/> bytes of data, the way a corrupt or foreign file would look.</summary>
    private string WriteRaw(string header, int dataBytes, ulong? headerLength = null, string name = "raw.safetensors")
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        for (int i = 0; i < dataBytes; i++) bytes[8 + json.Length + i] = (byte)(i * 37 + 1);
        string path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static InvalidDataException AssertInvalid(string path, string problem)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
        return e;
    }

    private string[] LeftoverTemporaries() => Directory.GetFiles(_dir.FullName, "*.tmp-*");

    // --- round trip ---

    [Fact]
    public unsafe void RoundTripKeepsNamesShapesValuesAndMetadata()
    {
        float[] matrix = TestData.Uniform(12, seed: 1, scale: 3f);
        matrix[5] = float.NegativeInfinity;
        matrix[6] = -0f;
        float[] native = TestData.Uniform(10, seed: 2);
        long[] rng = [long.MinValue, -1, 0, long.MaxValue];
        using var buffer = TestData.Buffer(native);
        var tensor = Tensor.Wrap(buffer.Pointer, new Shape(2, 5));

        string path = PathOf("round.safetensors");
        new SafetensorsWriter()
            .Add("blocks.0.w", new Shape(3, 4), matrix)
            .Add("scalar", new Shape(), [3.5f])
            .Add("empty", new Shape(0), ReadOnlySpan<float>.Empty)
            .Add("empty3d", [2, 0, 3], ReadOnlySpan<float>.Empty)
            .Add("native", tensor)
            .Add("step", new Shape(), [123456789012L])
            .Add("rng", new Shape(4), rng)
            .AddMetadata("format", "pt")
            .AddMetadata("note", "ünïcødé \"quoted\"")
            .Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["blocks.0.w", "scalar", "empty", "empty3d", "native", "step", "rng"], file.Entries.Keys);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcødé \"quoted\"" }, file.Metadata);

        Assert.Equal(matrix, file.ReadFloat32("blocks.0.w"));
        Assert.True(float.IsNegative(file.ReadFloat32("blocks.0.w")[6]));
        Assert.Equal([3, 4], file.GetEntry("blocks.0.w").Shape);
        Assert.Equal("F32", file.GetEntry("blocks.0.w").DType);

        var scalar = file.GetEntry("scalar");
        Assert.Empty(scalar.Shape);
        Assert.Equal(1, scalar.Numel);
        Assert.Equal(new Shape(), scalar.ToShape());
        Assert.Equal([3.5f], file.ReadFloat32("scalar"));

        Assert.Empty(file.ReadFloat32("empty"));
        Assert.Equal([0], file.GetEntry("empty").Shape);
        Assert.Empty(file.ReadFloat32("empty3d"));
        Assert.Equal(new Shape(2, 0, 3), file.GetEntry("empty3d").ToShape());
        Assert.Equal(0, file.GetEntry("empty3d").ByteLength);

        Assert.Equal(native, file.ReadFloat32("native"));
        Assert.Equal([2, 5], file.GetEntry("native").Shape);

        Assert.Equal("I64", file.GetEntry("step").DType);
        Assert.Equal([123456789012L], file.ReadInt64("step"));
        Assert.Equal(rng, file.ReadInt64("rng"));

        var into = new float[12];
        file.ReadInto("blocks.0.w", into);
        Assert.Equal(matrix, into);
    }

    [Fact]
    public void WriterPadsTheHeaderToEightBytesAndPacksDataContiguously()
    {
        string path = PathOf("layout.safetensors");
        SafetensorsWriter.Write(path, [("a", new Shape(3), [1f, 2f, 3f]), ("b", new Shape(1), [4f])],
            new Dictionary<string, string> { ["k"] = "v" });

        byte[] bytes = File.ReadAllBytes(path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        Assert.Equal(8 + (long)headerLength + 16, bytes.Length);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.StartsWith("{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}", header);
        Assert.Equal(header.TrimEnd(' ').Length, header.TrimEnd().Length);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(12, file.GetEntry("b").Begin);
        Assert.Equal(16, file.GetEntry("b").End);
        Assert.Equal(16, file.DataLength);
        Assert.Equal([4f], file.ReadFloat32("b"));
    }

    [Fact]
    public void WriterRejectsBadTensors()
    {
        var writer = new SafetensorsWriter().Add("a", new Shape(2), [1f, 2f]);
        Assert.Contains("duplicate tensor name 'a'", Assert.Throws<ArgumentException>(() => writer.Add("a", new Shape(1), [1f])).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", new Shape(1), [1f])).Message);
        var e = Assert.Throws<ArgumentException>(() => writer.Add("b", new Shape(2, 3), [1f, 2f]));
        Assert.Contains("'b' has shape [2, 3] (6 elements) but 2 values", e.Message);
        Assert.Contains("negative dimension", Assert.Throws<ArgumentException>(() => writer.Add("c", [-1], ReadOnlySpan<float>.Empty)).Message);
        Assert.Throws<ArgumentException>(() => writer.AddMetadata("k", "1").AddMetadata("k", "2"));
        Assert.Throws<ArgumentException>(() => writer.Add("d", Tensor.Declare(new Shape(4))));
        Assert.Equal(1, writer.Count);
    }

    // --- reading PyTorch's dtypes ---

    [Fact]
    public void ReadsPyTorchHalfPrecisionAndIntegerTensors()
    {
        using var file = Fixtures.Open("dtypes.safetensors");

        Assert.Equal("F16", file.GetEntry("f16").DType);
        Assert.Equal([0f, 1f, -2f, 0.5f, 65504f, MathF.Pow(2, -14), MathF.Pow(2, -24), float.NegativeInfinity], file.ReadFloat32("f16"));
        Assert.Empty(file.ReadFloat32("f16_empty"));
        Assert.Equal([0, 3], file.GetEntry("f16_empty").Shape);

        Assert.Equal("BF16", file.GetEntry("bf16").DType);
        Assert.Equal([1f, -1.5f, 3.140625f, MathF.Pow(2, 100), MathF.Pow(2, -130), -0.0078125f], file.ReadFloat32("bf16"));

        Assert.Equal([(float)(1.0 / 3), -2.5f, (float)1e-3, (float)123456.789], file.ReadFloat32("f64"));

        Assert.Equal([0L, 1, -7, 1234567890123, long.MinValue], file.ReadInt64("i64"));
        Assert.Equal([0f, 1f, -7f, 1234567890123f, -MathF.Pow(2, 63)], file.ReadFloat32("i64"));
        Assert.Empty(file.GetEntry("i64_scalar").Shape);
        Assert.Equal([42L], file.ReadInt64("i64_scalar"));

        Assert.Equal([(long)int.MinValue, 0, int.MaxValue], file.ReadInt64("i32"));
        Assert.Equal([-32768f, -1f, 32767f], file.ReadFloat32("i16"));
        Assert.Equal([-128L, 0, 127], file.ReadInt64("i8"));
        Assert.Equal([0f, 1f, 255f], file.ReadFloat32("u8"));
        Assert.Equal([1L, 0, 0, 1], file.ReadInt64("bool"));
        Assert.Equal([1f, 0f, 0f, 1f], file.ReadFloat32("bool"));
    }

    [Fact]
    public void ReadsFloat8AndUnsignedTypesFromHandWrittenBytes()
    {
        // Bytes after the header: E4M3 [1.0, -2.0, 448, 2^-9, NaN], E5M2 [1.0, inf, -0.5], U16 65535, U64 2^63.
        string header = """{"e4m3":{"dtype":"F8_E4M3","shape":[5],"data_offsets":[0,5]},"e5m2":{"dtype":"F8_E5M2","shape":[3],"data_offsets":[5,8]},"u16":{"dtype":"U16","shape":[1],"data_offsets":[8,10]},"u64":{"dtype":"U64","shape":[1],"data_offsets":[10,18]}}""";
        string path = WriteRaw(header, 18);
        byte[] bytes = File.ReadAllBytes(path);
        int start = bytes.Length - 18;
        new byte[] { 0x38, 0xC0, 0x7E, 0x01, 0x7F, 0x3C, 0x7C, 0xB8, 0xFF, 0xFF }.CopyTo(bytes, start);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(start + 10), 1UL << 63);
        File.WriteAllBytes(path, bytes);

        using var file = SafetensorsFile.Open(path);
        float[] e4m3 = file.ReadFloat32("e4m3");
        Assert.Equal([1f, -2f, 448f, 1f / 512], e4m3[..4]);
        Assert.True(float.IsNaN(e4m3[4]));
        Assert.Equal([1f, float.PositiveInfinity, -0.5f], file.ReadFloat32("e5m2"));
        Assert.Equal([65535L], file.ReadInt64("u16"));
        Assert.Equal([MathF.Pow(2, 63)], file.ReadFloat32("u64"));
        var e = Assert.Throws<OverflowException>(() => file.ReadInt64("u64"));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ReadErrorsNameTheFileAndTheTensor()
    {
        string path = PathOf("small.safetensors");
        new SafetensorsWriter().Add("w", new Shape(2, 2), [1f, 2f, 3f, 4f]).Save(path);
        using var file = SafetensorsFile.Open(path);

        var missing = Assert.Throws<KeyNotFoundException>(() => file.ReadFloat32("blocks.0.missing"));
        Assert.Contains(path, missing.Message);
        Assert.Contains("'blocks.0.missing'", missing.Message);

        var wrongLength = Assert.Throws<ArgumentException>(() => file.ReadInto("w", new float[3]));
        Assert.Contains(path, wrongLength.Message);
        Assert.Contains("4 elements", wrongLength.Message);

        var notInteger = Assert.Throws<InvalidOperationException>(() => file.ReadInt64("w"));
        Assert.Contains("F32, not an integer type", notInteger.Message);

        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.ReadFloat32("w"));
    }

    // --- validation ---

    [Fact]
    public void RejectsAFileTooShortForTheLengthPrefix()
    {
        string path = PathOf("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        AssertInvalid(path, "too short for the 8-byte header length");
    }

    [Fact]
    public void RejectsAnOversizedHeaderLength() =>
        AssertInvalid(WriteRaw("{}", 0, headerLength: 100_000_001), "header length 100000001 exceeds the limit");

    [Fact]
    public void RejectsAHeaderLengthBeyondTheFile() =>
        AssertInvalid(WriteRaw("{}", 0, headerLength: 4096), "header length 4096 runs past the end of the file (10 bytes)");

    [Theory]
    [InlineData("""{"a":{"dtype":"F32",""", 0, "not valid JSON")]
    [InlineData("""{"a":1} x""", 0, "not valid JSON")]
    [InlineData("""[1,2]""", 0, "header is a JSON array, not an object")]
    [InlineData("""{"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has unknown dtype 'F17'")]
    [InlineData("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has no string field 'dtype'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}""", 12, "spanning 12 bytes, but dtype F32 with shape [2, 2] needs 16")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8, "beyond the end of the 8-byte data buffer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 8, "end before they begin")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", 8, "not a non-negative 64-bit integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4, "no field 'data_offsets' holding two integers")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""", 24, "tensors 'a' [0, 16) and 'b' [8, 24) overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}""", 20, "bytes [8, 12) of the data buffer belong to no tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12, "bytes [8, 12) of the data buffer belong to no tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "duplicate tensor name 'a'")]
    [InlineData("""{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has a repeated field 'dtype'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}""", 0, "tensor 'a' has negative dimension -1")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", 4, "shape entry 1.5 that is not an integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}""", 4, "dimension 4294967296, beyond the supported")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,4]}}""", 4, "byte size overflows 64 bits")]
    [InlineData("""{"__metadata__":{"k":1}}""", 0, "metadata value 'k' is a JSON number, not a string")]
    [InlineData("""{"__metadata__":[]}""", 0, "'__metadata__' is a JSON array, not an object of strings")]
    [InlineData("""{"__metadata__":{},"__metadata__":{}}""", 0, "duplicate key '__metadata__'")]
    [InlineData("""{"__metadata__":{"k":"1","k":"2"}}""", 0, "duplicate metadata key 'k'")]
    public void RejectsACorruptHeaderNamingTheFileAndTheProblem(string header, int dataBytes, string problem) =>
        AssertInvalid(WriteRaw(header, dataBytes), problem);

    [Fact]
    public void AcceptsForeignLayoutsThatAreStillValid()
    {
        // Unpadded header, tensors listed out of offset order, an unknown extra field, a zero-size
        // tensor sharing its offset with its neighbour: all legal, as other writers produce them.
        string header = """{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8],"extra":true},"z":{"dtype":"F16","shape":[0],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""";
        string path = WriteRaw(header, 8);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["b", "z", "a"], file.Entries.Keys);
        Assert.Empty(file.Metadata);
        Assert.Empty(file.ReadFloat32("z"));
        Assert.Single(file.ReadFloat32("a"));
    }

    // --- atomic writes ---

    [Fact]
    public void SavingOverAnExistingFileReplacesItWholeAndLeavesNoTemporary()
    {
        string path = PathOf("ckpt.safetensors");
        var big = TestData.Uniform(4096, seed: 3);
        SafetensorsWriter.Write(path, [("big", new Shape(64, 64), big)]);
        long bigLength = new FileInfo(path).Length;

        SafetensorsWriter.Write(path, [("small", new Shape(2), [7f, 8f])]);

        Assert.True(new FileInfo(path).Length < bigLength);
        using (var file = SafetensorsFile.Open(path))
        {
            Assert.Equal(["small"], file.Entries.Keys);
            Assert.Equal([7f, 8f], file.ReadFloat32("small"));
        }
        Assert.Empty(LeftoverTemporaries());
        Assert.Equal(["ckpt.safetensors"], _dir.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void AFailedSaveLeavesTheOldFileIntactAndRemovesItsTemporary()
    {
        string path = PathOf("ckpt.safetensors");
        SafetensorsWriter.Write(path, [("old", new Shape(3), [1f, 2f, 3f])]);
        byte[] before = File.ReadAllBytes(path);

        string? temporary = null;
        var writer = new SafetensorsWriter().Add("new", new Shape(2), [9f, 9f]);
        writer.BeforeCommit = tmp =>
        {
            temporary = tmp;
            // The complete new file sits beside the target, already valid, just not yet published.
            using (var pending = SafetensorsFile.Open(tmp)) Assert.Equal([9f, 9f], pending.ReadFloat32("new"));
            throw new IOException("simulated crash before the rename");
        };
        Assert.Throws<IOException>(() => writer.Save(path));

        Assert.NotNull(temporary);
        Assert.Equal(_dir.FullName, System.IO.Path.GetDirectoryName(temporary));
        Assert.StartsWith(path + ".tmp-", temporary);
        Assert.False(File.Exists(temporary));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(LeftoverTemporaries());
    }

    [Fact]
    public void SavingIntoAMissingDirectoryFailsWithoutCreatingAnything()
    {
        string path = PathOf(System.IO.Path.Combine("missing", "ckpt.safetensors"));
        Assert.Throws<DirectoryNotFoundException>(() => SafetensorsWriter.Write(path, [("a", new Shape(1), [1f])]));
        Assert.False(Directory.Exists(PathOf("missing")));
    }

    [Fact]
    public void AnOpenReaderKeepsSeeingTheFileItOpenedWhileItIsReplaced()
    {
        // POSIX rename semantics; Windows refuses to replace a mapped file instead.
        if (OperatingSystem.IsWindows()) return;
        string path = PathOf("ckpt.safetensors");
        SafetensorsWriter.Write(path, [("w", new Shape(2), [1f, 2f])]);
        using var old = SafetensorsFile.Open(path);

        SafetensorsWriter.Write(path, [("w", new Shape(3), [4f, 5f, 6f])]);

        Assert.Equal([1f, 2f], old.ReadFloat32("w"));
        using var fresh = SafetensorsFile.Open(path);
        Assert.Equal([4f, 5f, 6f], fresh.ReadFloat32("w"));
    }
}
