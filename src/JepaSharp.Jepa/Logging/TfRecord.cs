using System.Buffers.Binary;
using System.Numerics;

namespace JepaSharp.Jepa.Logging;

/// <summary>
/// TFRecord framing, the container of TensorBoard event files: a little-endian u64 data length,
/// the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
/// </summary>
internal static class TfRecord
{
    public const int HeaderSize = 12;
    public const int FooterSize = 4;
    public const int Overhead = HeaderSize + FooterSize;

    /// <summary>CRC-32C (Castagnoli), the variant TFRecord uses; check value crc("123456789") = 0xE3069283.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        int i = 0;
        for (; i + sizeof(ulong) <= data.Length; i += sizeof(ulong))
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++) crc = BitOperations.Crc32C(crc, data[i]);
        return ~crc;
    }

    /// <summary>
    /// TensorFlow stores CRCs rotated and offset because a CRC over data that itself embeds CRCs
    /// is weak; the mask keeps a stored CRC from looking like the CRC of its neighbours.
    /// </summary>
    public static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8u);

    public static uint MaskedCrc32C(ReadOnlySpan<byte> data) => Mask(Crc32C(data));

    /// <summary>
    /// Fills in the header and footer around the <paramref name="dataLength"/> bytes already at
    /// <c>record[HeaderSize..]</c>.
    /// </summary>
    public static void Frame(Span<byte> record, int dataLength)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)dataLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], MaskedCrc32C(record[..8]));
        var data = record.Slice(HeaderSize, dataLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record[(HeaderSize + dataLength)..], MaskedCrc32C(data));
    }
}
