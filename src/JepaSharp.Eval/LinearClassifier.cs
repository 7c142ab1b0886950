using JepaSharp.Engine.Kernels.Gemm;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Eval;

/// <summary>A trained linear classifier: class scores W·x + b, prediction = the highest score (ties → the smallest label).</summary>
public sealed unsafe class LinearClassifier
{
    public int ClassCount { get; }
    public int Dimension { get; }

    /// <summary>Row-major [ClassCount, Dimension].</summary>
    public float[] Weights { get; }
    public float[] Bias { get; }

    public LinearClassifier(int classCount, int dimension, float[] weights, float[] bias)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        if (classCount < 1) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "a classifier needs at least one class");
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "the feature dimension must be at least 1");
        if (weights.LongLength != (long)classCount * dimension)
            throw new ArgumentException($"weights has {weights.LongLength} values, {classCount} classes x {dimension} dimensions need {(long)classCount * dimension}", nameof(weights));
        if (bias.Length != classCount) throw new ArgumentException($"bias has {bias.Length} values for {classCount} classes", nameof(bias));
        ClassCount = classCount;
        Dimension = dimension;
        Weights = weights;
        Bias = bias;
    }

    /// <summary>The predicted class of every row of <paramref name="features"/>.</summary>
    public int[] Predict(FeatureSet features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Dimension != Dimension)
            throw new ArgumentException($"the classifier takes {Dimension}-dimensional features, got {features.Dimension}", nameof(features));
        int n = features.Count, classes = ClassCount;
        var scores = new float[(long)n * classes];
        fixed (float* x = features.Features, w = Weights, b = Bias, z = scores)
            Sgemm.Run(false, true, n, classes, Dimension, 1f, x, Dimension, w, Dimension, 0f, z, classes, WorkerPool.Shared, b);
        var predictions = new int[n];
        for (int i = 0; i < n; i++)
        {
            var row = scores.AsSpan(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++)
                if (row[c] > row[best]) best = c;
            predictions[i] = best;
        }
        return predictions;
    }

    /// <summary>Top-1 accuracy on <paramref name="features"/>, in [0, 1].</summary>
    public double Accuracy(FeatureSet features)
    {
        if (features.ClassCount != ClassCount)
            throw new ArgumentException($"the classifier has {ClassCount} classes, the feature set {features.ClassCount}", nameof(features));
        return Metrics.Accuracy(Predict(features), features.Labels);
    }
}

internal static class Metrics
{
    public static double Accuracy(int[] predictions, int[] labels)
    {
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
            if (predictions[i] == labels[i]) correct++;
        return (double)correct / labels.Length;
    }
}
