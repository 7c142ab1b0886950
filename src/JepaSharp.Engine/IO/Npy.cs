using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace JepaSharp.Engine.IO;

/// <summary>
/// NumPy .npy files (format 1.0): the magic <c>\x93NUMPY</c>, a little-endian u16 header length,
/// a Python-literal header dict padded with spaces to a 64-byte boundary, then the C-order data.
/// Written atomically (temp file + rename) so other tools never see half a file.
/// </summary>
public static partial class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static void WriteFloat32(string path, ReadOnlySpan<float> data, params int[] shape) => Write(path, "<f4", MemoryMarshal.AsBytes(data), shape, data.Length);

    public static void WriteInt64(string path, ReadOnlySpan<long> data, params int[] shape) => Write(path, "<i8", MemoryMarshal.AsBytes(data), shape, data.Length);

    private static void Write(string path, string descr, ReadOnlySpan<byte> bytes, int[] shape, int count)
    {
        long numel = shape.Aggregate(1L, (a, d) => a * d);
        if (numel != count) throw new ArgumentException($"npy '{path}': shape ({string.Join(", ", shape)}) holds {numel} values, got {count}");
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
        string header = dict + new string(' ', (64 - unpadded % 64) % 64) + "\n";
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(Magic);
                stream.Write([1, 0]);
                Span<byte> length = stackalloc byte[2];
                BinaryPrimitives.WriteUInt16LittleEndian(length, checked((ushort)header.Length));
                stream.Write(length);
                stream.Write(Encoding.ASCII.GetBytes(header));
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Reads a C-order little-endian float32 .npy file: its shape and values.</summary>
    public static (int[] Shape, float[] Data) ReadFloat32(string path)
    {
        var (descr, shape, offset, bytes) = ReadRaw(path);
        if (descr != "<f4") throw new InvalidDataException($"npy '{path}': dtype '{descr}' is not little-endian float32");
        return (shape, MemoryMarshal.Cast<byte, float>(bytes.AsSpan(offset)).ToArray());
    }

    public static (int[] Shape, long[] Data) ReadInt64(string path)
    {
        var (descr, shape, offset, bytes) = ReadRaw(path);
        if (descr != "<i8") throw new InvalidDataException($"npy '{path}': dtype '{descr}' is not little-endian int64");
        return (shape, MemoryMarshal.Cast<byte, long>(bytes.AsSpan(offset)).ToArray());
    }

    private static (string Descr, int[] Shape, int DataOffset, byte[] Bytes) ReadRaw(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not a .npy file (bad magic)");
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        if (10 + headerLength > bytes.Length) throw new InvalidDataException($"npy '{path}': header runs past the end of the file");
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        var m = HeaderPattern().Match(header);
        if (!m.Success || m.Groups["fortran"].Value != "False")
            throw new InvalidDataException($"npy '{path}': unsupported header {header.Trim()}");
        int[] shape = m.Groups["shape"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        int itemSize = m.Groups["descr"].Value.EndsWith('8') ? 8 : 4;
        long expected = shape.Aggregate(1L, (a, d) => a * d) * itemSize;
        if (bytes.Length - 10 - headerLength != expected)
            throw new InvalidDataException($"npy '{path}': {bytes.Length - 10 - headerLength} data bytes for shape ({string.Join(", ", shape)}), expected {expected}");
        return (m.Groups["descr"].Value, shape, 10 + headerLength, bytes);
    }

    [GeneratedRegex(@"'descr':\s*'(?<descr>[^']+)',\s*'fortran_order':\s*(?<fortran>True|False),\s*'shape':\s*\((?<shape>[^)]*)\)")]
    private static partial Regex HeaderPattern();
}
