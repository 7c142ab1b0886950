using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace JepaSharp.Tests.Data;

/// <summary>A temporary folder removed on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("jepa-data-test-").FullName;

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a failing test's thread; the OS temp cleaner will get it.
        }
    }
}

/// <summary>Writers for the file formats under test, built from their specifications.</summary>
public static class DataFiles
{
    public static byte[] Idx(int[] dims, byte[] data)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = 0x08;
        header[3] = (byte)dims.Length;
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * d), dims[d]);
        return [.. header, .. data];
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    public static byte[] Zlib(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(data);
        return output.ToArray();
    }

    public static byte[] PngChunk(string type, byte[] body)
    {
        var chunk = new byte[12 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, body.Length);
        Encoding.ASCII.GetBytes(type, chunk.AsSpan(4));
        body.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + body.Length), Crc(chunk.AsSpan(4, 4 + body.Length)));
        return chunk;
    }

    public static byte[] PngHeader(int width, int height, int bitDepth, int colorType, int interlace = 0)
    {
        var body = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(body, width);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(4), height);
        body[8] = (byte)bitDepth;
        body[9] = (byte)colorType;
        body[12] = (byte)interlace;
        return PngChunk("IHDR", body);
    }

    /// <summary>A PNG file from already-filtered scanlines and optional extra chunks placed before IDAT.</summary>
    public static byte[] Png(int width, int height, int bitDepth, int colorType, byte[] filteredScanlines, int interlace = 0, params byte[][] extraChunks)
    {
        byte[] signature = [137, 80, 78, 71, 13, 10, 26, 10];
        var parts = new List<byte>(signature);
        parts.AddRange(PngHeader(width, height, bitDepth, colorType, interlace));
        foreach (var chunk in extraChunks) parts.AddRange(chunk);
        parts.AddRange(PngChunk("IDAT", Zlib(filteredScanlines)));
        parts.AddRange(PngChunk("IEND", []));
        return parts.ToArray();
    }

    /// <summary>Reference CRC-32 (bitwise, no table) so the test does not share the decoder's code.</summary>
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (uint)-(int)(c & 1));
        }
        return ~c;
    }
}
