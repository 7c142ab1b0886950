using JepaSharp.Data.Transforms;
using Xunit;

namespace JepaSharp.Tests.Data;

/// <summary>The official I-JEPA colour distortion and blur (data.use_color_distortion, data.use_gaussian_blur).</summary>
public class AugmentationTests
{
    private static float[] RandomImage(int floats, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, floats).Select(_ => (float)random.NextDouble()).ToArray();
    }

    private static double Luma(float r, float g, float b) => 0.2989 * r + 0.587 * g + 0.114 * b;

    [Fact]
    public void BrightnessScalesAndClamps()
    {
        float[] image = [0f, 0.25f, 0.5f, 0.75f];
        ColorDistortion.AdjustBrightness(image, 1.6f);
        Assert.Equal([0f, 0.4f, 0.8f, 1f], image);
        ColorDistortion.AdjustBrightness(image, 0f);
        Assert.All(image, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ContrastBlendsWithTheMeanLuma()
    {
        const int plane = 12;
        var image = RandomImage(3 * plane, 1);
        var original = (float[])image.Clone();
        double mean = Enumerable.Range(0, plane).Average(i => Luma(original[i], original[plane + i], original[2 * plane + i]));

        ColorDistortion.AdjustContrast(image, 3, plane, 0.3f);

        for (int i = 0; i < image.Length; i++) Assert.Equal(Math.Clamp(0.3 * original[i] + 0.7 * mean, 0, 1), image[i], 1e-6);
        var grey = RandomImage(plane, 2);
        double greyMean = grey.Average(v => (double)v);
        ColorDistortion.AdjustContrast(grey, 1, plane, 0f);
        Assert.All(grey, v => Assert.Equal(greyMean, v, 1e-6));
    }

    [Fact]
    public void SaturationZeroIsTheLumaAndOneChannelIsLeftAlone()
    {
        const int plane = 10;
        var image = RandomImage(3 * plane, 3);
        var original = (float[])image.Clone();
        ColorDistortion.AdjustSaturation(image, 3, plane, 0f);
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++) Assert.Equal(Luma(original[i], original[plane + i], original[2 * plane + i]), image[c * plane + i], 1e-6);

        var grey = RandomImage(plane, 4);
        var before = (float[])grey.Clone();
        ColorDistortion.AdjustSaturation(grey, 1, plane, 0f);
        ColorDistortion.AdjustHue(grey, 1, plane, 0.3f);
        ColorDistortion.ToGrayscale(grey, 1, plane);
        Assert.Equal(before, grey);
    }

    [Fact]
    public void HueRotatesThroughTheColourWheel()
    {
        // One pixel per primary: red → green → blue → red, a third of a turn each.
        float[] primaries = [1, 0, 0, 0, 1, 0, 0, 0, 1]; // planar: R plane (1,0,0), G plane (0,1,0), B plane (0,0,1)
        ColorDistortion.AdjustHue(primaries, 3, 3, 1f / 3f);
        float[] expected = [0, 0, 1, 1, 0, 0, 0, 1, 0];
        for (int i = 0; i < 9; i++) Assert.Equal(expected[i], primaries[i], 1e-5);

        // Orange (1, 0.5, 0) half a turn round is azure (0, 0.5, 1); a negative shift wraps the same way.
        float[] orange = [1, 0.5f, 0];
        ColorDistortion.AdjustHue(orange, 3, 1, -0.5f);
        Assert.Equal([0f, 0.5f, 1f], orange.Select(v => MathF.Round(v, 5)));
    }

    [Fact]
    public void HueShiftsUndoEachOtherAndKeepGreysAndValue()
    {
        const int plane = 50;
        var image = RandomImage(3 * plane, 5);
        var original = (float[])image.Clone();
        ColorDistortion.AdjustHue(image, 3, plane, 0.37f);
        for (int i = 0; i < plane; i++)
        {
            float max = Math.Max(original[i], Math.Max(original[plane + i], original[2 * plane + i]));
            Assert.Equal(max, Math.Max(image[i], Math.Max(image[plane + i], image[2 * plane + i])), 1e-5); // value is kept
        }
        ColorDistortion.AdjustHue(image, 3, plane, -0.37f);
        for (int i = 0; i < image.Length; i++) Assert.Equal(original[i], image[i], 1e-5);

        float[] grey = [0.4f, 0.4f, 0.4f];
        ColorDistortion.AdjustHue(grey, 3, 1, 0.2f);
        Assert.Equal([0.4f, 0.4f, 0.4f], grey);
    }

    [Fact]
    public void GrayscaleWritesTheLumaToEveryChannel()
    {
        float[] pixel = [0.9f, 0.2f, 0.4f];
        ColorDistortion.ToGrayscale(pixel, 3, 1);
        double luma = Luma(0.9f, 0.2f, 0.4f);
        Assert.All(pixel, v => Assert.Equal(luma, v, 1e-6));
    }

    [Fact]
    public void DistortionJittersFourInFiveImagesAndGreysOneInFive()
    {
        const int plane = 16, samples = 4000;
        var original = RandomImage(3 * plane, 6);
        var distortion = new ColorDistortion(1.0);
        int unchanged = 0, grey = 0;
        for (int index = 0; index < samples; index++)
        {
            var image = (float[])original.Clone();
            var random = SampleRandom.ForSample(3, 0, index);
            distortion.Apply(image, 3, 4, 4, ref random);
            if (image.SequenceEqual(original)) unchanged++;
            if (Enumerable.Range(0, plane).All(i => image[i] == image[plane + i] && image[i] == image[2 * plane + i])) grey++;
        }
        // Unchanged: neither jittered (0.2) nor greyed (0.8) → 0.16; greyed: 0.2.
        Assert.InRange(unchanged / (double)samples, 0.13, 0.19);
        Assert.InRange(grey / (double)samples, 0.17, 0.23);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ColorDistortion(2.6));
        var twoChannels = new float[2 * plane];
        var any = SampleRandom.ForSample(3, 0, 0);
        Assert.Throws<ArgumentException>(() => distortion.Apply(twoChannels, 2, 4, 4, ref any));
    }

    [Fact]
    public void BlurMatchesADoubleReferenceWithExtendedEdges()
    {
        const int channels = 2, height = 7, width = 9;
        const double sigma = 1.3;
        var image = RandomImage(channels * height * width, 7);
        var expected = new double[image.Length];
        int half = (int)Math.Ceiling(3 * sigma);
        double norm = Enumerable.Range(-half, 2 * half + 1).Sum(k => Math.Exp(-k * k / (2 * sigma * sigma)));
        double Weight(int k) => Math.Exp(-k * k / (2 * sigma * sigma)) / norm;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    double sum = 0;
                    for (int dy = -half; dy <= half; dy++)
                        for (int dx = -half; dx <= half; dx++)
                            sum += Weight(dy) * Weight(dx) * image[c * height * width + Math.Clamp(y + dy, 0, height - 1) * width + Math.Clamp(x + dx, 0, width - 1)];
                    expected[c * height * width + y * width + x] = sum;
                }

        GaussianBlur.Blur(image, channels, height, width, sigma);

        for (int i = 0; i < image.Length; i++) Assert.Equal(expected[i], image[i], 1e-5);
    }

    [Fact]
    public void BlurKeepsConstantsAndSpreadsAnImpulseBySigma()
    {
        var flat = Enumerable.Repeat(0.3f, 64).ToArray();
        GaussianBlur.Blur(flat, 1, 8, 8, 2.0);
        Assert.All(flat, v => Assert.Equal(0.3f, v, 1e-6f));

        const int side = 31, centre = 15;
        var impulse = new float[side * side];
        impulse[centre * side + centre] = 1;
        GaussianBlur.Blur(impulse, 1, side, side, 1.5);
        Assert.Equal(1.0, impulse.Sum(v => (double)v), 1e-5);
        double variance = 0;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) variance += impulse[y * side + x] * (x - centre) * (x - centre);
        Assert.Equal(1.5 * 1.5, variance, 0.02); // the taps stop at 3σ, which trims a little of the tails
        Assert.Equal(impulse[centre * side + centre - 2], impulse[centre * side + centre + 2]);
        Assert.Equal(impulse[(centre - 3) * side + centre], impulse[centre * side + centre + 3]);
    }

    [Fact]
    public void BlurRunsOnHalfTheImages()
    {
        var blur = new GaussianBlur();
        var original = RandomImage(25, 8);
        int blurred = 0;
        for (int index = 0; index < 2000; index++)
        {
            var image = (float[])original.Clone();
            var random = SampleRandom.ForSample(9, 1, index);
            blur.Apply(image, 1, 5, 5, ref random);
            if (!image.SequenceEqual(original)) blurred++;
        }
        Assert.InRange(blurred / 2000.0, 0.46, 0.54);
    }

    [Fact]
    public void PipelineWithoutColourChangesOnOneChannelEqualsThePlainPipeline()
    {
        // On one channel, saturation, hue and grayscale do nothing; strength 0 leaves brightness and contrast alone too.
        var image = new byte[28 * 28];
        new Random(9).NextBytes(image);
        var plain = ImagePipeline.Train(20, Normalization.FashionMnist).Bind(1, 28, 28);
        var distorted = ImagePipeline.Train(20, Normalization.FashionMnist, colorDistortion: new ColorDistortion(0)).Bind(1, 28, 28);
        for (int index = 0; index < 20; index++)
        {
            float[] a = new float[plain.OutputFloats], b = new float[plain.OutputFloats];
            var ra = SampleRandom.ForSample(1, 0, index);
            var rb = SampleRandom.ForSample(1, 0, index);
            plain.Apply(image, a, ref ra);
            distorted.Apply(image, b, ref rb);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-5f);
        }
    }

    [Fact]
    public void DistortedPipelineIsDeterministicPerSampleAndNormalizes()
    {
        var image = new byte[32 * 32 * 3];
        new Random(10).NextBytes(image);
        var pipeline = ImagePipeline.Train(16, Normalization.Cifar10, flipProbability: 0.5, colorDistortion: new ColorDistortion(1), blur: new GaussianBlur());
        var transform = pipeline.Bind(3, 32, 32);
        float[] a = new float[transform.OutputFloats], b = new float[transform.OutputFloats];
        var seen = new HashSet<string>();
        for (int index = 0; index < 30; index++)
        {
            var ra = SampleRandom.ForSample(4, 2, index);
            var rb = SampleRandom.ForSample(4, 2, index);
            transform.Apply(image, a, ref ra);
            transform.Apply(image, b, ref rb);
            Assert.Equal(a, b);
            seen.Add(string.Join(",", a.Take(8)));
            for (int c = 0; c < 3; c++)
            {
                var (mean, std) = Normalization.Cifar10.Channel(c);
                Assert.All(a.Skip(c * 256).Take(256), v => Assert.InRange(v, -mean / std - 1e-5f, (1 - mean) / std + 1e-5f));
            }
        }
        Assert.True(seen.Count > 25);
        Assert.Contains("colour jitter s=1 p=0.8, grayscale p=0.2, Gaussian blur σ 0.1–2 p=0.5", pipeline.ToString());
    }
}
