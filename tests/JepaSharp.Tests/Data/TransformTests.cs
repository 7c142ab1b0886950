using JepaSharp.Data.Transforms;
using Xunit;

namespace JepaSharp.Tests.Data;

public class TransformTests
{
    private static readonly float[] Identity = [1f, 1f, 1f];
    private static readonly float[] Zero = [0f, 0f, 0f];

    [Fact]
    public void BilinearUpsamplingMatchesHandComputedHalfPixelValues()
    {
        // 2×2 → 4×4 with align_corners=False: columns sample source x = -0.25→0, 0.25, 0.75, 1.25→clamped.
        byte[] source = [0, 100, 200, 255];
        var output = new float[16];
        Resize.CropToChw(source, 2, 2, 1, CropRect.Full(2, 2), output, 4, 4, flip: false, Identity, Zero);
        float[] expected =
        [
            0, 25, 75, 100,
            50, 72.1875f, 116.5625f, 138.75f,
            150, 166.5625f, 199.6875f, 216.25f,
            200, 213.75f, 241.25f, 255,
        ];
        Assert.Equal(expected, output);
        Assert.Equal(expected.Select(v => (byte)Math.Round(v, MidpointRounding.AwayFromZero)).ToArray(), Resize.Bilinear(source, 2, 2, 1, 4, 4));
    }

    [Fact]
    public void BilinearDownsamplingAveragesPairsAndKeepsChannelsApart()
    {
        // 1×4 RGB row: R = 0, 10, 20, 30; G = 100 + R; B = 255 - R → 1×2 averages neighbours.
        byte[] row = [0, 100, 255, 10, 110, 245, 20, 120, 235, 30, 130, 225];
        var output = new float[6];
        Resize.CropToChw(row, 1, 4, 3, CropRect.Full(1, 4), output, 1, 2, flip: false, Identity, Zero);
        Assert.Equal([5, 25, 105, 125, 250, 230], output);
        Resize.CropToChw(row, 1, 4, 3, CropRect.Full(1, 4), output, 1, 2, flip: true, Identity, Zero);
        Assert.Equal([25, 5, 125, 105, 230, 250], output);
    }

    [Fact]
    public void CropWindowIsResampledOnItsOwn()
    {
        // Crop the middle 2×2 of a 4×4 ramp, at the same size: an exact copy that never reads outside.
        var ramp = Enumerable.Range(0, 16).Select(i => (byte)(i * 10)).ToArray();
        var output = new float[4];
        Resize.CropToChw(ramp, 4, 4, 1, new CropRect(1, 1, 2, 2), output, 2, 2, flip: false, Identity, Zero);
        Assert.Equal([50, 60, 90, 100], output);
    }

    [Fact]
    public void CenterCropRoundsHalfToEvenLikeTorchvision()
    {
        Assert.Equal(new CropRect(2, 2, 2, 2), CropRect.Center(6, 6, 2, 2));
        Assert.Equal(new CropRect(2, 1, 1, 3), CropRect.Center(4, 5, 1, 3));
        Assert.Equal(new CropRect(0, 2, 5, 2), CropRect.Center(5, 5, 5, 2)); // round(1.5) = 2
        Assert.Throws<ArgumentException>(() => CropRect.Center(4, 4, 5, 4));
    }

    [Fact]
    public void NormalizeOnlyMapsBytesThroughMeanAndStd()
    {
        var transform = ImagePipeline.NormalizeOnly(new Normalization([0.5f], [0.25f])).Bind(1, 1, 3);
        var output = new float[3];
        var random = SampleRandom.ForSample(0, 0, 0);
        transform.Apply([0, 51, 255], output, ref random);
        Assert.Equal(-2f, output[0], 1e-6f);
        Assert.Equal(-1.2f, output[1], 1e-6f);
        Assert.Equal(2f, output[2], 1e-6f);
    }

    [Fact]
    public void NormalizeProducesPlanarChannelsWithTheirOwnStatistics()
    {
        var transform = ImagePipeline.NormalizeOnly(Normalization.ImageNet).Bind(3, 1, 2);
        var output = new float[6];
        var random = SampleRandom.ForSample(0, 0, 0);
        transform.Apply([255, 0, 51, 0, 255, 102], output, ref random);
        float[] expected =
        [
            (1 - 0.485f) / 0.229f, (0 - 0.485f) / 0.229f,
            (0 - 0.456f) / 0.224f, (1 - 0.456f) / 0.224f,
            (0.2f - 0.406f) / 0.225f, (0.4f - 0.406f) / 0.225f,
        ];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], output[i], 1e-5f);
        Assert.Throws<ArgumentException>(() => ImagePipeline.NormalizeOnly(Normalization.ImageNet).Bind(1, 28, 28));
    }

    [Fact]
    public void FlipMirrorsEachRow()
    {
        var transform = ImagePipeline.Train(3, Normalization.None, new RandomResizedCrop(1, 1, 1, 1), flipProbability: 1).Bind(1, 3, 3);
        var output = new float[9];
        var random = SampleRandom.ForSample(1, 2, 3);
        transform.Apply([0, 1, 2, 3, 4, 5, 6, 7, 8], output, ref random);
        Assert.Equal(new[] { 2, 1, 0, 5, 4, 3, 8, 7, 6 }.Select(v => v / 255f), output);
    }

    [Fact]
    public void EvalCropsTheCentreFractionOfTheShorterSide()
    {
        var transform = ImagePipeline.Eval(2, Normalization.None, centerCropFraction: 0.5).Bind(1, 4, 6);
        var image = Enumerable.Range(0, 24).Select(i => (byte)i).ToArray();
        var output = new float[4];
        var random = SampleRandom.ForSample(0, 0, 0);
        transform.Apply(image, output, ref random);
        // The 2×2 centre of a 4×6 image starts at row 1, column 2.
        int[] expected = [8, 9, 14, 15];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i] / 255f, output[i], 1e-6f);
    }

    [Fact]
    public void RandomResizedCropIsDeterministicPerSampleAndStaysInBounds()
    {
        var crop = new RandomResizedCrop();
        var seen = new HashSet<CropRect>();
        for (int index = 0; index < 200; index++)
        {
            var first = SampleRandom.ForSample(7, 3, index);
            var second = SampleRandom.ForSample(7, 3, index);
            var rect = crop.Sample(60, 80, ref first);
            Assert.Equal(rect, crop.Sample(60, 80, ref second));
            Assert.True(rect.FitsIn(60, 80), $"{rect} outside 60x80");
            double area = (double)rect.Height * rect.Width / (60 * 80);
            Assert.InRange(area, 0.28, 1.0);
            Assert.InRange((double)rect.Width / rect.Height, 0.7, 1.43);
            seen.Add(rect);
        }
        Assert.True(seen.Count > 150, $"only {seen.Count} distinct crops in 200 samples");
        var again = SampleRandom.ForSample(7, 4, 0);
        var other = SampleRandom.ForSample(7, 3, 0);
        Assert.NotEqual(crop.Sample(60, 80, ref again), crop.Sample(60, 80, ref other));
    }

    [Fact]
    public void RandomResizedCropFallsBackToTheRatioClampedCentre()
    {
        // A ratio of 2–3 at full area never fits a square, so all 10 attempts fail.
        var crop = new RandomResizedCrop(1, 1, 2, 3);
        var random = SampleRandom.ForSample(0, 0, 0);
        Assert.Equal(new CropRect(2, 0, 5, 10), crop.Sample(10, 10, ref random));
        var tall = new RandomResizedCrop(1, 1, 0.25, 0.5);
        Assert.Equal(new CropRect(0, 2, 10, 5), tall.Sample(10, 10, ref random));
        Assert.Equal(new CropRect(0, 0, 10, 10), new RandomResizedCrop(1, 1, 1, 1).Sample(10, 10, ref random));
    }

    [Fact]
    public void TrainPipelineGivesTheSameViewForTheSameSample()
    {
        var image = new byte[32 * 32 * 3];
        new Random(5).NextBytes(image);
        var transform = ImagePipeline.Train(16, Normalization.Cifar10, flipProbability: 0.5).Bind(3, 32, 32);
        float[] a = new float[transform.OutputFloats], b = new float[transform.OutputFloats], c = new float[transform.OutputFloats];
        var ra = SampleRandom.ForSample(11, 0, 5);
        var rb = SampleRandom.ForSample(11, 0, 5);
        var rc = SampleRandom.ForSample(11, 0, 6);
        transform.Apply(image, a, ref ra);
        transform.Apply(image, b, ref rb);
        transform.Apply(image, c, ref rc);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void SampleRandomIntegersAreUniformAndShufflesArePermutations()
    {
        var random = SampleRandom.ForShuffle(1, 0);
        var counts = new int[6];
        for (int i = 0; i < 60000; i++) counts[random.NextInt(6)]++;
        Assert.All(counts, n => Assert.InRange(n, 9500, 10500));
        var order = Enumerable.Range(0, 1000).ToArray();
        random.Shuffle(order);
        Assert.Equal(Enumerable.Range(0, 1000), order.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), order);
    }
}
