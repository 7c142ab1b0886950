using System.Buffers.Binary;

namespace JepaSharp.Fuzz;

/// <summary>
/// Derives test inputs from seed files the way format bugs are usually found: flipped bits,
/// overwritten bytes, truncation, splicing two seeds, inserted or removed runs, and length or
/// offset fields replaced by boundary values (0, 1, 2^31−1, 2^32−1, 2^63−1, just past the input).
/// Deterministic for a given random stream.
/// </summary>
public static class Mutator
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, (byte)'(', (byte)'.', (byte)'{', (byte)'"', (byte)'\n'];

    public static byte[] Mutate(IReadOnlyList<byte[]> seeds, Random rng)
    {
        var input = (byte[])seeds[rng.Next(seeds.Count)].Clone();
        int rounds = 1 + (rng.Next(4) == 0 ? rng.Next(8) : 0);
        for (int i = 0; i < rounds; i++) input = MutateOnce(input, seeds, rng);
        return input;
    }

    private static byte[] MutateOnce(byte[] input, IReadOnlyList<byte[]> seeds, Random rng)
    {
        if (input.Length == 0) return [(byte)rng.Next(256)];
        switch (rng.Next(8))
        {
            case 0:
                for (int flips = 1 + rng.Next(8); flips > 0; flips--) input[rng.Next(input.Length)] ^= (byte)(1 << rng.Next(8));
                return input;
            case 1:
                input[rng.Next(input.Length)] = InterestingBytes[rng.Next(InterestingBytes.Length)];
                return input;
            case 2:
                return input[..rng.Next(input.Length)];
            case 3:
            {
                var other = seeds[rng.Next(seeds.Count)];
                int cut = rng.Next(input.Length + 1), from = rng.Next(other.Length + 1);
                return [.. input.AsSpan(0, cut), .. other.AsSpan(from)];
            }
            case 4:
            {
                int at = rng.Next(input.Length), length = Math.Min(input.Length - at, 1 + rng.Next(64));
                return [.. input.AsSpan(0, at), .. input.AsSpan(at + length)];
            }
            case 5:
            {
                int at = rng.Next(input.Length + 1), from = rng.Next(input.Length), length = Math.Min(input.Length - from, 1 + rng.Next(64));
                return [.. input.AsSpan(0, at), .. input.AsSpan(from, length), .. input.AsSpan(at)];
            }
            default:
                return TweakLengthField(input, rng);
        }
    }

    // Length and offset fields are 2, 4 or 8 bytes, little- or big-endian depending on the format.
    private static byte[] TweakLengthField(byte[] input, Random rng)
    {
        int width = new[] { 2, 4, 8 }[rng.Next(3)];
        if (input.Length < width) return input;
        int at = rng.Next(input.Length - width + 1);
        ulong[] values = [0, 1, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, long.MaxValue, ulong.MaxValue,
                          (ulong)input.Length, (ulong)input.Length + 1, (ulong)(input.Length - at)];
        ulong value = rng.Next(3) == 0 ? ReadField(input, at, width) + (ulong)(rng.Next(17) - 8) : values[rng.Next(values.Length)];
        var span = input.AsSpan(at, width);
        bool big = rng.Next(2) == 0;
        switch (width)
        {
            case 2:
                if (big) BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)value);
                else BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)value);
                break;
            case 4:
                if (big) BinaryPrimitives.WriteUInt32BigEndian(span, (uint)value);
                else BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)value);
                break;
            default:
                if (big) BinaryPrimitives.WriteUInt64BigEndian(span, value);
                else BinaryPrimitives.WriteUInt64LittleEndian(span, value);
                break;
        }
        return input;
    }

    private static ulong ReadField(byte[] input, int at, int width) => width switch
    {
        2 => BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(at)),
        4 => BinaryPrimitives.ReadUInt32LittleEndian(input.AsSpan(at)),
        _ => BinaryPrimitives.ReadUInt64LittleEndian(input.AsSpan(at)),
    };
}
