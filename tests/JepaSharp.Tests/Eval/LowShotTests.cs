using JepaSharp.Eval;
using Xunit;

namespace JepaSharp.Tests.Eval;

public class LowShotTests
{
    /// <summary>Ten classes of unequal size (class c has 100 + 37c examples), labels cycling where the classes overlap.</summary>
    private static FeatureSet Unbalanced()
    {
        var remaining = Enumerable.Range(0, 10).Select(c => 100 + 37 * c).ToArray();
        var labels = new List<int>();
        while (remaining.Any(r => r > 0))
            for (int c = 0; c < 10; c++)
                if (remaining[c]-- > 0) labels.Add(c);
        return new FeatureSet(labels.Count, 1, new float[labels.Count], labels.ToArray(), 10);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    public void SubsetsAreClassBalancedAndTheRightSize(double fraction)
    {
        var train = Unbalanced();
        var counts = train.ClassCounts();
        var subset = LowShot.DrawSubset(train, fraction, seed: 3);

        Assert.Equal(subset.Length, subset.Distinct().Count());
        Assert.Equal(subset.Order(), subset);
        for (int c = 0; c < 10; c++)
        {
            int expected = Math.Max(1, (int)Math.Floor(fraction * counts[c]));
            Assert.Equal(expected, subset.Count(i => train.Labels[i] == c));
        }
    }

    [Fact]
    public void DrawsAreDeterministicDistinctAndNested()
    {
        var train = Unbalanced();
        var seeds = Enumerable.Range(0, 3).Select(r => LowShot.DrawSeed(42, r)).ToArray();
        Assert.Equal(3, seeds.Distinct().Count());
        Assert.Equal(seeds, Enumerable.Range(0, 3).Select(r => LowShot.DrawSeed(42, r)));

        var draws = seeds.Select(seed => LowShot.DrawSubset(train, 0.1, seed)).ToArray();
        Assert.Equal(draws[0], LowShot.DrawSubset(train, 0.1, seeds[0]));
        Assert.NotEqual(draws[0], draws[1]);
        Assert.NotEqual(draws[0], draws[2]);
        Assert.NotEqual(draws[1], draws[2]);
        foreach (var seed in seeds)
            Assert.Subset(LowShot.DrawSubset(train, 0.1, seed).ToHashSet(), LowShot.DrawSubset(train, 0.01, seed).ToHashSet());
    }

    [Fact]
    public void ValidatesLambdaOnlyWhenTheSubsetIsLargeEnough()
    {
        var (train, test) = EvalTestData.Clusters(2000, 500, 16, 5, separation: 0.5, seed: 8);
        var options = new LowShotOptions();
        var probe = new LinearProbeOptions { Lambdas = [1e-3, 1e-1] };

        var tiny = LowShot.Run(train, test, 0.01, options, probe, baseSeed: 1); // 4 per class
        Assert.All(tiny.Draws, d => Assert.True(d.FallbackLambda));
        Assert.All(tiny.Draws, d => Assert.Equal(options.FallbackLambda, d.Lambda));
        Assert.All(tiny.Draws, d => Assert.Equal(20, d.SampleCount));

        var larger = LowShot.Run(train, test, 0.1, options, probe, baseSeed: 1); // 40 per class
        Assert.All(larger.Draws, d => Assert.False(d.FallbackLambda));
        Assert.All(larger.Draws, d => Assert.Contains(d.Lambda, probe.Lambdas));
        Assert.Equal(3, larger.Draws.Count);

        var accuracies = larger.Draws.Select(d => d.TestAccuracy).ToArray();
        double mean = accuracies.Average();
        Assert.Equal(mean, larger.MeanAccuracy, 1e-12);
        Assert.Equal(Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / 2), larger.StdAccuracy, 1e-12);
        Assert.True(larger.MeanAccuracy > 0.5, $"mean accuracy {larger.MeanAccuracy:P1}");
        Assert.Equal(larger.Draws.Select(d => d.Seed), Enumerable.Range(0, 3).Select(r => LowShot.DrawSeed(1, r)));
    }

    [Fact]
    public void RejectsBadFractions()
    {
        var train = Unbalanced();
        Assert.Throws<ArgumentOutOfRangeException>(() => LowShot.DrawSubset(train, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LowShot.DrawSubset(train, 1.5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LowShotOptions { Fractions = [0.1, -0.1] }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LowShotOptions { Draws = 0 }.Validate());
    }
}
