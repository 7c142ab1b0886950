namespace JepaSharp.Eval;

/// <summary>
/// Labelled feature vectors held in memory: <see cref="Features"/> is row-major [Count, Dimension], one row per
/// example, and <see cref="Labels"/>[i] ∈ [0, ClassCount) is the class of row i. The constructor checks every
/// value, so the evaluators downstream can trust the shapes, the labels and that no feature is NaN or infinite.
/// The arrays are not copied; do not modify them while an evaluation runs.
/// </summary>
public sealed class FeatureSet
{
    public int Count { get; }
    public int Dimension { get; }
    public float[] Features { get; }
    public int[] Labels { get; }
    public int ClassCount { get; }

    public FeatureSet(int count, int dimension, float[] features, int[] labels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "a feature set needs at least one example");
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "the feature dimension must be at least 1");
        if (classCount < 1) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "a feature set needs at least one class");
        if (features.LongLength != (long)count * dimension)
            throw new ArgumentException($"features has {features.LongLength} values, {count} examples x {dimension} dimensions need {(long)count * dimension}", nameof(features));
        if (labels.Length != count)
            throw new ArgumentException($"labels has {labels.Length} entries for {count} examples", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"example {i} has label {labels[i]}, outside [0, {classCount})");
        for (long i = 0; i < features.LongLength; i++)
            if (!float.IsFinite(features[i]))
                throw new ArgumentException($"feature {i % dimension} of example {i / dimension} is {features[i]}", nameof(features));
        Count = count;
        Dimension = dimension;
        Features = features;
        Labels = labels;
        ClassCount = classCount;
    }

    /// <summary>
    /// Raw pixels as features (the raw-pixel baseline): <paramref name="images"/> holds <paramref name="count"/>
    /// images of <paramref name="pixelsPerImage"/> values each, back to back, in any fixed layout (e.g. CHW floats
    /// in [0, 1] from <c>IImageDataset.ReadFloats</c>). The array becomes the feature matrix without a copy.
    /// </summary>
    public static FeatureSet FromImages(float[] images, int count, int pixelsPerImage, int[] labels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (pixelsPerImage >= 1 && count >= 1 && images.LongLength != (long)count * pixelsPerImage)
            throw new ArgumentException($"images has {images.LongLength} values, {count} images of {pixelsPerImage} pixels need {(long)count * pixelsPerImage}", nameof(images));
        return new FeatureSet(count, pixelsPerImage, images, labels, classCount);
    }

    /// <summary>Row <paramref name="index"/> of the feature matrix.</summary>
    public ReadOnlySpan<float> Row(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the feature set has {Count} examples");
        return Features.AsSpan(index * Dimension, Dimension);
    }

    /// <summary>How many examples each class has, indexed by label.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int label in Labels) counts[label]++;
        return counts;
    }

    /// <summary>A new feature set with copies of the given rows, in the given order (repeats allowed).</summary>
    public FeatureSet Subset(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty) throw new ArgumentException("a subset needs at least one index", nameof(indices));
        var features = new float[(long)indices.Length * Dimension];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int source = indices[i];
            if ((uint)source >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), source, $"subset index {i} is {source}, the feature set has {Count} examples");
            Array.Copy(Features, (long)source * Dimension, features, (long)i * Dimension, Dimension);
            labels[i] = Labels[source];
        }
        return new FeatureSet(indices.Length, Dimension, features, labels, ClassCount);
    }

    /// <summary>The same labels with other features (e.g. standardised ones), checked like any new set.</summary>
    public FeatureSet WithFeatures(float[] features) => new(Count, Dimension, features, Labels, ClassCount);

    public override string ToString() => $"{Count} examples x {Dimension} features, {ClassCount} classes";
}
