using JepaSharp.Data.Datasets;
using Xunit;

namespace JepaSharp.Tests.Data;

public class IdxDatasetTests
{
    private static (byte[] Pixels, byte[] Labels) Sample(int count, int height, int width)
    {
        var pixels = new byte[count * height * width];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 + 3);
        var labels = new byte[count];
        for (int i = 0; i < count; i++) labels[i] = (byte)(i % 4);
        return (pixels, labels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTripsRawAndGzipFiles(bool gzip)
    {
        using var dir = new TempFolder();
        var (pixels, labels) = Sample(5, 3, 4);
        byte[] images = DataFiles.Idx([5, 3, 4], pixels), labelFile = DataFiles.Idx([5], labels);
        // The file name says nothing about compression: it is detected from the content.
        File.WriteAllBytes(dir.File("images"), gzip ? DataFiles.Gzip(images) : images);
        File.WriteAllBytes(dir.File("labels"), gzip ? DataFiles.Gzip(labelFile) : labelFile);

        var data = new IdxDataset(dir.File("images"), dir.File("labels"), "tiny");
        Assert.Equal((5, 1, 3, 4), (data.Count, data.Channels, data.Height, data.Width));
        Assert.Equal(["0", "1", "2", "3"], data.ClassNames);
        var image = new byte[12];
        var floats = new float[12];
        for (int i = 0; i < 5; i++)
        {
            data.ReadBytes(i, image);
            Assert.Equal(pixels.AsSpan(i * 12, 12).ToArray(), image);
            Assert.Equal(i % 4, data.Label(i));
            data.ReadFloats(i, floats);
            Assert.Equal(image.Select(b => b / 255f).ToArray(), floats);
        }
    }

    [Fact]
    public void UnlabelledDatasetsReportMinusOne()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("images"), DataFiles.Idx([2, 2, 2], new byte[8]));
        var data = new IdxDataset(dir.File("images"), null);
        Assert.Equal(-1, data.Label(1));
        Assert.Equal(0, data.ClassCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Label(2));
    }

    public static TheoryData<string, byte[], string> CorruptImageFiles() => new()
    {
        { "bad magic", [1, 2, 3, 4, 0, 0, 0, 1], "not an IDX file" },
        { "int32 elements", [0, 0, 0x0C, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0], "element type 0x0C" },
        { "truncated data", DataFiles.Idx([3, 2, 2], new byte[11]), "truncated" },
        { "trailing data", DataFiles.Idx([3, 2, 2], new byte[13]), "beyond" },
        { "truncated header", [0, 0, 8, 3, 0, 0], "truncated inside its header" },
        { "labels as images", DataFiles.Idx([3], new byte[3]), "expected 3 (N, H, W)" },
        { "empty", [], "too short" },
    };

    [Theory]
    [MemberData(nameof(CorruptImageFiles))]
    public void CorruptImageFilesNameTheFileAndProblem(string what, byte[] content, string expected)
    {
        using var dir = new TempFolder();
        string path = dir.File($"broken-{what.Replace(' ', '-')}-idx3-ubyte");
        File.WriteAllBytes(path, content);
        var error = Assert.Throws<InvalidDataException>(() => new IdxDataset(path, null));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void CorruptGzipNamesTheFile()
    {
        using var dir = new TempFolder();
        var gz = DataFiles.Gzip(DataFiles.Idx([3, 2, 2], new byte[12]));
        string truncated = dir.File("truncated.gz");
        File.WriteAllBytes(truncated, gz[..(gz.Length - 12)]);
        var error = Assert.Throws<InvalidDataException>(() => new IdxDataset(truncated, null));
        Assert.Contains(truncated, error.Message);

        var garbled = (byte[])gz.Clone();
        for (int i = 10; i < garbled.Length - 8; i++) garbled[i] ^= 0x5A;
        string bad = dir.File("garbled.gz");
        File.WriteAllBytes(bad, garbled);
        error = Assert.Throws<InvalidDataException>(() => new IdxDataset(bad, null));
        Assert.Contains(bad, error.Message);
    }

    [Fact]
    public void ImageAndLabelCountsMustMatch()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("images"), DataFiles.Idx([3, 2, 2], new byte[12]));
        File.WriteAllBytes(dir.File("labels"), DataFiles.Idx([4], new byte[4]));
        var error = Assert.Throws<InvalidDataException>(() => new IdxDataset(dir.File("images"), dir.File("labels")));
        Assert.Contains("4 labels", error.Message);
        Assert.Contains("3 images", error.Message);
        Assert.Contains(dir.File("labels"), error.Message);
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        var error = Assert.Throws<FileNotFoundException>(() => new IdxDataset("/nonexistent/train-images-idx3-ubyte", null));
        Assert.Contains("/nonexistent/train-images-idx3-ubyte", error.Message);
    }

    [Fact]
    public void LabelsBeyondTheClassNamesAreRejected()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("images"), DataFiles.Idx([2, 1, 1], new byte[2]));
        File.WriteAllBytes(dir.File("labels"), DataFiles.Idx([2], [0, 5]));
        var error = Assert.Throws<InvalidDataException>(() => new IdxDataset(dir.File("images"), dir.File("labels"), null, ["a", "b"]));
        Assert.Contains("label 5", error.Message);
    }
}
