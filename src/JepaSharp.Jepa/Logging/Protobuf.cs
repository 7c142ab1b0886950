using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace JepaSharp.Jepa.Logging;

internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    Fixed32 = 5,
}

/// <summary>
/// Writes protobuf fields into a span sized beforehand with the <c>*Size</c> helpers: nested
/// messages are prefixed by their length, so sizes are computed first instead of copying bodies.
/// </summary>
internal ref struct ProtoWriter(Span<byte> destination)
{
    private readonly Span<byte> _destination = destination;

    public int Position { get; private set; }

    public readonly bool IsFull => Position == _destination.Length;

    public static int VarintSize(ulong value) => (64 - BitOperations.LeadingZeroCount(value | 1) + 6) / 7;

    public static int KeySize(int field) => VarintSize((ulong)field << 3);

    public static int VarintFieldSize(int field, long value) => KeySize(field) + VarintSize((ulong)value);

    public static int LengthDelimitedFieldSize(int field, int length) => KeySize(field) + VarintSize((ulong)length) + length;

    public static int StringFieldSize(int field, string value) => LengthDelimitedFieldSize(field, Encoding.UTF8.GetByteCount(value));

    public void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _destination[Position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _destination[Position++] = (byte)value;
    }

    public void WriteKey(int field, WireType wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

    public void WriteVarintField(int field, long value)
    {
        WriteKey(field, WireType.Varint);
        // Negative int64 values are sign-extended to ten bytes, as protobuf requires.
        WriteVarint((ulong)value);
    }

    public void WriteDoubleField(int field, double value)
    {
        WriteKey(field, WireType.Fixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(_destination[Position..], value);
        Position += sizeof(double);
    }

    public void WriteFloatField(int field, float value)
    {
        WriteKey(field, WireType.Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(_destination[Position..], value);
        Position += sizeof(float);
    }

    /// <summary>Starts a nested message or byte string of <paramref name="length"/> bytes; the caller writes the body next.</summary>
    public void WriteLengthPrefix(int field, int length)
    {
        WriteKey(field, WireType.LengthDelimited);
        WriteVarint((ulong)length);
    }

    public void WriteBytesField(int field, ReadOnlySpan<byte> value)
    {
        WriteLengthPrefix(field, value.Length);
        value.CopyTo(_destination[Position..]);
        Position += value.Length;
    }

    public void WriteStringField(int field, string value)
    {
        WriteLengthPrefix(field, Encoding.UTF8.GetByteCount(value));
        Position += Encoding.UTF8.GetBytes(value, _destination[Position..]);
    }
}

/// <summary>Reads protobuf fields; malformed input raises <see cref="InvalidDataException"/>.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> source)
{
    private readonly ReadOnlySpan<byte> _source = source;
    private int _position;

    public bool TryReadKey(out int field, out WireType wireType)
    {
        if (_position == _source.Length)
        {
            field = 0;
            wireType = default;
            return false;
        }
        ulong key = ReadVarint();
        field = (int)(key >> 3);
        wireType = (WireType)(key & 7);
        if (field == 0) throw Malformed("a field number of 0");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position == _source.Length) throw Malformed("a varint running past the end of its message");
            byte b = _source[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw Malformed("a varint longer than ten bytes");
    }

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(sizeof(double)));

    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(sizeof(float)));

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_source.Length - _position)) throw Malformed($"a {length}-byte field running past the end of its message");
        return Take((int)length);
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadLengthDelimited());

    /// <summary>Skips a field this reader does not interpret, as protobuf requires of readers.</summary>
    public void Skip(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: Take(8); break;
            case WireType.LengthDelimited: ReadLengthDelimited(); break;
            case WireType.Fixed32: Take(4); break;
            default: throw Malformed($"unsupported wire type {(int)wireType}");
        }
    }

    /// <summary>Checks that a known field arrived with the wire type its schema declares.</summary>
    public readonly void Expect(int field, WireType actual, WireType expected)
    {
        if (actual != expected) throw Malformed($"field {field} with wire type {(int)actual} instead of {(int)expected}");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _source.Length - _position) throw Malformed($"a {count}-byte value running past the end of its message");
        var span = _source.Slice(_position, count);
        _position += count;
        return span;
    }

    private static InvalidDataException Malformed(string problem) => new($"malformed protobuf: {problem}");
}
