using JepaSharp.Data.Datasets;
using JepaSharp.Data.Transforms;
using Xunit;
using Xunit.Abstractions;

namespace JepaSharp.Tests.Data;

/// <summary>The real Fashion-MNIST from Debian's dataset-fashion-mnist (installed by CI).</summary>
public class FashionMnistTests(ITestOutputHelper output)
{
    private bool Available(DatasetSplit split)
    {
        if (DatasetLocator.TryLocate("fashion-mnist", split) is not null) return true;
        output.WriteLine($"skipped: Fashion-MNIST is not installed. {DatasetLocator.HowToGet("fashion-mnist")}");
        return false;
    }

    [Theory]
    [InlineData(DatasetSplit.Train, 60000)]
    [InlineData(DatasetSplit.Test, 10000)]
    public void SplitsHaveTheOfficialShapeAndBalancedLabels(DatasetSplit split, int count)
    {
        if (!Available(split)) return;
        var data = DatasetLocator.Open("fashion-mnist", split);
        Assert.Equal((count, 1, 28, 28), (data.Count, data.Channels, data.Height, data.Width));
        Assert.Equal(10, data.ClassCount);
        Assert.Equal("Ankle boot", data.ClassNames[9]);
        var perClass = new int[10];
        for (int i = 0; i < data.Count; i++) perClass[data.Label(i)]++;
        Assert.All(perClass, n => Assert.Equal(count / 10, n));
    }

    [Fact]
    public void TrainStatisticsMatchTheNormalizationConstants()
    {
        if (!Available(DatasetSplit.Train)) return;
        var data = DatasetLocator.Open("fashion-mnist", DatasetSplit.Train);
        var image = new byte[28 * 28];
        double sum = 0, squares = 0;
        for (int i = 0; i < data.Count; i++)
        {
            data.ReadBytes(i, image);
            foreach (byte b in image)
            {
                double v = b / 255.0;
                sum += v;
                squares += v * v;
            }
        }
        double n = data.Count * 784.0, mean = sum / n, std = Math.Sqrt(squares / n - mean * mean);
        Assert.Equal(Normalization.FashionMnist.Mean[0], mean, 1e-3);
        Assert.Equal(Normalization.FashionMnist.Std[0], std, 1e-3);
    }
}
