using System.Buffers.Binary;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace JepaSharp.Engine.IO;

/// <summary>Element types of stored tensors (safetensors dtypes; PyTorch storages map onto them).</summary>
public enum ElementType
{
    Bool, U8, I8, I16, U16, I32, U32, I64, U64, F16, BF16, F32, F64, F8E4M3, F8E5M2,
}

/// <summary>
/// Names, sizes and conversions of <see cref="ElementType"/>: checkpoint readers turn raw
/// little-endian bytes into float32 (or int64) through these, whatever container held them.
/// </summary>
public static class ElementTypes
{
    /// <summary>The element type and byte size of a safetensors dtype string (F32, F16, BF16, I64, …); false for an unknown one.</summary>
    public static bool TryParse(string dtype, out ElementType type, out int elementSize)
    {
        (type, elementSize) = dtype switch
        {
            "BOOL" => (ElementType.Bool, 1),
            "U8" => (ElementType.U8, 1),
            "I8" => (ElementType.I8, 1),
            "F8_E4M3" => (ElementType.F8E4M3, 1),
            "F8_E5M2" => (ElementType.F8E5M2, 1),
            "I16" => (ElementType.I16, 2),
            "U16" => (ElementType.U16, 2),
            "F16" => (ElementType.F16, 2),
            "BF16" => (ElementType.BF16, 2),
            "I32" => (ElementType.I32, 4),
            "U32" => (ElementType.U32, 4),
            "F32" => (ElementType.F32, 4),
            "I64" => (ElementType.I64, 8),
            "U64" => (ElementType.U64, 8),
            "F64" => (ElementType.F64, 8),
            _ => (default, 0),
        };
        return elementSize != 0;
    }

    /// <summary>True for the integer and bool types, which <see cref="ToInt64"/> reads exactly.</summary>
    public static bool IsInteger(ElementType type) => type is ElementType.Bool
        or ElementType.U8 or ElementType.I8 or ElementType.I16 or ElementType.U16
        or ElementType.I32 or ElementType.U32 or ElementType.I64 or ElementType.U64;

    // --- element conversion (the file is little-endian whatever the host is) ---

    /// <summary>Converts <paramref name="d"/>.Length little-endian elements of <paramref name="type"/> from <paramref name="s"/> to float32.</summary>
    public static void ToFloat32(ElementType type, ReadOnlySpan<byte> s, Span<float> d)
    {
        switch (type)
        {
            case ElementType.F32:
                if (BitConverter.IsLittleEndian) s.CopyTo(MemoryMarshal.AsBytes(d));
                else for (int i = 0; i < d.Length; i++) d[i] = BinaryPrimitives.ReadSingleLittleEndian(s[(i * 4)..]);
                break;
            case ElementType.F16:
                if (BitConverter.IsLittleEndian) TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(s), d);
                else for (int i = 0; i < d.Length; i++) d[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(s[(i * 2)..]);
                break;
            case ElementType.BF16:
                Bfloat16ToSingle(s, d);
                break;
            case ElementType.F64:
                for (int i = 0; i < d.Length; i++) d[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(s[(i * 8)..]);
                break;
            case ElementType.F8E5M2:
                // E5M2 is the top byte of a float16.
                for (int i = 0; i < d.Length; i++) d[i] = (float)BitConverter.UInt16BitsToHalf((ushort)(s[i] << 8));
                break;
            case ElementType.F8E4M3:
                for (int i = 0; i < d.Length; i++) d[i] = Float8E4M3ToSingle(s[i]);
                break;
            default:
                if (!Integers(type, s, d, out _)) throw new InvalidOperationException($"no float conversion for {type}");
                break;
        }
    }
    /// <summary>Converts an integer or bool type to int64; false (with the element index) for a U64 value beyond the int64 range.</summary>
    public static bool ToInt64(ElementType type, ReadOnlySpan<byte> s, Span<long> d, out int bad)
    {
        if (!IsInteger(type)) throw new InvalidOperationException($"no integer conversion for {type}");
        return Integers(type, s, d, out bad);
    }

    // The integer and bool types into float32 or int64 (one body for both). Returns false for a
    // non-integer type (bad = -1) or, for int64 only, a U64 value beyond its range (bad = index).
    private static bool Integers<T>(ElementType type, ReadOnlySpan<byte> s, Span<T> d, out int bad) where T : struct, INumberBase<T>
    {
        bad = -1;
        switch (type)
        {
            case ElementType.Bool:
                for (int i = 0; i < d.Length; i++) d[i] = s[i] != 0 ? T.One : T.Zero;
                return true;
            case ElementType.U8:
                for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(s[i]);
                return true;
            case ElementType.I8:
                for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating((sbyte)s[i]);
                return true;
            case ElementType.I16:
                for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(BinaryPrimitives.ReadInt16LittleEndian(s[(i * 2)..]));
                return true;
            case ElementType.U16:
                for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(BinaryPrimitives.ReadUInt16LittleEndian(s[(i * 2)..]));
                return true;
            case ElementType.I32:
                for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(BinaryPrimitives.ReadInt32LittleEndian(s[(i * 4)..]));
                return true;
            case ElementType.U32:
                for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(BinaryPrimitives.ReadUInt32LittleEndian(s[(i * 4)..]));
                return true;
            case ElementType.I64:
                for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(BinaryPrimitives.ReadInt64LittleEndian(s[(i * 8)..]));
                return true;
            case ElementType.U64:
                for (int i = 0; i < d.Length; i++)
                {
                    ulong v = BinaryPrimitives.ReadUInt64LittleEndian(s[(i * 8)..]);
                    if (typeof(T) == typeof(long) && v > long.MaxValue)
                    {
                        bad = i;
                        return false;
                    }
                    d[i] = T.CreateTruncating(v);
                }
                return true;
            default:
                return false;
        }
    }

    // bfloat16 is the top half of a float32, so widening (u16 << 16) is exact; vectorised because
    // BF16 checkpoints of billions of weights go through here.
    private static void Bfloat16ToSingle(ReadOnlySpan<byte> s, Span<float> d)
    {
        int i = 0;
        if (BitConverter.IsLittleEndian && Vector256.IsHardwareAccelerated)
        {
            var source = MemoryMarshal.Cast<byte, ushort>(s[..(d.Length * 2)]);
            var bits = MemoryMarshal.Cast<float, uint>(d);
            for (; i + Vector256<ushort>.Count <= d.Length; i += Vector256<ushort>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.Create(source.Slice(i, Vector256<ushort>.Count)));
                Vector256.ShiftLeft(lower, 16).CopyTo(bits.Slice(i));
                Vector256.ShiftLeft(upper, 16).CopyTo(bits.Slice(i + Vector256<uint>.Count));
            }
        }
        for (; i < d.Length; i++) d[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(s[(i * 2)..]) << 16);
    }

    // float8 e4m3 "fn" (PyTorch's float8_e4m3fn): bias 7, no infinities, S.1111.111 is NaN.
    private static float Float8E4M3ToSingle(byte b)
    {
        int exponent = (b >> 3) & 0xF, mantissa = b & 0x7;
        float magnitude = exponent == 0xF && mantissa == 0x7 ? float.NaN
            : exponent == 0 ? mantissa * (1f / 512f)
            : (1f + mantissa / 8f) * MathF.ScaleB(1f, exponent - 7);
        return (b & 0x80) != 0 ? -magnitude : magnitude;
    }
}
