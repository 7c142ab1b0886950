using JepaSharp.Data.Datasets;
using Xunit;

namespace JepaSharp.Tests.Data;

public class DatasetLocatorTests
{
    [Fact]
    public void UserFolderIsSearchedFirst()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.File("mnist"));
        File.WriteAllBytes(dir.File("mnist", "t10k-images-idx3-ubyte.gz"), DataFiles.Gzip(DataFiles.Idx([2, 28, 28], new byte[2 * 784])));
        File.WriteAllBytes(dir.File("mnist", "t10k-labels.idx1-ubyte"), DataFiles.Idx([2], [7, 1]));

        var location = DatasetLocator.Locate("MNIST", DatasetSplit.Test, dir.Path);
        Assert.Equal(dir.File("mnist"), location.Folder);
        var data = DatasetLocator.Open("mnist", DatasetSplit.Test, dir.Path);
        Assert.Equal((2, 7), (data.Count, data.Label(0)));
        Assert.Equal("mnist test", data.Name);
    }

    [Fact]
    public void CifarIsFoundInItsArchiveFolder()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.File("cifar-10-batches-bin"));
        File.WriteAllBytes(dir.File("cifar-10-batches-bin", "test_batch.bin"), new byte[3073]);
        File.WriteAllLines(dir.File("cifar-10-batches-bin", "batches.meta.txt"), ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", ""]);
        var data = DatasetLocator.Open("cifar-10", DatasetSplit.Test, dir.Path);
        Assert.Equal(1, data.Count);
        Assert.Equal("j", data.ClassNames[9]);
    }

    [Fact]
    public void MissingDatasetSaysHowToGetIt()
    {
        using var dir = new TempFolder();
        var error = Assert.Throws<FileNotFoundException>(() => DatasetLocator.Locate("cifar100", DatasetSplit.Train, dir.Path));
        Assert.Contains("cifar-100-binary.tar.gz", error.Message);
        Assert.Contains(dir.Path, error.Message);
        Assert.Contains("./jepa data get fashion-mnist", DatasetLocator.HowToGet("fashion-mnist"));
        Assert.Contains("apt-get install dataset-fashion-mnist", DatasetLocator.HowToGet("fashion-mnist"));
    }

    [Fact]
    public void IncompleteDatasetNamesTheMissingFiles()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.File("cifar10"));
        File.WriteAllBytes(dir.File("cifar10", "data_batch_1.bin"), new byte[3073]);
        var error = Assert.Throws<FileNotFoundException>(() => DatasetLocator.Locate("cifar10", DatasetSplit.Train, dir.Path));
        Assert.Contains("data_batch_5.bin", error.Message);
        Assert.Contains(dir.File("cifar10"), error.Message);
    }

    [Fact]
    public void UnknownNamesAndSplitsAreArgumentErrors()
    {
        var error = Assert.Throws<ArgumentException>(() => DatasetLocator.Locate("imagenet", DatasetSplit.Train));
        Assert.Contains("fashion-mnist", error.Message);
        Assert.Throws<ArgumentException>(() => DatasetLocator.ParseSplit("validation-ish"));
        Assert.Equal(DatasetSplit.Test, DatasetLocator.ParseSplit("test"));
    }
}
