using JepaSharp.Viz.Raster;
using Xunit;

namespace JepaSharp.Tests.Viz;

public class RasterTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("jepa-raster-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static Canvas Noise(int width, int height, int seed, int levels = 256)
    {
        var canvas = new Canvas(width, height, Rgb.Black);
        var rng = new Random(seed);
        for (int i = 0; i < canvas.Pixels.Length; i++) canvas.Pixels[i] = (byte)(rng.Next(levels) * (255 / Math.Max(1, levels - 1)));
        return canvas;
    }

    [Fact]
    public void PngDecodesIndependentlyToExactlyThePixelsWritten()
    {
        var canvas = Noise(37, 23, 1);
        BitmapFont.Draw(canvas, "JEPA 42%", 1, 1, new Rgb(250, 10, 10));
        string path = Path.Combine(folder, "noise.png");
        canvas.SavePng(path);
        var (width, height, channels, pixels) = IndependentDecoder.Png(path);
        Assert.Equal((37, 23, 3), (width, height, channels));
        Assert.Equal(canvas.Pixels, pixels);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp-*"));
    }

    [Fact]
    public void GifRoundTripsExactColoursAndLoopsWithTheDelay()
    {
        // 16 levels a channel over 3 frames stays under 256 colours only if frames reuse them: use 6 levels (216 colours).
        var frames = Enumerable.Range(0, 3).Select(i => Noise(120, 90, 10 + i, levels: 6)).ToList();
        string path = Path.Combine(folder, "anim.gif");
        FileOutput.WriteAtomically(path, GifEncoder.Encode(frames, 35));
        var gif = IndependentDecoder.Gif(path);
        Assert.Equal((120, 90, "0"), (gif.Width, gif.Height, gif.Loop));
        Assert.Equal(3, gif.Frames.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(350, gif.Frames[i].DurationMs);
            Assert.Equal(frames[i].Pixels, gif.Frames[i].Rgb);
        }
    }

    [Fact]
    public void GifWithMoreThan256ColoursKeepsTheCentresOfCoarserBuckets()
    {
        var frame = Noise(64, 64, 3);
        string path = Path.Combine(folder, "many.gif");
        FileOutput.WriteAtomically(path, GifEncoder.Encode([frame], 10));
        var decoded = IndependentDecoder.Gif(path).Frames[0].Rgb;
        // 4096 random colours fill nearly all 512 buckets of 3 bits a channel, so 2 bits remain (64 buckets): every
        // channel becomes the centre of its bucket of 64 levels.
        for (int i = 0; i < decoded.Length; i++) Assert.Equal((frame.Pixels[i] & 0xC0) + 32, decoded[i]);
    }

    [Fact]
    public void GifOfASingleColourUsesTheSmallestCodeSizeAndRoundTrips()
    {
        var frame = new Canvas(300, 7, new Rgb(12, 200, 99));
        string path = Path.Combine(folder, "flat.gif");
        FileOutput.WriteAtomically(path, GifEncoder.Encode([frame], 0));
        var gif = IndependentDecoder.Gif(path);
        Assert.Equal(frame.Pixels, gif.Frames.Single().Rgb);
    }

    [Fact]
    public void GifRejectsFramesOfDifferentSizes()
    {
        var error = Assert.Throws<ArgumentException>(() => GifEncoder.Encode([new Canvas(4, 4, Rgb.Black), new Canvas(5, 4, Rgb.Black)], 10));
        Assert.Contains("5x4", error.Message);
    }

    [Fact]
    public void ColormapEndpointsAreMatplotlibsPublishedColours()
    {
        Assert.Equal(new Rgb(68, 1, 84), Colormap.Viridis.Map(0));
        Assert.Equal(new Rgb(253, 231, 37), Colormap.Viridis.Map(1));
        Assert.Equal(new Rgb(0, 0, 4), Colormap.Magma.Map(0));
        Assert.Equal(new Rgb(252, 253, 191), Colormap.Magma.Map(1));
        Assert.Equal(Rgb.FromHex("#053061"), Colormap.Diverging.Map(0));
        Assert.Equal(Rgb.FromHex("#f7f7f7"), Colormap.Diverging.Map(0.5));
        Assert.Equal(Rgb.FromHex("#67001f"), Colormap.Diverging.Map(1));
        // Between control points: matplotlib's viridis(0.5) is #21918c, magma(0.5) #b73779 (entry 128 of 256).
        AssertNear(Rgb.FromHex("#21918c"), Colormap.Viridis.Map(128 / 255.0), 1);
        AssertNear(Rgb.FromHex("#b73779"), Colormap.Magma.Map(128 / 255.0), 1);
    }

    [Fact]
    public void SequentialMapsGetLighterMonotonicallyAndTheDivergingMapPeaksInTheMiddle()
    {
        foreach (var map in new[] { Colormap.Viridis, Colormap.Magma })
        {
            var lightness = Enumerable.Range(0, 101).Select(i => Lightness(map.Map(i / 100.0))).ToArray();
            for (int i = 1; i < lightness.Length; i++) Assert.True(lightness[i] > lightness[i - 1], $"{map.Name} darkens at {i / 100.0}");
        }
        var diverging = Enumerable.Range(0, 101).Select(i => Lightness(Colormap.Diverging.Map(i / 100.0))).ToArray();
        for (int i = 1; i <= 50; i++) Assert.True(diverging[i] >= diverging[i - 1], $"RdBu_r darkens at {i / 100.0}");
        for (int i = 51; i <= 100; i++) Assert.True(diverging[i] <= diverging[i - 1], $"RdBu_r lightens at {i / 100.0}");
        Assert.True(diverging[50] > 95);
    }

    [Fact]
    public void NearestUpscaleRepeatsPixelsAndBilinearInterpolatesBetweenCentres()
    {
        var source = new Canvas(2, 1, Rgb.Black);
        source[1, 0] = Rgb.White;
        var nearest = source.Scaled(3);
        Assert.Equal((6, 3), (nearest.Width, nearest.Height));
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 6; x++) Assert.Equal(x < 3 ? Rgb.Black : Rgb.White, nearest[x, y]);
        var bilinear = source.Resized(4, 1, Interpolation.Bilinear);
        Assert.Equal(new byte[] { 0, 64, 191, 255 }, Enumerable.Range(0, 4).Select(x => bilinear[x, 0].R).ToArray());
    }

    [Fact]
    public void OverlayBlendsWithTheGivenOpacity()
    {
        var canvas = new Canvas(4, 4, new Rgb(100, 100, 100));
        canvas.Overlay(new Canvas(2, 2, new Rgb(200, 0, 50)), 1, 1, 0.25);
        Assert.Equal(new Rgb(125, 75, 88), canvas[1, 1]);
        Assert.Equal(new Rgb(100, 100, 100), canvas[0, 0]);
        Assert.Equal(new Rgb(100, 100, 100), canvas[3, 3]);
    }

    [Fact]
    public void FontDrawsTheGlyphBitsAndSubstitutesAQuestionMark()
    {
        var canvas = new Canvas(20, 9, Rgb.White);
        BitmapFont.Draw(canvas, "T~", 1, 1, Rgb.Black);
        // 'T': full top row, then only the middle column.
        for (int x = 0; x < 5; x++) Assert.Equal(Rgb.Black, canvas[1 + x, 1]);
        for (int y = 2; y < 8; y++)
            for (int x = 0; x < 5; x++) Assert.Equal(x == 2 ? Rgb.Black : Rgb.White, canvas[1 + x, y]);
        // '~' has no glyph: the '?' drawn instead has its dot at the bottom centre and a gap above it.
        Assert.Equal(Rgb.Black, canvas[1 + 6 + 2, 7]);
        Assert.Equal(Rgb.White, canvas[1 + 6 + 2, 6]);
        Assert.Equal(11, BitmapFont.MeasureWidth("T~"));
        Assert.True("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz-.:/%()".All(BitmapFont.HasGlyph));
    }

    [Fact]
    public void GridPlacesTilesInCellsWithPadding()
    {
        var tiles = new Canvas?[] { new Canvas(4, 4, new Rgb(255, 0, 0)), null, new Canvas(4, 4, new Rgb(0, 0, 255)) };
        var grid = Montage.Grid(tiles, 2, new MontageOptions { Padding = 2 });
        Assert.Equal((2 + 2 * 6, 2 + 2 * 6), (grid.Width, grid.Height));
        Assert.Equal(new Rgb(255, 0, 0), grid[2, 2]);
        Assert.Equal(Rgb.White, grid[8, 2]);
        Assert.Equal(new Rgb(0, 0, 255), grid[5, 11]);
    }

    private static void AssertNear(Rgb expected, Rgb actual, int tolerance)
    {
        Assert.True(Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance && Math.Abs(expected.B - actual.B) <= tolerance,
            $"expected {expected}, got {actual}");
    }

    /// <summary>CIE L* of an sRGB colour (D65).</summary>
    private static double Lightness(Rgb c)
    {
        static double Linear(byte v)
        {
            double s = v / 255.0;
            return s <= 0.04045 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
        }
        double y = 0.2126 * Linear(c.R) + 0.7152 * Linear(c.G) + 0.0722 * Linear(c.B);
        return y > 216.0 / 24389 ? 116 * Math.Cbrt(y) - 16 : 24389.0 / 27 * y;
    }
}
