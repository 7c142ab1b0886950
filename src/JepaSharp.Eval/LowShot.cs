namespace JepaSharp.Eval;

/// <summary>One low-shot draw: the subset it trained on, the λ it used and its test accuracy.</summary>
public sealed record LowShotDraw(int Seed, int SampleCount, double Lambda, bool FallbackLambda, int Iterations, double TestAccuracy);

/// <summary>Low-shot linear-probe accuracy at one label fraction: mean ± sample std (n − 1) over the draws.</summary>
public sealed record LowShotResult(double Fraction, double MeanAccuracy, double StdAccuracy, IReadOnlyList<LowShotDraw> Draws);

/// <summary>
/// Linear probes trained on class-balanced fractions of the training labels (each class contributes
/// floor(fraction · its count) examples, at least one), several seeded draws per fraction.
/// λ is chosen as in <see cref="LinearProbe.Run"/> on a stratified hold-out (the probe's validation fraction) of the subset itself — no labels outside
/// the subset are used — unless a class has fewer than <see cref="LowShotOptions.MinPerClassForValidation"/> examples in
/// the subset, in which case <see cref="LowShotOptions.FallbackLambda"/> is used and the draw says so.
/// Draw r of every fraction uses the seed <see cref="DrawSeed"/>(baseSeed, r), so the 1 % subset of a draw lies inside
/// its 10 % subset and results for different fractions are paired.
/// </summary>
public static class LowShot
{
    /// <summary>The seed of draw <paramref name="draw"/> derived from <paramref name="baseSeed"/>.</summary>
    public static int DrawSeed(int baseSeed, int draw) => StratifiedSampling.DeriveSeed(baseSeed, draw);

    /// <summary>The ascending training indices of the class-balanced subset for <paramref name="fraction"/> and <paramref name="seed"/>.</summary>
    public static int[] DrawSubset(FeatureSet train, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "a low-shot fraction must lie in (0, 1]");
        return StratifiedSampling.BalancedSubset(train.Labels, train.ClassCount, fraction, seed);
    }

    /// <summary>Trains and tests the probe on <see cref="LowShotOptions.Draws"/> subsets of <paramref name="train"/> at <paramref name="fraction"/>.</summary>
    public static LowShotResult Run(FeatureSet train, FeatureSet test, double fraction, LowShotOptions options, LinearProbeOptions probe, int baseSeed,
        Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(probe);
        options.Validate();
        probe.Validate();
        LinearProbe.CheckCompatible(train, test);
        var draws = new LowShotDraw[options.Draws];
        for (int r = 0; r < options.Draws; r++)
        {
            int seed = DrawSeed(baseSeed, r);
            var subset = train.Subset(DrawSubset(train, fraction, seed));
            int smallestClass = subset.ClassCounts().Where(count => count > 0).Min();
            LowShotDraw draw;
            if (smallestClass >= options.MinPerClassForValidation)
            {
                // The validation split gets its own stream so it is not the prefix the subset itself was drawn from.
                var result = LinearProbe.Run(subset, test, probe, StratifiedSampling.DeriveSeed(seed, 1));
                draw = new LowShotDraw(seed, subset.Count, result.Lambda, false, result.Iterations, result.TestAccuracy);
            }
            else
            {
                var fit = LinearProbe.Train(subset, options.FallbackLambda, probe);
                draw = new LowShotDraw(seed, subset.Count, options.FallbackLambda, true, fit.Iterations, fit.Classifier.Accuracy(test));
            }
            draws[r] = draw;
            progress?.Invoke($"low-shot {fraction:P0} draw {r + 1}/{options.Draws}: {draw.SampleCount} examples, λ = {draw.Lambda:g3}" +
                             $"{(draw.FallbackLambda ? " (fixed: subset too small to validate)" : "")}, test accuracy {draw.TestAccuracy:P2}");
        }
        var accuracies = draws.Select(d => d.TestAccuracy).ToArray();
        double mean = accuracies.Average();
        double std = accuracies.Length < 2 ? 0 : Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Length - 1));
        return new LowShotResult(fraction, mean, std, draws);
    }
}
