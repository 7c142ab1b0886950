using JepaSharp.Eval;
using Xunit;

namespace JepaSharp.Tests.Eval;

public class FeatureSetTests
{
    [Fact]
    public void NamesWhatIsWrongWithBadInput()
    {
        Assert.Contains("2 examples x 3 dimensions need 6",
            Assert.Throws<ArgumentException>(() => new FeatureSet(2, 3, new float[5], [0, 0], 1)).Message);
        Assert.Contains("labels has 1 entries for 2 examples",
            Assert.Throws<ArgumentException>(() => new FeatureSet(2, 1, new float[2], [0], 1)).Message);
        Assert.Contains("example 1 has label 3, outside [0, 3)",
            Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureSet(2, 1, new float[2], [0, 3], 3)).Message);
        Assert.Contains("feature 1 of example 1 is NaN",
            Assert.Throws<ArgumentException>(() => new FeatureSet(2, 2, [0, 0, 0, float.NaN], [0, 0], 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureSet(0, 1, [], [], 1));
        Assert.Contains("3 images of 4 pixels need 12",
            Assert.Throws<ArgumentException>(() => FeatureSet.FromImages(new float[11], 3, 4, [0, 0, 0], 1)).Message);
    }

    [Fact]
    public void FromImagesUsesThePixelsAsFeatures()
    {
        var pixels = new float[] { 0, 0.5f, 1, 0.25f, 0.75f, 0 };
        var set = FeatureSet.FromImages(pixels, 2, 3, [1, 0], 2);
        Assert.Same(pixels, set.Features);
        Assert.Equal(3, set.Dimension);
        Assert.Equal(new float[] { 0.25f, 0.75f, 0 }, set.Row(1).ToArray());
    }

    [Fact]
    public void SubsetCopiesRowsInOrder()
    {
        var set = new FeatureSet(3, 2, [1, 2, 3, 4, 5, 6], [0, 1, 2], 3);
        var subset = set.Subset([2, 0, 2]);
        Assert.Equal(new float[] { 5, 6, 1, 2, 5, 6 }, subset.Features);
        Assert.Equal(new[] { 2, 0, 2 }, subset.Labels);
        Assert.Equal(new[] { 1, 0, 2 }, subset.ClassCounts());
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Subset([3]));
    }
}
