namespace JepaSharp.Eval;

/// <summary>How the linear probe is regularised, validated and optimised.</summary>
public sealed record LinearProbeOptions
{
    /// <summary>The L2 strengths λ tried on the validation split (any order, duplicates ignored).</summary>
    public IReadOnlyList<double> Lambdas { get; init; } = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>The share of every class held out to choose λ.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    public int MaxIterations { get; init; } = 1000;

    /// <summary>Stop when max |∂f/∂θ| of the mean objective falls to this (SciPy's L-BFGS-B default).</summary>
    public double GradientTolerance { get; init; } = 1e-5;

    /// <summary>Stop when an iteration lowers the objective by less than this, relative to max(|f|, 1).</summary>
    public double FunctionTolerance { get; init; } = 1e-9;

    /// <summary>How many correction pairs L-BFGS keeps.</summary>
    public int HistorySize { get; init; } = 10;

    public void Validate()
    {
        if (Lambdas is null || Lambdas.Count == 0) throw new ArgumentException("the linear probe needs at least one λ to try", nameof(Lambdas));
        foreach (double lambda in Lambdas)
            if (!(lambda > 0) || double.IsInfinity(lambda))
                throw new ArgumentOutOfRangeException(nameof(Lambdas), lambda, "every λ must be finite and > 0 (λ = 0 has no minimum on separable data)");
        if (!(ValidationFraction > 0 && ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "the validation fraction must lie in (0, 1)");
        if (MaxIterations < 1) throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "the probe needs at least one L-BFGS iteration");
        if (!(GradientTolerance >= 0) || double.IsInfinity(GradientTolerance))
            throw new ArgumentOutOfRangeException(nameof(GradientTolerance), GradientTolerance, "the gradient tolerance must be finite and >= 0");
        if (!(FunctionTolerance >= 0) || double.IsInfinity(FunctionTolerance))
            throw new ArgumentOutOfRangeException(nameof(FunctionTolerance), FunctionTolerance, "the function tolerance must be finite and >= 0");
        if (HistorySize < 1) throw new ArgumentOutOfRangeException(nameof(HistorySize), HistorySize, "L-BFGS needs at least one stored correction pair");
    }
}

/// <summary>The weighted k-NN protocol of InstDisc/DINO: cosine similarity, k = 20, votes weighted by exp(sim / T), T = 0.07.</summary>
public sealed record KnnOptions
{
    public int K { get; init; } = 20;
    public double Temperature { get; init; } = 0.07;

    public void Validate()
    {
        if (K < 1) throw new ArgumentOutOfRangeException(nameof(K), K, "k-NN needs k >= 1");
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "the k-NN temperature must be finite and > 0");
    }
}

/// <summary>Linear probes on class-balanced fractions of the training labels.</summary>
public sealed record LowShotOptions
{
    /// <summary>Label fractions; each class contributes floor(fraction · its count), at least one example.</summary>
    public IReadOnlyList<double> Fractions { get; init; } = [0.01, 0.1];

    /// <summary>Independent subsets per fraction; the report gives mean ± sample std over them.</summary>
    public int Draws { get; init; } = 3;

    /// <summary>
    /// A class needs this many examples in the subset before λ is chosen on the subset's own held-out part;
    /// below it a 10 % hold-out would leave classes with no validation example, and <see cref="FallbackLambda"/> is used.
    /// </summary>
    public int MinPerClassForValidation { get; init; } = 10;

    /// <summary>λ for subsets too small to validate on: strong, because a handful of labels per class overfits easily.</summary>
    public double FallbackLambda { get; init; } = 1e-2;

    public void Validate()
    {
        if (Fractions is null || Fractions.Count == 0) throw new ArgumentException("low-shot evaluation needs at least one fraction", nameof(Fractions));
        foreach (double fraction in Fractions)
            if (!(fraction > 0 && fraction <= 1))
                throw new ArgumentOutOfRangeException(nameof(Fractions), fraction, "every low-shot fraction must lie in (0, 1]");
        if (Draws < 1) throw new ArgumentOutOfRangeException(nameof(Draws), Draws, "low-shot evaluation needs at least one draw");
        if (MinPerClassForValidation < 2)
            throw new ArgumentOutOfRangeException(nameof(MinPerClassForValidation), MinPerClassForValidation, "validation needs at least 2 examples per class (one to fit, one to hold out)");
        if (!(FallbackLambda > 0) || double.IsInfinity(FallbackLambda))
            throw new ArgumentOutOfRangeException(nameof(FallbackLambda), FallbackLambda, "the fallback λ must be finite and > 0");
    }
}

/// <summary>Everything <see cref="Evaluator.Run"/> needs besides the features.</summary>
public sealed record EvaluationOptions
{
    public LinearProbeOptions Probe { get; init; } = new();
    public KnnOptions Knn { get; init; } = new();
    public LowShotOptions LowShot { get; init; } = new();

    /// <summary>Seeds the validation split and, through derived seeds, every low-shot draw.</summary>
    public int Seed { get; init; }

    public void Validate()
    {
        if (Probe is null) throw new ArgumentNullException(nameof(Probe), "the evaluation options need linear-probe options");
        if (Knn is null) throw new ArgumentNullException(nameof(Knn), "the evaluation options need k-NN options");
        if (LowShot is null) throw new ArgumentNullException(nameof(LowShot), "the evaluation options need low-shot options");
        Probe.Validate();
        Knn.Validate();
        LowShot.Validate();
    }
}
