using JepaSharp.Data.Images;
using Xunit;

namespace JepaSharp.Tests.Data;

public class PngTests
{
    private static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Filters one scanline with PNG filter <paramref name="filter"/> (spec §9.2), as an encoder would.</summary>
    private static byte[] FilterRow(int filter, byte[] row, byte[] above, int bytesPerPixel)
    {
        var result = new byte[row.Length + 1];
        result[0] = (byte)filter;
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0, b = above[i], c = i >= bytesPerPixel ? above[i - bytesPerPixel] : 0;
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            int paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            int predictor = filter switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => paeth };
            result[i + 1] = (byte)(row[i] - predictor);
        }
        return result;
    }

    private static byte[] Scanlines(byte[] pixels, int rowBytes, int bytesPerPixel, Func<int, int> filterOfRow)
    {
        var output = new List<byte>();
        var above = new byte[rowBytes];
        for (int y = 0; y < pixels.Length / rowBytes; y++)
        {
            var row = pixels.AsSpan(y * rowBytes, rowBytes).ToArray();
            output.AddRange(FilterRow(filterOfRow(y), row, above, bytesPerPixel));
            above = row;
        }
        return output.ToArray();
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(17, 5, 1)]
    [InlineData(9, 4, 2)]
    [InlineData(13, 7, 3)]
    [InlineData(6, 11, 4)]
    public void EncodeThenDecodeRoundTrips(int width, int height, int channels)
    {
        var pixels = RandomBytes(width * height * channels, width * 100 + channels);
        var png = Png.Encode(pixels, width, height, channels);
        Assert.Equal(png, Png.Encode(pixels, width, height, channels));
        var image = Png.Decode(png);
        Assert.Equal((width, height, channels), (image.Width, image.Height, image.Channels));
        Assert.Equal(pixels, image.Pixels);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(-1)]
    public void DecodesEveryFilterType(int filter)
    {
        const int Width = 7, Height = 5;
        var pixels = RandomBytes(Width * Height * 3, 42 + filter);
        var scanlines = Scanlines(pixels, Width * 3, 3, y => filter >= 0 ? filter : y % 5);
        var image = Png.Decode(DataFiles.Png(Width, Height, 8, 2, scanlines));
        Assert.Equal(3, image.Channels);
        Assert.Equal(pixels, image.Pixels);
    }

    [Fact]
    public void DecodesPalettesWithTransparency()
    {
        // 2-bit palette, 5 pixels per row (two bytes, padded), indices 0 1 2 3 0 / 3 3 2 1 0.
        byte[] palette = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120];
        byte[] rows = [0, 0b00_01_10_11, 0b00_000000, 0, 0b11_11_10_01, 0b00_000000];
        var trns = DataFiles.PngChunk("tRNS", [0, 128]);
        var image = Png.Decode(DataFiles.Png(5, 2, 2, 3, rows, 0, DataFiles.PngChunk("PLTE", palette), trns));
        Assert.Equal(4, image.Channels);
        int[] indices = [0, 1, 2, 3, 0, 3, 3, 2, 1, 0];
        byte[] alpha = [0, 128, 255, 255];
        for (int p = 0; p < 10; p++)
        {
            int i = indices[p];
            Assert.Equal([palette[3 * i], palette[3 * i + 1], palette[3 * i + 2], alpha[i]], image.Pixels.AsSpan(p * 4, 4).ToArray());
        }

        var opaque = Png.Decode(DataFiles.Png(5, 2, 2, 3, rows, 0, DataFiles.PngChunk("PLTE", palette)));
        Assert.Equal(3, opaque.Channels);
        Assert.Equal(palette[9..12], opaque.Pixels[9..12]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    public void DecodesPaletteBitDepths(int bitDepth)
    {
        // 3 pixels with indices 1, 0, 1 packed MSB first.
        byte[] palette = [0, 0, 0, 200, 100, 50];
        byte[] row = bitDepth switch
        {
            1 => [0, 0b101_00000],
            4 => [0, 0x10, 0x10],
            _ => [0, 1, 0, 1],
        };
        var image = Png.Decode(DataFiles.Png(3, 1, bitDepth, 3, row, 0, DataFiles.PngChunk("PLTE", palette)));
        Assert.Equal([200, 100, 50, 0, 0, 0, 200, 100, 50], image.Pixels);
    }

    [Theory]
    [InlineData(1, new byte[] { 0b1010_0000 }, new byte[] { 255, 0, 255, 0 })]
    [InlineData(2, new byte[] { 0b00_01_10_11 }, new byte[] { 0, 85, 170, 255 })]
    [InlineData(4, new byte[] { 0x0F, 0x70 }, new byte[] { 0, 255, 119, 0 })]
    public void ExpandsLowBitDepthGray(int bitDepth, byte[] packed, byte[] expected)
    {
        var image = Png.Decode(DataFiles.Png(4, 1, bitDepth, 0, [0, .. packed]));
        Assert.Equal(1, image.Channels);
        Assert.Equal(expected, image.Pixels);
    }

    [Fact]
    public void RoundsSixteenBitSamplesToEightBits()
    {
        ushort[] samples = [0x0000, 0x1234, 0x8000, 0xFFFF, 0x7F7F, 0x00FF];
        // Two RGB pixels in one row, Sub-filtered on the 6-byte pixel stride.
        var raw = samples.SelectMany(s => new[] { (byte)(s >> 8), (byte)s }).ToArray();
        var image = Png.Decode(DataFiles.Png(2, 1, 16, 2, FilterRow(1, raw, new byte[12], 6)));
        Assert.Equal(samples.Select(s => (byte)Math.Round(s * 255.0 / 65535)).ToArray(), image.Pixels);

        var grayAlpha = Png.Decode(DataFiles.Png(1, 1, 16, 4, [0, 0x12, 0x34, 0xFF, 0xFF]));
        Assert.Equal([18, 255], grayAlpha.Pixels);
    }

    [Fact]
    public void DecodesAdam7Interlacing()
    {
        const int Width = 11, Height = 10;
        var pixels = RandomBytes(Width * Height, 7);
        (int X0, int Y0, int Dx, int Dy)[] passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
        var scanlines = new List<byte>();
        int passNumber = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            var sub = new List<byte>();
            int passWidth = 0;
            for (int y = y0; y < Height; y += dy)
            {
                passWidth = 0;
                for (int x = x0; x < Width; x += dx, passWidth++) sub.Add(pixels[y * Width + x]);
            }
            if (sub.Count > 0) scanlines.AddRange(Scanlines(sub.ToArray(), passWidth, 1, y => (y + passNumber) % 5));
            passNumber++;
        }
        var image = Png.Decode(DataFiles.Png(Width, Height, 8, 0, scanlines.ToArray(), interlace: 1));
        Assert.Equal(pixels, image.Pixels);
    }

    [Fact]
    public void SkipsAncillaryChunks()
    {
        var text = DataFiles.PngChunk("tEXt", "Comment\0hello"u8.ToArray());
        var image = Png.Decode(DataFiles.Png(1, 1, 8, 0, [0, 77], 0, text));
        Assert.Equal([77], image.Pixels);
    }

    [Fact]
    public void CorruptFilesGiveClearErrors()
    {
        var good = Png.Encode([1, 2, 3, 4], 2, 2, 1);

        var flipped = (byte[])good.Clone();
        flipped[20] ^= 1; // inside the IHDR width field
        Assert.Contains("CRC mismatch in chunk 'IHDR'", Assert.Throws<InvalidDataException>(() => Png.Decode(flipped, "x.png")).Message);
        Assert.StartsWith("x.png ", Assert.Throws<InvalidDataException>(() => Png.Decode(flipped, "x.png")).Message);

        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Png.Decode(good[..^20], "t.png")).Message);
        Assert.Contains("signature", Assert.Throws<InvalidDataException>(() => Png.Decode("GIF89a.."u8, "g.png")).Message);

        var unknownCritical = DataFiles.Png(1, 1, 8, 0, [0, 1], 0, DataFiles.PngChunk("ZZZZ", [1]));
        Assert.Contains("critical chunk 'ZZZZ'", Assert.Throws<InvalidDataException>(() => Png.Decode(unknownCritical)).Message);

        var badFilter = DataFiles.Png(1, 1, 8, 0, [9, 1]);
        Assert.Contains("unknown filter type 9", Assert.Throws<InvalidDataException>(() => Png.Decode(badFilter)).Message);

        var badIndex = DataFiles.Png(1, 1, 8, 3, [0, 2], 0, DataFiles.PngChunk("PLTE", [1, 2, 3]));
        Assert.Contains("palette index 2", Assert.Throws<InvalidDataException>(() => Png.Decode(badIndex)).Message);

        var shortData = DataFiles.Png(4, 4, 8, 0, [0, 1, 2, 3, 4]);
        Assert.Contains("inflates to 5 bytes, expected 20", Assert.Throws<InvalidDataException>(() => Png.Decode(shortData)).Message);

        var badDepth = DataFiles.Png(1, 1, 4, 2, [0, 1]);
        Assert.Contains("bit depth 4", Assert.Throws<InvalidDataException>(() => Png.Decode(badDepth)).Message);
    }

    [Fact]
    public void LoadingNamesTheFile()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("broken.png"), [137, 80, 78, 71, 13, 10, 26, 10, 0, 0]);
        var error = Assert.Throws<InvalidDataException>(() => ImageCodec.Load(dir.File("broken.png")));
        Assert.Contains(dir.File("broken.png"), error.Message);
        Assert.Throws<FileNotFoundException>(() => ImageCodec.Load(dir.File("absent.png")));
    }
}
