namespace JepaSharp.Data.Transforms;

/// <summary>
/// A small counter-based random stream (SplitMix64) whose start is a hash of (seed, epoch, index).
/// Each sample gets its own stream, so its augmentation does not depend on which thread built
/// it or in what order; the epoch shuffle uses a separate stream of the same seed.
/// </summary>
public struct SampleRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private const ulong SampleDomain = 0x5A3C_71E4_0B2D_9F86UL;
    private const ulong ShuffleDomain = 0xC13F_A9A9_02E5_B4D1UL;

    private ulong _state;

    private SampleRandom(ulong state) => _state = state;

    /// <summary>The stream for augmenting dataset item <paramref name="index"/> in <paramref name="epoch"/>.</summary>
    public static SampleRandom ForSample(long seed, int epoch, int index) => new(Start(seed, SampleDomain, epoch, index));

    /// <summary>The stream that shuffles the dataset order of <paramref name="epoch"/>.</summary>
    public static SampleRandom ForShuffle(long seed, int epoch) => new(Start(seed, ShuffleDomain, epoch, 0));

    private static ulong Start(long seed, ulong domain, long a, long b)
    {
        ulong h = Mix((ulong)seed ^ domain);
        h = Mix(h + (ulong)a * Golden);
        return Mix(h + (ulong)b * 0xD1B54A32D192ED03UL);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64() => Mix(_state += Golden);

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [low, high).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, exclusiveMax), without modulo bias (Lemire's method).</summary>
    public int NextInt(int exclusiveMax)
    {
        if (exclusiveMax <= 0) throw new ArgumentOutOfRangeException(nameof(exclusiveMax), exclusiveMax, "the range must be non-empty");
        ulong range = (ulong)exclusiveMax;
        ulong product = Math.BigMul(NextUInt64(), range, out ulong low);
        if (low < range)
        {
            ulong threshold = (0 - range) % range;
            while (low < threshold) product = Math.BigMul(NextUInt64(), range, out low);
        }
        return (int)product;
    }

    /// <summary>Fisher–Yates shuffle of <paramref name="items"/>.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
