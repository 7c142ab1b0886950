using JepaSharp.Eval;

namespace JepaSharp.Tests.Eval;

/// <summary>Seeded synthetic feature sets for the evaluation tests.</summary>
public static class EvalTestData
{
    public static double Gaussian(Random random)
    {
        // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
        double u = 1 - random.NextDouble(), v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }

    /// <summary>Random class centres (one per class, entries N(0, separation²)), then count points each = centre + N(0, 1) noise, labels cycling.</summary>
    public static (FeatureSet Train, FeatureSet Test) Clusters(int trainCount, int testCount, int dimension, int classes, double separation, int seed)
    {
        var random = new Random(seed);
        var centres = new double[classes * dimension];
        for (int i = 0; i < centres.Length; i++) centres[i] = separation * Gaussian(random);
        return (Sample(trainCount), Sample(testCount));

        FeatureSet Sample(int count)
        {
            var features = new float[count * dimension];
            var labels = new int[count];
            for (int i = 0; i < count; i++)
            {
                int label = i % classes;
                labels[i] = label;
                for (int j = 0; j < dimension; j++)
                    features[i * dimension + j] = (float)(centres[label * dimension + j] + Gaussian(random));
            }
            return new FeatureSet(count, dimension, features, labels, classes);
        }
    }

    /// <summary>The same features with labels permuted (seeded), which destroys any feature–label relation.</summary>
    public static FeatureSet ShuffledLabels(FeatureSet set, int seed)
    {
        var labels = (int[])set.Labels.Clone();
        var random = new Random(seed);
        for (int i = labels.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (labels[i], labels[j]) = (labels[j], labels[i]);
        }
        return new FeatureSet(set.Count, set.Dimension, set.Features, labels, set.ClassCount);
    }
}
