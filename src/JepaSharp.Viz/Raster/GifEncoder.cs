namespace JepaSharp.Viz.Raster;

/// <summary>
/// Animated GIF89a writer. All frames share one global palette: the exact colours when the animation has at most 256,
/// otherwise colours with their low bits dropped (7, 6, … bits a channel) until at most 256 remain. Frames are full
/// canvases, looped forever (NETSCAPE2.0 extension) with a fixed delay.
/// <para>
/// Pixel indices are LZW-compressed as the GIF spec describes: codes start at minimum-code-size + 1 bits, the table is
/// seeded with the palette, a clear code and an end code; every emitted code adds "previous string + next index"; the code
/// width grows when the next free code no longer fits; at 4096 codes a clear code restarts the table. Codes are packed
/// least-significant bit first into sub-blocks of at most 255 bytes.
/// </para>
/// </summary>
public static class GifEncoder
{
    private const int MaxCodes = 4096;

    public static byte[] Encode(IReadOnlyList<Canvas> frames, int delayCentiseconds)
    {
        if (frames.Count == 0) throw new ArgumentException("an animation needs at least one frame");
        int width = frames[0].Width, height = frames[0].Height;
        if (width > ushort.MaxValue || height > ushort.MaxValue)
            throw new ArgumentException($"a GIF is at most 65535 pixels a side, the frames are {width}x{height}");
        foreach (var frame in frames)
            if (frame.Width != width || frame.Height != height)
                throw new ArgumentException($"all GIF frames must share one size: {frame.Width}x{frame.Height} differs from {width}x{height}");
        if (delayCentiseconds < 0 || delayCentiseconds > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(delayCentiseconds), delayCentiseconds, "delay must be 0..65535 hundredths of a second");

        var (palette, indexOf, dropBits) = BuildPalette(frames);
        int tableBits = Math.Max(1, (int)Math.Ceiling(Math.Log2(Math.Max(2, palette.Count))));
        using var output = new MemoryStream();
        output.Write("GIF89a"u8);
        WriteUInt16(output, width);
        WriteUInt16(output, height);
        output.WriteByte((byte)(0x80 | 0x70 | (tableBits - 1))); // global table, 8-bit colour resolution, 2^tableBits entries
        output.WriteByte(0); // background colour index
        output.WriteByte(0); // square pixels
        for (int i = 0; i < 1 << tableBits; i++)
        {
            var colour = i < palette.Count ? palette[i] : Rgb.Black;
            output.Write([colour.R, colour.G, colour.B]);
        }
        output.Write([0x21, 0xFF, 11, .. "NETSCAPE2.0"u8, 3, 1, 0, 0, 0]); // loop forever

        var indices = new byte[width * height];
        int minCodeSize = Math.Max(2, tableBits);
        foreach (var frame in frames)
        {
            output.Write([0x21, 0xF9, 4, 0x04]); // graphic control: disposal "leave in place", no transparency
            WriteUInt16(output, delayCentiseconds);
            output.Write([0, 0]);
            output.WriteByte(0x2C);
            WriteUInt16(output, 0);
            WriteUInt16(output, 0);
            WriteUInt16(output, width);
            WriteUInt16(output, height);
            output.WriteByte(0); // no local table, not interlaced
            for (int p = 0; p < indices.Length; p++)
                indices[p] = indexOf[Key(frame.Pixels, 3 * p, dropBits)];
            output.WriteByte((byte)minCodeSize);
            WriteSubBlocks(output, Compress(indices, minCodeSize));
        }
        output.WriteByte(0x3B);
        return output.ToArray();
    }

    private static int Key(byte[] rgb, int offset, int dropBits)
    {
        int mask = 0xFF >> dropBits << dropBits;
        return (rgb[offset] & mask) << 16 | (rgb[offset + 1] & mask) << 8 | (rgb[offset + 2] & mask);
    }

    /// <summary>Colours in order of first appearance, coarsened until at most 256 remain.</summary>
    private static (List<Rgb> Palette, Dictionary<int, byte> IndexOf, int DropBits) BuildPalette(IReadOnlyList<Canvas> frames)
    {
        for (int drop = 0; ; drop++)
        {
            var indexOf = new Dictionary<int, byte>();
            var palette = new List<Rgb>();
            bool fits = true;
            foreach (var frame in frames)
            {
                for (int p = 0; p < frame.Pixels.Length && fits; p += 3)
                {
                    int key = Key(frame.Pixels, p, drop);
                    if (indexOf.ContainsKey(key)) continue;
                    if (palette.Count == 256)
                    {
                        fits = false;
                        break;
                    }
                    indexOf[key] = (byte)palette.Count;
                    // The coarsened colour's bucket centre, so dropping bits does not darken the picture.
                    int half = drop == 0 ? 0 : 1 << (drop - 1);
                    palette.Add(new Rgb((byte)((key >> 16) + half), (byte)(((key >> 8) & 0xFF) + half), (byte)((key & 0xFF) + half)));
                }
                if (!fits) break;
            }
            if (fits) return (palette, indexOf, drop);
        }
    }

    private static byte[] Compress(ReadOnlySpan<byte> indices, int minCodeSize)
    {
        int clear = 1 << minCodeSize, end = clear + 1;
        var table = new Dictionary<int, int>(MaxCodes);
        var bits = new BitWriter();
        int codeSize = minCodeSize + 1, next = end + 1;
        bits.Write(clear, codeSize);
        int prefix = indices[0];
        for (int i = 1; i < indices.Length; i++)
        {
            int k = indices[i], key = prefix << 8 | k;
            if (table.TryGetValue(key, out int code))
            {
                prefix = code;
                continue;
            }
            bits.Write(prefix, codeSize);
            if (next < MaxCodes)
            {
                table[key] = next++;
                // The decoder learns each entry one code later, so it widens when `next` exceeds the current width.
                if (next > 1 << codeSize && codeSize < 12) codeSize++;
            }
            else
            {
                bits.Write(clear, codeSize);
                table.Clear();
                codeSize = minCodeSize + 1;
                next = end + 1;
            }
            prefix = k;
        }
        bits.Write(prefix, codeSize);
        bits.Write(end, codeSize);
        return bits.ToArray();
    }

    private static void WriteSubBlocks(Stream output, byte[] data)
    {
        for (int offset = 0; offset < data.Length; offset += 255)
        {
            int length = Math.Min(255, data.Length - offset);
            output.WriteByte((byte)length);
            output.Write(data, offset, length);
        }
        output.WriteByte(0);
    }

    private static void WriteUInt16(Stream output, int value)
    {
        output.WriteByte((byte)value);
        output.WriteByte((byte)(value >> 8));
    }

    /// <summary>Packs codes least-significant bit first.</summary>
    private sealed class BitWriter
    {
        private readonly List<byte> bytes = new();
        private int buffer, count;

        public void Write(int code, int width)
        {
            buffer |= code << count;
            count += width;
            while (count >= 8)
            {
                bytes.Add((byte)buffer);
                buffer >>= 8;
                count -= 8;
            }
        }

        public byte[] ToArray()
        {
            if (count > 0) bytes.Add((byte)buffer);
            return bytes.ToArray();
        }
    }
}
