using JepaSharp.Data.Datasets;
using JepaSharp.Data.Images;
using Xunit;

namespace JepaSharp.Tests.Data;

public class ImageFolderDatasetTests
{
    private static void WriteGray(string path, int width, int height, byte value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Png.Encode(Enumerable.Repeat(value, width * height).ToArray(), width, height, 1));
    }

    [Fact]
    public void ClassesAreSortedOrdinallyAndImagesResized()
    {
        using var dir = new TempFolder();
        WriteGray(dir.File("b", "1.png"), 8, 4, 10);
        WriteGray(dir.File("B", "x.png"), 4, 4, 20);
        WriteGray(dir.File("a", "nested", "2.PNG"), 6, 6, 30);
        // A PNG named .jpg: decoding goes by content, not extension.
        File.WriteAllBytes(dir.File("a", "1.jpg"), Png.Encode([40, 40, 40, 40], 2, 2, 1));
        File.WriteAllText(dir.File("a", "notes.txt"), "ignored");

        var data = new ImageFolderDataset(dir.Path, 4, 4, channels: 3);
        Assert.Equal(["B", "a", "b"], data.ClassNames);
        Assert.Equal(4, data.Count);
        Assert.Equal([0, 1, 1, 2], Enumerable.Range(0, 4).Select(data.Label));
        var image = new byte[48];
        int[] expected = [20, 40, 30, 10];
        for (int i = 0; i < 4; i++)
        {
            data.ReadBytes(i, image);
            Assert.All(image, b => Assert.Equal(expected[i], b));
        }
    }

    [Fact]
    public void CenterCropKeepsTheAspectRatio()
    {
        using var dir = new TempFolder();
        // 6 wide, 2 high: left third 0, middle 200, right third 0; the centre square is all 200.
        var pixels = new byte[12];
        foreach (int row in new[] { 0, 6 })
            for (int x = 2; x < 4; x++) pixels[row + x] = 200;
        File.WriteAllBytes(dir.File("wide.png"), Png.Encode(pixels, 6, 2, 1));
        var data = new ImageFolderDataset(dir.Path, 2, 2, channels: 1);
        Assert.Equal(0, data.ClassCount);
        Assert.Equal(-1, data.Label(0));
        var image = new byte[4];
        data.ReadBytes(0, image);
        Assert.Equal([200, 200, 200, 200], image);

        var stretched = new ImageFolderDataset(dir.Path, 2, 3, channels: 1, FolderResize.Stretch);
        var wide = new byte[6];
        stretched.ReadBytes(0, wide);
        Assert.Equal([0, 200, 0, 0, 200, 0], wide);
    }

    [Fact]
    public void ProblemsNameTheFolderOrFile()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.File("empty-class"));
        var error = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(dir.Path, 4, 4));
        Assert.Contains(dir.File("empty-class"), error.Message);

        Directory.Delete(dir.File("empty-class"));
        File.WriteAllText(dir.File("fake.png"), "not an image");
        var data = new ImageFolderDataset(dir.Path, 4, 4);
        error = Assert.Throws<InvalidDataException>(() => data.ReadBytes(0, new byte[48]));
        Assert.Contains(dir.File("fake.png"), error.Message);

        Assert.Throws<DirectoryNotFoundException>(() => new ImageFolderDataset(dir.File("absent"), 4, 4));
    }
}
