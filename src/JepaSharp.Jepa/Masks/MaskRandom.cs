using System.Numerics;

namespace JepaSharp.Jepa.Masks;

/// <summary>
/// xoshiro256** seeded through SplitMix64. Written out here rather than using System.Random so the
/// stream is fixed by this file alone: a resumed run on another .NET version must regenerate the
/// same masks.
/// </summary>
internal sealed class MaskRandom
{
    private ulong _s0, _s1, _s2, _s3;

    private MaskRandom(ulong seed)
    {
        _s0 = SplitMix64(ref seed);
        _s1 = SplitMix64(ref seed);
        _s2 = SplitMix64(ref seed);
        _s3 = SplitMix64(ref seed);
    }

    /// <summary>The stream for one batch; every input is mixed in so neighbouring batches are unrelated.</summary>
    public static MaskRandom ForBatch(long seed, long batchIndex, int batchSize)
    {
        ulong key = unchecked((ulong)seed);
        key = SplitMix64(ref key) ^ unchecked((ulong)batchIndex);
        key = SplitMix64(ref key) ^ (ulong)batchSize;
        return new MaskRandom(SplitMix64(ref key));
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int exclusiveMax)
    {
        // Multiply-high maps 64 random bits onto the range; the bias is below exclusiveMax / 2^64.
        return (int)Math.BigMul(NextUInt64(), (ulong)exclusiveMax, out _);
    }

    private ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
