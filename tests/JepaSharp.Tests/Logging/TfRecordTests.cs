using JepaSharp.Jepa.Logging;
using JepaSharp.Tests.Data;
using Xunit;

namespace JepaSharp.Tests.Logging;

public class TfRecordTests
{
    // Two records assembled field by field from event.proto/summary.proto and framed with an
    // independent CRC-32C (Python crcmod): Event{wall_time 1700000000.5, file_version "brain.Event:2"}
    // and Event{wall_time 1700000001.25, step 7, summary{value{tag "loss", simple_value 0.5}}}.
    private const string FileVersionRecordHex =
        "1800000000000000" + "A37F4B22" + "0900002040FC54D941" + "1A0D627261696E2E4576656E743A32" + "2B353110";
    private const string ScalarRecordHex =
        "1A00000000000000" + "129BD82D" + "0900005040FC54D941" + "1007" + "2A0D0A0B0A046C6F7373150000003F" + "02181607";

    [Fact]
    public void Crc32CMatchesPublishedCheckValues()
    {
        Assert.Equal(0xE3069283u, TfRecord.Crc32C("123456789"u8));
        Assert.Equal(0u, TfRecord.Crc32C([]));
        // RFC 3720 (iSCSI) appendix B.4 test vectors; 32 bytes exercise the 8-byte path.
        Assert.Equal(0x8A9136AAu, TfRecord.Crc32C(new byte[32]));
        Assert.Equal(0x62A8AB43u, TfRecord.Crc32C(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, TfRecord.Crc32C(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
    }

    [Fact]
    public void Crc32CAgreesWithBitwiseDefinitionAtEveryLength()
    {
        var data = new byte[40];
        new Random(5).NextBytes(data);
        for (int length = 0; length <= data.Length; length++)
            Assert.Equal(BitwiseCrc32C(data.AsSpan(0, length)), TfRecord.Crc32C(data.AsSpan(0, length)));
    }

    [Fact]
    public void MaskRotatesAndOffsets()
    {
        Assert.Equal(0xA282EAD8u, TfRecord.Mask(0));
        Assert.Equal(((0xE3069283u >> 15) | (0xE3069283u << 17)) + 0xA282EAD8u, TfRecord.Mask(0xE3069283u));
    }

    [Fact]
    public void FrameReproducesHandBuiltRecord()
    {
        var expected = Convert.FromHexString(FileVersionRecordHex);
        int dataLength = expected.Length - 16;
        var record = new byte[expected.Length];
        expected.AsSpan(12, dataLength).CopyTo(record.AsSpan(12));
        TfRecord.Frame(record, dataLength);
        Assert.Equal(expected, record);
        Assert.Equal(0x224B7FA3u, TfRecord.MaskedCrc32C(record.AsSpan(0, 8)));
        Assert.Equal(0x1031352Bu, TfRecord.MaskedCrc32C(record.AsSpan(12, dataLength)));
    }

    [Fact]
    public void ReaderDecodesHandBuiltFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("events.out.tfevents.1700000000.reference");
        File.WriteAllBytes(path, Convert.FromHexString(FileVersionRecordHex + ScalarRecordHex));

        var file = TensorBoardReader.Read(path);

        Assert.Equal("brain.Event:2", file.FileVersion);
        Assert.Equal(2, file.EventCount);
        Assert.Equal([new TensorBoardScalar(1700000001.25, 7, "loss", 0.5f)], file.Scalars);
        Assert.Empty(file.Images);
        Assert.Null(file.TailProblem);
        Assert.Equal(new FileInfo(path).Length, file.EndOffset);
    }

    private static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }
}
