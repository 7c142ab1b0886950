using JepaSharp.Data.Datasets;
using Xunit;

namespace JepaSharp.Tests.Data;

public class CifarDatasetTests
{
    /// <summary>A record: label byte(s), then R, G and B planes where pixel p of plane c holds (p + 50·c + seed) mod 256.</summary>
    private static byte[] Record(byte[] labels, int seed)
    {
        var record = new byte[labels.Length + 3072];
        labels.CopyTo(record, 0);
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 1024; p++)
                record[labels.Length + c * 1024 + p] = (byte)(p + 50 * c + seed);
        return record;
    }

    [Fact]
    public void Cifar10RecordsBecomeInterleavedRgbWithLabels()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("data_batch_1.bin"), [.. Record([3], 0), .. Record([9], 1)]);
        File.WriteAllBytes(dir.File("data_batch_2.bin"), Record([0], 2));
        var data = new CifarDataset([dir.File("data_batch_1.bin"), dir.File("data_batch_2.bin")], CifarVariant.Cifar10);

        Assert.Equal((3, 3, 32, 32), (data.Count, data.Channels, data.Height, data.Width));
        Assert.Equal([3, 9, 0], Enumerable.Range(0, 3).Select(data.Label));
        Assert.Equal("cat", data.ClassNames[3]);
        var image = new byte[3072];
        data.ReadBytes(2, image);
        // Pixel (row 1, column 2) = p 34: R = 34 + 2, G = 84 + 2, B = 134 + 2.
        Assert.Equal([36, 86, 136], image.AsSpan((32 + 2) * 3, 3).ToArray());
        var floats = new float[3072];
        data.ReadFloats(2, floats);
        Assert.Equal(86 / 255f, floats[1024 + 34]);
    }

    [Fact]
    public void Cifar100HasFineAndCoarseLabels()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("train.bin"), [.. Record([4, 72], 0), .. Record([19, 99], 0)]);
        var fine = new CifarDataset([dir.File("train.bin")], CifarVariant.Cifar100);
        Assert.Equal(100, fine.ClassCount);
        Assert.Equal([72, 99], new[] { fine.Label(0), fine.Label(1) });
        Assert.Equal(19, fine.CoarseLabel(1));
        var coarse = new CifarDataset([dir.File("train.bin")], CifarVariant.Cifar100, CifarLabelKind.Coarse);
        Assert.Equal(20, coarse.ClassCount);
        Assert.Equal([4, 19], new[] { coarse.Label(0), coarse.Label(1) });
    }

    [Fact]
    public void WrongRecordSizeNamesTheFileAndSuggestsTheOtherVariant()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("train.bin"), Record([1, 2], 0));
        var error = Assert.Throws<InvalidDataException>(() => new CifarDataset([dir.File("train.bin")], CifarVariant.Cifar10));
        Assert.Contains(dir.File("train.bin"), error.Message);
        Assert.Contains("3073-byte", error.Message);
        Assert.Contains("CIFAR-100", error.Message);

        File.WriteAllBytes(dir.File("short.bin"), new byte[3000]);
        error = Assert.Throws<InvalidDataException>(() => new CifarDataset([dir.File("short.bin")], CifarVariant.Cifar10));
        Assert.Contains("3000 bytes", error.Message);
    }

    [Fact]
    public void OutOfRangeLabelsAreRejected()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("data_batch_1.bin"), [.. Record([1], 0), .. Record([10], 0)]);
        var error = Assert.Throws<InvalidDataException>(() => new CifarDataset([dir.File("data_batch_1.bin")], CifarVariant.Cifar10));
        Assert.Contains("record 1 has label 10", error.Message);
        Assert.Throws<FileNotFoundException>(() => new CifarDataset([dir.File("missing.bin")], CifarVariant.Cifar10));
    }
}
