using JepaSharp.Eval;
using Xunit;

namespace JepaSharp.Tests.Eval;

public class KnnClassifierTests
{
    /// <summary>Brute force in double: sort every training row by (similarity descending, index ascending), vote over the first k.</summary>
    private static (int[] Weighted, int[] Majority) Reference(FeatureSet train, FeatureSet test, int k, double temperature)
    {
        var trainUnit = Normalized(train);
        var testUnit = Normalized(test);
        var weighted = new int[test.Count];
        var majority = new int[test.Count];
        for (int q = 0; q < test.Count; q++)
        {
            var neighbours = Enumerable.Range(0, train.Count)
                .Select(i => (Index: i, Similarity: Dot(testUnit[q], trainUnit[i])))
                .OrderByDescending(p => p.Similarity).ThenBy(p => p.Index)
                .Take(k).ToArray();
            var weightedVotes = new double[train.ClassCount];
            var majorityVotes = new double[train.ClassCount];
            foreach (var (index, similarity) in neighbours)
            {
                weightedVotes[train.Labels[index]] += Math.Exp(similarity / temperature);
                majorityVotes[train.Labels[index]] += 1;
            }
            weighted[q] = FirstMax(weightedVotes);
            majority[q] = FirstMax(majorityVotes);
        }
        return (weighted, majority);

        static double[][] Normalized(FeatureSet set) => Enumerable.Range(0, set.Count).Select(i =>
        {
            var row = set.Row(i).ToArray().Select(v => (double)v).ToArray();
            double norm = Math.Sqrt(row.Sum(v => v * v));
            return norm == 0 ? row : row.Select(v => v / norm).ToArray();
        }).ToArray();

        static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

        static int FirstMax(double[] votes) => Array.IndexOf(votes, votes.Max());
    }

    [Theory]
    [InlineData(20, 0.07, 1L << 23)]
    [InlineData(5, 0.5, 1L << 23)]
    [InlineData(20, 0.07, 400L * 7)] // seven test rows per SGEMM block: 150 rows end in a partial block
    [InlineData(1, 0.07, 400L * 64)]
    public void MatchesTheBruteForceReference(int k, double temperature, long blockFloats)
    {
        var (train, test) = EvalTestData.Clusters(400, 150, 16, 4, separation: 0.4, seed: 21);
        var knn = new KnnClassifier(train, new KnnOptions { K = k, Temperature = temperature }) { SimilarityBlockFloats = blockFloats };
        var predictions = knn.Predict(test);
        var (weighted, majority) = Reference(train, test, k, temperature);

        Assert.Equal(weighted, predictions.Weighted);
        Assert.Equal(majority, predictions.Majority);
        if (k > 1) Assert.NotEqual(predictions.Weighted, predictions.Majority); // the two rules really differ on this data
    }

    [Fact]
    public void BreaksTiesTowardsTheSmallerLabelAndTheSmallerTrainingIndex()
    {
        // Unit vectors on a circle; the queries are at angle 0.
        static float[] At(double degrees) => [(float)Math.Cos(degrees * Math.PI / 180), (float)Math.Sin(degrees * Math.PI / 180)];
        var points = new (double Angle, int Label)[]
        {
            (10, 2), (-10, 2), (20, 1), (-20, 1), // k = 4: two votes each for 2 (closer) and 1
            (90, 0), (120, 0), (180, 0), (-120, 0), (-90, 0),
        };
        var train = new FeatureSet(points.Length, 2, points.SelectMany(p => At(p.Angle)).ToArray(), points.Select(p => p.Label).ToArray(), 3);
        var query = new FeatureSet(1, 2, At(0), [0], 3);

        var four = new KnnClassifier(train, new KnnOptions { K = 4 }).Predict(query);
        Assert.Equal(1, four.Majority[0]);  // 2 : 2 → the smaller label
        Assert.Equal(2, four.Weighted[0]);  // the closer pair outweighs

        // Mirror-image neighbours have bit-identical similarities, so their weighted votes tie exactly.
        var mirrored = new FeatureSet(3, 2, [.. At(15), .. At(-15), .. At(170)], [2, 1, 0], 3);
        var two = new KnnClassifier(mirrored, new KnnOptions { K = 2 }).Predict(query);
        Assert.Equal(1, two.Weighted[0]);
        Assert.Equal(1, two.Majority[0]);

        // k = 1 with two equally similar neighbours: the smaller training index is the neighbour.
        var one = new KnnClassifier(mirrored, new KnnOptions { K = 1 }).Predict(query);
        Assert.Equal(2, one.Weighted[0]);
        Assert.Equal(2, one.Majority[0]);

        foreach (var (set, k) in new[] { (train, 4), (mirrored, 2), (mirrored, 1) })
        {
            var (weighted, majority) = Reference(set, query, k, 0.07);
            var actual = new KnnClassifier(set, new KnnOptions { K = k }).Predict(query);
            Assert.Equal(weighted, actual.Weighted);
            Assert.Equal(majority, actual.Majority);
        }
    }

    [Fact]
    public void CosineSimilarityIgnoresScaleAndZeroRowsStayHarmless()
    {
        var train = new FeatureSet(3, 2, [100f, 0f, 0f, 0.001f, 0f, 0f], [0, 1, 2], 3);
        var test = new FeatureSet(2, 2, [0f, 5f, 3f, 0.1f], [1, 0], 3);
        var result = new KnnClassifier(train, new KnnOptions { K = 1 }).Evaluate(test);
        Assert.Equal(1.0, result.WeightedAccuracy);
        Assert.Equal(1.0, result.MajorityAccuracy);
    }

    [Fact]
    public void RejectsBadInput()
    {
        var (train, test) = EvalTestData.Clusters(10, 5, 3, 2, separation: 1, seed: 0);
        Assert.Contains("exceeds the 10 training examples",
            Assert.Throws<ArgumentOutOfRangeException>(() => new KnnClassifier(train, new KnnOptions { K = 11 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new KnnClassifier(train, new KnnOptions { Temperature = 0 }));
        var wide = EvalTestData.Clusters(10, 5, 4, 2, separation: 1, seed: 0).Test;
        Assert.Throws<ArgumentException>(() => new KnnClassifier(train, new KnnOptions { K = 3 }).Predict(wide));
        Assert.Equal(5, new KnnClassifier(train, new KnnOptions { K = 3 }).Predict(test).Weighted.Length);
    }
}
