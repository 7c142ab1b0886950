using JepaSharp.Data.Images;
using Xunit;
using Xunit.Abstractions;

namespace JepaSharp.Tests.Data;

public class JpegTests(ITestOutputHelper output)
{
    /// <summary>
    /// 16×16 RGB made by `cjpeg -quality 95 -sample 1x1 -optimize` from a PPM with quadrants
    /// red (top left), green (top right), blue (bottom left) and white.
    /// </summary>
    private const string QuadrantsJpeg =
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/2wBDAQICAgICAgUDAwUKBwYHCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgr/wAARCAAQABADAREAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAACQgK/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/EABcBAAMBAAAAAAAAAAAAAAAAAAgJCgf/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCLwpn+EoC2hXA2tMNYbiCA2qP/2Q==";

    /// <summary>8×8 gray, all 100, made by `cjpeg -quality 95 -grayscale -optimize`.</summary>
    private const string GrayJpeg =
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/wAALCAAIAAgBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAB//EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AD3//2Q==";

    private bool Available()
    {
        if (Jpeg.IsAvailable) return true;
        output.WriteLine("skipped: libturbojpeg.so.0 is not installed (apt-get install libturbojpeg0)");
        return false;
    }

    [Fact]
    public void DecodesRgb()
    {
        if (!Available()) return;
        var image = ImageCodec.Decode(Convert.FromBase64String(QuadrantsJpeg), "quadrants.jpg");
        Assert.Equal((16, 16, 3), (image.Width, image.Height, image.Channels));
        (int X, int Y, byte[] Rgb)[] probes = [(2, 2, [255, 0, 0]), (13, 3, [0, 255, 0]), (4, 12, [0, 0, 255]), (12, 12, [255, 255, 255])];
        foreach (var (x, y, rgb) in probes)
            for (int c = 0; c < 3; c++)
                Assert.InRange(image.Pixels[(y * 16 + x) * 3 + c], Math.Max(0, rgb[c] - 6), Math.Min(255, rgb[c] + 6));
    }

    [Fact]
    public void DecodesGrayToOneChannel()
    {
        if (!Available()) return;
        var image = Jpeg.Decode(Convert.FromBase64String(GrayJpeg));
        Assert.Equal((8, 8, 1), (image.Width, image.Height, image.Channels));
        Assert.All(image.Pixels, p => Assert.InRange(p, 98, 102));
    }

    [Fact]
    public void DamagedJpegsAreRejectedWithTheirName()
    {
        if (!Available()) return;
        var bytes = Convert.FromBase64String(QuadrantsJpeg);
        var truncated = bytes[..(bytes.Length - 30)];
        var error = Assert.Throws<InvalidDataException>(() => Jpeg.Decode(truncated, "cut.jpg"));
        Assert.StartsWith("cut.jpg ", error.Message);

        byte[] garbage = [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3];
        error = Assert.Throws<InvalidDataException>(() => ImageCodec.Decode(garbage, "garbage.jpg"));
        Assert.Contains("garbage.jpg", error.Message);
    }

    [Fact]
    public void UnknownFormatsAreRejected()
    {
        var error = Assert.Throws<InvalidDataException>(() => ImageCodec.Decode("BM6....."u8, "photo.jpg"));
        Assert.Contains("photo.jpg is neither PNG nor JPEG", error.Message);
        Assert.Equal(ImageFormat.Jpeg, ImageCodec.DetectFormat(Convert.FromBase64String(GrayJpeg)));
    }
}
