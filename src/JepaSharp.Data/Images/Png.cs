using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using JepaSharp.Engine.IO;

namespace JepaSharp.Data.Images;

/// <summary>
/// Managed PNG codec. The decoder reads every standard colour type and bit depth (16-bit samples
/// are rounded to 8 bits, 1/2/4-bit samples expanded) including Adam7 interlacing; the encoder
/// writes 8-bit gray, gray+alpha, RGB or RGBA and is deterministic (the same pixels always give
/// the same bytes).
/// </summary>
public static class Png
{
    private const int ColorGray = 0, ColorRgb = 2, ColorPalette = 3, ColorGrayAlpha = 4, ColorRgba = 6;
    private const long MaxDecodedBytes = 1L << 30;

    public static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7Passes =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    private static readonly (int X0, int Y0, int Dx, int Dy)[] SinglePass = [(0, 0, 1, 1)];

    public static ByteImage Load(string path) => Decode(File.ReadAllBytes(path), path);

    public static void Save(string path, ByteImage image) => File.WriteAllBytes(path, Encode(image));

    private readonly record struct Header(int Width, int Height, int BitDepth, int ColorType, bool Interlaced)
    {
        public int SamplesPerPixel => ColorType switch
        {
            ColorRgb => 3,
            ColorGrayAlpha => 2,
            ColorRgba => 4,
            _ => 1,
        };

        public int BitsPerPixel => SamplesPerPixel * BitDepth;

        public long RowBytes(int width) => ((long)width * BitsPerPixel + 7) / 8;
    }

    /// <param name="source">Names the data in error messages (usually its file path).</param>
    public static ByteImage Decode(ReadOnlySpan<byte> data, string source = "PNG data")
    {
        if (data.Length < Signature.Length || !data[..Signature.Length].SequenceEqual(Signature))
            throw Invalid(source, "is not a PNG file (the 8-byte PNG signature is missing)");

        Header? header = null;
        byte[]? palette = null;
        byte[]? transparency = null;
        using var compressed = new MemoryStream();
        int position = Signature.Length;
        bool sawEnd = false;
        while (!sawEnd)
        {
            if (position + 12 > data.Length)
                throw Invalid(source, $"is truncated: the chunk at byte {position} runs past the end of the {data.Length}-byte file (no IEND chunk)");
            uint declared = BinaryPrimitives.ReadUInt32BigEndian(data[position..]);
            var typeBytes = data.Slice(position + 4, 4);
            string type = Encoding.ASCII.GetString(typeBytes);
            foreach (byte b in typeBytes)
                if (!char.IsAsciiLetter((char)b))
                    throw Invalid(source, $"has a malformed chunk type at byte {position}");
            if (declared > int.MaxValue || position + 12 + (long)declared > data.Length)
                throw Invalid(source, $"is truncated: chunk '{type}' at byte {position} declares {declared} bytes but the file ends first");
            int length = (int)declared;
            var body = data.Slice(position + 8, length);
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(data[(position + 8 + length)..]);
            uint actualCrc = Crc32.Compute(data.Slice(position + 4, length + 4));
            if (storedCrc != actualCrc)
                throw Invalid(source, $"is corrupt: CRC mismatch in chunk '{type}' at byte {position} (stored 0x{storedCrc:X8}, computed 0x{actualCrc:X8})");

            if (header is null && type != "IHDR") throw Invalid(source, $"starts with chunk '{type}' instead of IHDR");
            switch (type)
            {
                case "IHDR":
                    if (header is not null) throw Invalid(source, "has two IHDR chunks");
                    header = ParseHeader(body, source);
                    break;
                case "PLTE":
                    if (length == 0 || length % 3 != 0 || length > 256 * 3)
                        throw Invalid(source, $"has a PLTE chunk of {length} bytes (must be 3 to 768 and a multiple of 3)");
                    palette = body.ToArray();
                    break;
                case "tRNS":
                    transparency = body.ToArray();
                    break;
                case "IDAT":
                    compressed.Write(body);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                default:
                    // Bit 5 of the first letter clear marks a chunk a decoder must understand.
                    if ((typeBytes[0] & 0x20) == 0) throw Invalid(source, $"uses unsupported critical chunk '{type}'");
                    break;
            }
            position += 12 + length;
        }

        var h = header!.Value;
        if (compressed.Length == 0) throw Invalid(source, "has no image data (no IDAT chunk)");
        if (h.ColorType == ColorPalette)
        {
            if (palette is null) throw Invalid(source, "is a palette image without a PLTE chunk");
            if (transparency is not null && transparency.Length > palette.Length / 3)
                throw Invalid(source, $"has {transparency.Length} tRNS entries for a palette of {palette.Length / 3}");
        }

        var passes = h.Interlaced ? Adam7Passes : SinglePass;
        long filteredBytes = 0;
        foreach (var pass in passes)
        {
            var (pw, ph) = PassSize(h, pass);
            if (pw > 0 && ph > 0) filteredBytes += ph * (1 + h.RowBytes(pw));
        }
        if (filteredBytes > MaxDecodedBytes) throw Invalid(source, $"is too large to decode ({h.Width}x{h.Height} at {h.BitsPerPixel} bits per pixel)");
        var filtered = Inflate(compressed, filteredBytes, source);

        // Colour-key tRNS on gray/RGB images is ignored: it would only add an alpha channel, and
        // every consumer here drops alpha.
        bool paletteAlpha = h.ColorType == ColorPalette && transparency is not null;
        int outChannels = h.ColorType == ColorPalette ? (paletteAlpha ? 4 : 3) : h.SamplesPerPixel;
        var pixels = new byte[(long)h.Width * h.Height * outChannels];
        var row = new byte[h.Width * outChannels];
        int offset = 0;
        byte[] previous = new byte[h.RowBytes(h.Width)];
        byte[] current = new byte[previous.Length];
        int filterStride = Math.Max(1, h.BitsPerPixel / 8);
        foreach (var pass in passes)
        {
            var (pw, ph) = PassSize(h, pass);
            if (pw == 0 || ph == 0) continue;
            int rowBytes = (int)h.RowBytes(pw);
            Array.Clear(previous);
            for (int y = 0; y < ph; y++)
            {
                int filter = filtered[offset];
                var raw = current.AsSpan(0, rowBytes);
                filtered.AsSpan(offset + 1, rowBytes).CopyTo(raw);
                offset += 1 + rowBytes;
                Unfilter(filter, raw, previous.AsSpan(0, rowBytes), filterStride, source, y);
                ExpandRow(h, raw, pw, palette, transparency, paletteAlpha, row, source);
                int imageY = pass.Y0 + y * pass.Dy;
                int rowStart = imageY * h.Width * outChannels;
                if (pass.Dx == 1)
                {
                    row.AsSpan(0, pw * outChannels).CopyTo(pixels.AsSpan(rowStart));
                }
                else
                {
                    for (int x = 0; x < pw; x++)
                        row.AsSpan(x * outChannels, outChannels).CopyTo(pixels.AsSpan(rowStart + (pass.X0 + x * pass.Dx) * outChannels));
                }
                (previous, current) = (current, previous);
            }
        }
        return new ByteImage(h.Width, h.Height, outChannels, pixels);
    }

    private static Header ParseHeader(ReadOnlySpan<byte> body, string source)
    {
        if (body.Length != 13) throw Invalid(source, $"has an IHDR chunk of {body.Length} bytes instead of 13");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(body);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int bitDepth = body[8], colorType = body[9], compression = body[10], filterMethod = body[11], interlace = body[12];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
            throw Invalid(source, $"declares an invalid size {width}x{height}");
        bool depthAllowed = colorType switch
        {
            ColorGray => bitDepth is 1 or 2 or 4 or 8 or 16,
            ColorPalette => bitDepth is 1 or 2 or 4 or 8,
            ColorRgb or ColorGrayAlpha or ColorRgba => bitDepth is 8 or 16,
            _ => throw Invalid(source, $"has unknown colour type {colorType}"),
        };
        if (!depthAllowed) throw Invalid(source, $"has bit depth {bitDepth}, which colour type {colorType} does not allow");
        if (compression != 0) throw Invalid(source, $"uses unknown compression method {compression}");
        if (filterMethod != 0) throw Invalid(source, $"uses unknown filter method {filterMethod}");
        if (interlace > 1) throw Invalid(source, $"uses unknown interlace method {interlace}");
        var header = new Header((int)width, (int)height, bitDepth, colorType, interlace == 1);
        int outChannels = colorType == ColorPalette ? 4 : header.SamplesPerPixel;
        if ((long)width * height * outChannels > MaxDecodedBytes)
            throw Invalid(source, $"is too large to decode ({width}x{height})");
        return header;
    }

    private static (int Width, int Height) PassSize(Header h, (int X0, int Y0, int Dx, int Dy) pass)
        => ((h.Width - pass.X0 + pass.Dx - 1) / pass.Dx, (h.Height - pass.Y0 + pass.Dy - 1) / pass.Dy);

    private static byte[] Inflate(MemoryStream compressed, long expected, string source)
    {
        var result = new byte[expected];
        compressed.Position = 0;
        int read;
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress, leaveOpen: true);
            read = zlib.ReadAtLeast(result, result.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw Invalid(source, $"has corrupt compressed image data ({e.Message})");
        }
        if (read < expected) throw Invalid(source, $"is truncated: its image data inflates to {read} bytes, expected {expected}");
        return result;
    }

    private static void Unfilter(int filter, Span<byte> row, ReadOnlySpan<byte> above, int stride, string source, int y)
    {
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (int i = stride; i < row.Length; i++) row[i] += row[i - stride];
                break;
            case 2:
                for (int i = 0; i < row.Length; i++) row[i] += above[i];
                break;
            case 3:
                for (int i = 0; i < row.Length; i++)
                    row[i] += (byte)(((i >= stride ? row[i - stride] : 0) + above[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < row.Length; i++)
                {
                    int a = i >= stride ? row[i - stride] : 0, c = i >= stride ? above[i - stride] : 0;
                    row[i] += Paeth(a, above[i], c);
                }
                break;
            default:
                throw Invalid(source, $"is corrupt: scanline {y} uses unknown filter type {filter}");
        }
    }

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }

    /// <summary>Turns one unfiltered scanline into 8-bit interleaved samples.</summary>
    private static void ExpandRow(Header h, ReadOnlySpan<byte> raw, int width, byte[]? palette, byte[]? transparency,
                                  bool paletteAlpha, Span<byte> output, string source)
    {
        int samples = h.SamplesPerPixel;
        switch (h.BitDepth)
        {
            case 8 when h.ColorType != ColorPalette:
                raw[..(width * samples)].CopyTo(output);
                return;
            case 16:
                for (int i = 0; i < width * samples; i++)
                {
                    int value = (raw[2 * i] << 8) | raw[2 * i + 1];
                    output[i] = (byte)((value * 255 + 32767) / 65535);
                }
                return;
        }

        int bits = h.BitDepth;
        int mask = (1 << bits) - 1;
        int paletteEntries = palette is null ? 0 : palette.Length / 3;
        for (int x = 0; x < width; x++)
        {
            int bitOffset = x * bits;
            int value = bits == 8 ? raw[x] : (raw[bitOffset >> 3] >> (8 - bits - (bitOffset & 7))) & mask;
            if (h.ColorType == ColorGray)
            {
                output[x] = (byte)(value * 255 / mask);
                continue;
            }
            if (value >= paletteEntries)
                throw Invalid(source, $"is corrupt: a pixel uses palette index {value} but the palette has {paletteEntries} entries");
            int o = x * (paletteAlpha ? 4 : 3);
            output[o] = palette![value * 3];
            output[o + 1] = palette[value * 3 + 1];
            output[o + 2] = palette[value * 3 + 2];
            if (paletteAlpha) output[o + 3] = value < transparency!.Length ? transparency[value] : (byte)255;
        }
    }

    public static byte[] Encode(ByteImage image) => Encode(image.Pixels, image.Width, image.Height, image.Channels);

    /// <summary>Encodes 8-bit interleaved pixels: 1 gray, 2 gray+alpha, 3 RGB or 4 RGBA channels.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"PNG size {width}x{height} must be positive");
        int colorType = channels switch
        {
            1 => ColorGray,
            2 => ColorGrayAlpha,
            3 => ColorRgb,
            4 => ColorRgba,
            _ => throw new ArgumentException($"PNG encoding takes 1 to 4 channels, got {channels}"),
        };
        int rowBytes = width * channels;
        if (pixels.Length != (long)rowBytes * height)
            throw new ArgumentException($"{width}x{height}x{channels} pixels need {(long)rowBytes * height} bytes, got {pixels.Length}");

        var filtered = new byte[(long)(rowBytes + 1) * height];
        var candidate = new byte[rowBytes];
        ReadOnlySpan<byte> above = new byte[rowBytes];
        for (int y = 0; y < height; y++)
        {
            var row = pixels.Slice(y * rowBytes, rowBytes);
            var target = filtered.AsSpan(y * (rowBytes + 1), rowBytes + 1);
            // The usual heuristic: keep the filter whose output has the smallest sum of |signed byte|.
            long best = long.MaxValue;
            for (int filter = 0; filter <= 4; filter++)
            {
                long cost = 0;
                for (int i = 0; i < rowBytes; i++)
                {
                    int a = i >= channels ? row[i - channels] : 0, b = above[i], c = i >= channels ? above[i - channels] : 0;
                    int predicted = filter switch
                    {
                        0 => 0,
                        1 => a,
                        2 => b,
                        3 => (a + b) >> 1,
                        _ => Paeth(a, b, c),
                    };
                    candidate[i] = (byte)(row[i] - predicted);
                    cost += Math.Abs((int)(sbyte)candidate[i]);
                }
                if (cost < best)
                {
                    best = cost;
                    target[0] = (byte)filter;
                    candidate.CopyTo(target[1..]);
                }
            }
            above = row;
        }

        using var output = new MemoryStream();
        output.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)height);
        header[8] = 8;
        header[9] = (byte)colorType;
        header[10] = header[11] = header[12] = 0;
        WriteChunk(output, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
                zlib.Write(filtered);
            WriteChunk(output, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        }
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)body.Length);
        output.Write(word);
        var typeAndBody = new byte[4 + body.Length];
        Encoding.ASCII.GetBytes(type, typeAndBody);
        body.CopyTo(typeAndBody.AsSpan(4));
        output.Write(typeAndBody);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Compute(typeAndBody));
        output.Write(word);
    }

    private static InvalidDataException Invalid(string source, string problem) => new($"{source} {problem}");
}
