namespace JepaSharp.Eval;

/// <summary>
/// Seeded per-class sampling. Every class's indices are shuffled (Fisher–Yates, one <see cref="Random"/> seeded with the
/// given seed, classes in label order) and a prefix is taken, so for one seed a smaller fraction always yields a subset
/// of a larger one. Returned indices are ascending.
/// </summary>
internal static class StratifiedSampling
{
    /// <summary>
    /// Splits every class into a held-out part of round(fraction · count) examples — at least one and at most count − 1,
    /// so a class of one example stays entirely in the fitting part — and the rest.
    /// </summary>
    public static (int[] Fit, int[] Holdout) Holdout(int[] labels, int classCount, double fraction, int seed)
    {
        var shuffled = ShuffledByClass(labels, classCount, seed);
        var fit = new List<int>();
        var holdout = new List<int>();
        foreach (var members in shuffled)
        {
            int held = members.Length < 2 ? 0 : Math.Clamp((int)Math.Floor(fraction * members.Length + 0.5), 1, members.Length - 1);
            holdout.AddRange(members.AsSpan(0, held));
            fit.AddRange(members.AsSpan(held));
        }
        return (Sorted(fit), Sorted(holdout));
    }

    /// <summary>floor(fraction · count) examples of every class, at least one of every class present.</summary>
    public static int[] BalancedSubset(int[] labels, int classCount, double fraction, int seed)
    {
        var subset = new List<int>();
        foreach (var members in ShuffledByClass(labels, classCount, seed))
        {
            if (members.Length == 0) continue;
            int take = Math.Clamp((int)Math.Floor(fraction * members.Length), 1, members.Length);
            subset.AddRange(members.AsSpan(0, take));
        }
        return Sorted(subset);
    }

    /// <summary>A seed for stream <paramref name="stream"/> of <paramref name="baseSeed"/> (SplitMix64 finaliser), so draws are uncorrelated.</summary>
    public static int DeriveSeed(int baseSeed, int stream)
    {
        ulong z = ((ulong)(uint)baseSeed << 32 | (uint)stream) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }

    private static int[][] ShuffledByClass(int[] labels, int classCount, int seed)
    {
        var counts = new int[classCount];
        foreach (int label in labels) counts[label]++;
        var members = new int[classCount][];
        for (int c = 0; c < classCount; c++) members[c] = new int[counts[c]];
        var filled = new int[classCount];
        for (int i = 0; i < labels.Length; i++) members[labels[i]][filled[labels[i]]++] = i;
        var random = new Random(seed);
        foreach (var list in members)
            for (int i = list.Length - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (list[i], list[j]) = (list[j], list[i]);
            }
        return members;
    }

    private static int[] Sorted(List<int> indices)
    {
        var array = indices.ToArray();
        Array.Sort(array);
        return array;
    }
}
