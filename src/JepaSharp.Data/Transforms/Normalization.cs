namespace JepaSharp.Data.Transforms;

/// <summary>
/// Per-channel mean and standard deviation applied after scaling bytes to [0, 1]
/// (torchvision's ToTensor then Normalize). A single value applies to every channel.
/// </summary>
public sealed class Normalization
{
    public IReadOnlyList<float> Mean { get; }
    public IReadOnlyList<float> Std { get; }

    public Normalization(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (mean.Count == 0 || mean.Count != std.Count)
            throw new ArgumentException($"normalization needs as many means as standard deviations (got {mean.Count} and {std.Count})");
        foreach (float s in std)
            if (!(s > 0) || float.IsInfinity(s)) throw new ArgumentException($"normalization standard deviations must be positive and finite, got {s}");
        foreach (float m in mean)
            if (!float.IsFinite(m)) throw new ArgumentException($"normalization means must be finite, got {m}");
        Mean = mean.ToArray();
        Std = std.ToArray();
    }

    /// <summary>Only scale to [0, 1].</summary>
    public static Normalization None { get; } = new([0f], [1f]);

    /// <summary>The ImageNet statistics of the I-JEPA recipe.</summary>
    public static Normalization ImageNet { get; } = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Fashion-MNIST training-set pixel statistics.</summary>
    public static Normalization FashionMnist { get; } = new([0.2860f], [0.3530f]);

    /// <summary>MNIST training-set pixel statistics.</summary>
    public static Normalization Mnist { get; } = new([0.1307f], [0.3081f]);

    /// <summary>CIFAR-10 training-set pixel statistics.</summary>
    public static Normalization Cifar10 { get; } = new([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]);

    /// <summary>CIFAR-100 training-set pixel statistics.</summary>
    public static Normalization Cifar100 { get; } = new([0.5071f, 0.4865f, 0.4409f], [0.2673f, 0.2564f, 0.2762f]);

    public bool Fits(int channels) => Mean.Count == 1 || Mean.Count == channels;

    /// <summary>The mean and standard deviation applied to channel <paramref name="channel"/>.</summary>
    public (float Mean, float Std) Channel(int channel)
    {
        int c = Mean.Count == 1 ? 0 : channel;
        return (Mean[c], Std[c]);
    }

    /// <summary>The same map from byte values, folded into value·Scale + Offset.</summary>
    public (float Scale, float Offset) Affine(int channel)
    {
        var (mean, std) = Channel(channel);
        return (1f / (255f * std), -mean / std);
    }

    public override string ToString() => $"mean ({string.Join(", ", Mean)}), std ({string.Join(", ", Std)})";
}
