using JepaSharp.Eval.Optimization;

namespace JepaSharp.Eval;

/// <summary>One L-BFGS fit of the probe at a fixed λ.</summary>
public sealed record LinearProbeFit(LinearClassifier Classifier, double Lambda, double Objective, int Iterations, bool Converged);

/// <summary>Validation accuracy of one λ of the grid (fitted on the training split minus the held-out part).</summary>
public sealed record LambdaValidation(double Lambda, double Accuracy, int Iterations, bool Converged);

/// <summary>The outcome of <see cref="LinearProbe.Run"/>: test accuracy of the refit at the chosen λ, and how λ was chosen.</summary>
public sealed record LinearProbeResult(
    double TestAccuracy,
    double Lambda,
    int Iterations,
    bool Converged,
    int FitCount,
    int ValidationCount,
    IReadOnlyList<LambdaValidation> Validation);

/// <summary>
/// Multinomial logistic regression on frozen features (softmax + cross-entropy, weights [C, D] and a bias, L2 penalty
/// λ·‖W‖²/2 on the weights only), trained to convergence with L-BFGS. Expects standardised features
/// (see <see cref="Standardizer"/>): λ and the tolerances are tuned for unit-scale inputs.
/// </summary>
public static class LinearProbe
{
    /// <summary>Fits the probe at one λ, starting from <paramref name="warmStart"/> when given (else from zero).</summary>
    public static LinearProbeFit Train(FeatureSet train, double lambda, LinearProbeOptions options, LinearClassifier? warmStart = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!(lambda > 0) || double.IsInfinity(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must be finite and > 0");
        if (train.ClassCount < 2) throw new ArgumentException("a linear probe needs at least two classes", nameof(train));
        int classes = train.ClassCount, dimension = train.Dimension, weightCount = classes * dimension;
        var parameters = new double[weightCount + classes];
        if (warmStart is not null)
        {
            if (warmStart.ClassCount != classes || warmStart.Dimension != dimension)
                throw new ArgumentException($"the warm start is a {warmStart.ClassCount}-class, {warmStart.Dimension}-dimensional classifier; the data need {classes} and {dimension}", nameof(warmStart));
            for (int i = 0; i < weightCount; i++) parameters[i] = warmStart.Weights[i];
            for (int c = 0; c < classes; c++) parameters[weightCount + c] = warmStart.Bias[c];
        }

        var objective = new SoftmaxRegressionObjective(train, lambda);
        var settings = new LbfgsSettings(options.MaxIterations, options.GradientTolerance, options.FunctionTolerance, options.HistorySize);
        var result = Lbfgs.Minimize(objective, parameters, settings);

        var weights = new float[weightCount];
        var bias = new float[classes];
        for (int i = 0; i < weightCount; i++) weights[i] = (float)parameters[i];
        for (int c = 0; c < classes; c++) bias[c] = (float)parameters[weightCount + c];
        return new LinearProbeFit(new LinearClassifier(classes, dimension, weights, bias), lambda, result.Value, result.Iterations, result.Converged);
    }

    /// <summary>
    /// Chooses λ from <see cref="LinearProbeOptions.Lambdas"/> by accuracy on a class-stratified hold-out of
    /// <paramref name="train"/> (seeded by <paramref name="seed"/>; equal accuracies go to the larger λ, the simpler
    /// model), refits on all of <paramref name="train"/> with that λ and reports the accuracy on <paramref name="test"/>.
    /// The grid runs from the largest λ down, each fit warm-started from the previous one, and the refit starts from the
    /// chosen λ's validation fit; every step is deterministic.
    /// </summary>
    public static LinearProbeResult Run(FeatureSet train, FeatureSet test, LinearProbeOptions options, int seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckCompatible(train, test);

        var (fitIndices, holdoutIndices) = StratifiedSampling.Holdout(train.Labels, train.ClassCount, options.ValidationFraction, seed);
        if (holdoutIndices.Length == 0)
            throw new ArgumentException($"no class of the training split has the 2 examples needed to hold one out for choosing λ ({train})", nameof(train));
        var fitPart = train.Subset(fitIndices);
        var holdoutPart = train.Subset(holdoutIndices);

        var lambdas = options.Lambdas.Distinct().OrderByDescending(l => l).ToArray();
        var validation = new LambdaValidation[lambdas.Length];
        LinearProbeFit? previous = null, best = null;
        double bestAccuracy = -1;
        for (int i = 0; i < lambdas.Length; i++)
        {
            var fit = Train(fitPart, lambdas[i], options, previous?.Classifier);
            double accuracy = fit.Classifier.Accuracy(holdoutPart);
            validation[i] = new LambdaValidation(lambdas[i], accuracy, fit.Iterations, fit.Converged);
            progress?.Invoke($"linear probe: λ = {lambdas[i]:g3}: validation accuracy {accuracy:P2} ({fit.Iterations} iterations{(fit.Converged ? "" : ", not converged")})");
            if (accuracy > bestAccuracy)
            {
                bestAccuracy = accuracy;
                best = fit;
            }
            previous = fit;
        }

        var final = Train(train, best!.Lambda, options, best.Classifier);
        double testAccuracy = final.Classifier.Accuracy(test);
        progress?.Invoke($"linear probe: refit at λ = {final.Lambda:g3} on {train.Count} examples: test accuracy {testAccuracy:P2} ({final.Iterations} iterations)");
        Array.Reverse(validation);
        return new LinearProbeResult(testAccuracy, final.Lambda, final.Iterations, final.Converged, fitIndices.Length, holdoutIndices.Length,
            validation);
    }

    internal static void CheckCompatible(FeatureSet train, FeatureSet test)
    {
        if (train.Dimension != test.Dimension)
            throw new ArgumentException($"train features are {train.Dimension}-dimensional, test features {test.Dimension}-dimensional");
        if (train.ClassCount != test.ClassCount)
            throw new ArgumentException($"train has {train.ClassCount} classes, test {test.ClassCount}");
    }
}
