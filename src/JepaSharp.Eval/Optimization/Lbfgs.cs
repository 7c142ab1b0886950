namespace JepaSharp.Eval.Optimization;

/// <summary>A smooth function of a parameter vector that returns its value and writes its gradient.</summary>
internal interface IDifferentiableFunction
{
    int ParameterCount { get; }

    /// <summary>Returns f(<paramref name="x"/>) and writes ∇f(<paramref name="x"/>) to <paramref name="gradient"/>.</summary>
    double Evaluate(ReadOnlySpan<double> x, Span<double> gradient);
}

internal enum LbfgsStop
{
    /// <summary>max |∂f/∂xᵢ| fell to the gradient tolerance.</summary>
    GradientTolerance,
    /// <summary>An iteration lowered f by less than the function tolerance, relative to |f|.</summary>
    FunctionTolerance,
    /// <summary>The line search found no lower value along a descent direction: f is flat to its own precision there.</summary>
    LineSearchStalled,
    MaxIterations,
}

internal sealed record LbfgsSettings(int MaxIterations, double GradientTolerance, double FunctionTolerance, int HistorySize)
{
    public void Validate()
    {
        if (MaxIterations < 1) throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "L-BFGS needs at least one iteration");
        if (!(GradientTolerance >= 0) || double.IsInfinity(GradientTolerance))
            throw new ArgumentOutOfRangeException(nameof(GradientTolerance), GradientTolerance, "the gradient tolerance must be finite and >= 0");
        if (!(FunctionTolerance >= 0) || double.IsInfinity(FunctionTolerance))
            throw new ArgumentOutOfRangeException(nameof(FunctionTolerance), FunctionTolerance, "the function tolerance must be finite and >= 0");
        if (HistorySize < 1) throw new ArgumentOutOfRangeException(nameof(HistorySize), HistorySize, "L-BFGS needs at least one stored correction pair");
    }
}

internal readonly record struct LbfgsResult(double Value, int Iterations, int Evaluations, LbfgsStop Stop)
{
    public bool Converged => Stop != LbfgsStop.MaxIterations;
}

/// <summary>
/// Limited-memory BFGS (Nocedal &amp; Wright, Numerical Optimization, 2nd ed., Alg. 7.4 two-loop recursion) with the
/// strong-Wolfe line search of their Alg. 3.5/3.6 (bracketing, then zoom by safeguarded cubic interpolation).
/// <para>
/// Written here instead of using MathNet.Numerics' <c>LimitedMemoryBfgsMinimizer</c> because the probe objective is
/// computed in float: near the optimum its value is only good to ~1e-7 relative, so line searches eventually cannot
/// find a lower value. MathNet throws in that case (and on reaching its iteration limit), which would turn a
/// converged probe into a failure; this version stops and keeps the best point, reporting why it stopped. It also
/// bisects less (cubic zoom, unit first trial step), which matters when every evaluation is a pass over 60k rows.
/// </para>
/// </summary>
internal static class Lbfgs
{
    private const double SufficientDecrease = 1e-4; // c1
    private const double Curvature = 0.9;           // c2: the usual quasi-Newton choice, loose enough that step 1 mostly passes
    private const int MaxLineSearchEvaluations = 20;
    private const double BracketGrowth = 3.0;

    /// <summary>Minimises <paramref name="function"/> starting from <paramref name="x"/>, which is overwritten with the best point found.</summary>
    public static LbfgsResult Minimize(IDifferentiableFunction function, double[] x, LbfgsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(x);
        settings.Validate();
        int n = function.ParameterCount;
        if (x.Length != n) throw new ArgumentException($"the starting point has {x.Length} values, the function takes {n}", nameof(x));

        var point = (double[])x.Clone();
        var gradient = new double[n];
        var trialPoint = new double[n];
        var trialGradient = new double[n];
        var direction = new double[n];
        var lineSearch = new LineSearch(n);
        int m = settings.HistorySize;
        var steps = new double[m][];
        var gradientChanges = new double[m][];
        var inverseCurvatures = new double[m];
        var alphas = new double[m];
        for (int i = 0; i < m; i++)
        {
            steps[i] = new double[n];
            gradientChanges[i] = new double[n];
        }
        int stored = 0, newest = -1;

        double value = function.Evaluate(point, gradient);
        CheckFinite(value, gradient, "the starting point");
        int evaluations = 1, iterations = 0;
        double gradientMax = MaxAbs(gradient);
        if (gradientMax <= settings.GradientTolerance)
            return Finish(LbfgsStop.GradientTolerance);

        while (iterations < settings.MaxIterations)
        {
            double initialStep = 1.0;
            if (stored == 0)
            {
                // Without curvature pairs the direction is −g, whose length says nothing about the step: start at unit length.
                for (int i = 0; i < n; i++) direction[i] = -gradient[i];
                initialStep = 1.0 / Math.Sqrt(Dot(gradient, gradient));
            }
            else
            {
                TwoLoopDirection(gradient, steps, gradientChanges, inverseCurvatures, alphas, stored, newest, direction);
            }
            double slope = Dot(direction, gradient);
            if (!(slope < 0))
            {
                // Rounding can cost the quasi-Newton direction its descent property; restart from steepest descent.
                stored = 0;
                for (int i = 0; i < n; i++) direction[i] = -gradient[i];
                slope = -Dot(gradient, gradient);
                initialStep = 1.0 / Math.Sqrt(-slope);
            }

            var (accepted, trialValue, used) = lineSearch.Search(function, point, value, slope, direction, initialStep, trialPoint, trialGradient);
            evaluations += used;
            if (!accepted)
            {
                if (stored == 0) return Finish(LbfgsStop.LineSearchStalled);
                // A poor quasi-Newton direction can stall the search too: retry from steepest descent before giving up.
                stored = 0;
                continue;
            }
            iterations++;

            newest = (newest + 1) % m;
            var s = steps[newest];
            var y = gradientChanges[newest];
            for (int i = 0; i < n; i++)
            {
                s[i] = trialPoint[i] - point[i];
                y[i] = trialGradient[i] - gradient[i];
            }
            double sy = Dot(s, y);
            if (sy > 1e-10 * Dot(y, y))
            {
                inverseCurvatures[newest] = 1.0 / sy;
                stored = Math.Min(stored + 1, m);
            }
            else
            {
                // The pair would make the inverse-Hessian model indefinite: drop it. It overwrote the oldest slot,
                // which is only part of the model when the history is full, so the model loses that pair too.
                newest = (newest - 1 + m) % m;
                stored = Math.Min(stored, m - 1);
            }

            double previousValue = value;
            (point, trialPoint) = (trialPoint, point);
            (gradient, trialGradient) = (trialGradient, gradient);
            value = trialValue;
            gradientMax = MaxAbs(gradient);
            if (gradientMax <= settings.GradientTolerance) return Finish(LbfgsStop.GradientTolerance);
            double scale = Math.Max(Math.Max(Math.Abs(previousValue), Math.Abs(value)), 1.0);
            if (previousValue - value <= settings.FunctionTolerance * scale) return Finish(LbfgsStop.FunctionTolerance);
        }
        return Finish(LbfgsStop.MaxIterations);

        LbfgsResult Finish(LbfgsStop stop)
        {
            Array.Copy(point, x, n);
            return new LbfgsResult(value, iterations, evaluations, stop);
        }
    }

    /// <summary>direction = −H·g with H the L-BFGS inverse-Hessian model of the stored pairs, scaled by sᵀy/yᵀy of the newest.</summary>
    private static void TwoLoopDirection(double[] gradient, double[][] steps, double[][] gradientChanges, double[] inverseCurvatures,
        double[] alphas, int stored, int newest, double[] direction)
    {
        int m = steps.Length, n = gradient.Length;
        Array.Copy(gradient, direction, n);
        for (int back = 0; back < stored; back++)
        {
            int k = (newest - back + m) % m;
            double alpha = inverseCurvatures[k] * Dot(steps[k], direction);
            alphas[k] = alpha;
            Axpy(-alpha, gradientChanges[k], direction);
        }
        var yNewest = gradientChanges[newest];
        double gamma = 1.0 / (inverseCurvatures[newest] * Dot(yNewest, yNewest));
        for (int i = 0; i < n; i++) direction[i] *= gamma;
        for (int forward = stored - 1; forward >= 0; forward--)
        {
            int k = (newest - forward + m) % m;
            double beta = inverseCurvatures[k] * Dot(gradientChanges[k], direction);
            Axpy(alphas[k] - beta, steps[k], direction);
        }
        for (int i = 0; i < n; i++) direction[i] = -direction[i];
    }

    /// <summary>Strong-Wolfe line search; keeps copies of the best Armijo point so it can fall back to it.</summary>
    private sealed class LineSearch(int n)
    {
        private readonly double[] _bestPoint = new double[n];
        private readonly double[] _bestGradient = new double[n];

        /// <summary>
        /// Searches along <paramref name="direction"/> from <paramref name="start"/>. On acceptance the trial arrays hold
        /// the accepted point and its gradient. Returns whether a step was accepted, its value and the evaluations used.
        /// </summary>
        public (bool Accepted, double Value, int Evaluations) Search(IDifferentiableFunction function, double[] start, double startValue,
            double startSlope, double[] direction, double initialStep, double[] trialPoint, double[] trialGradient)
        {
            int evaluations = 0;
            // The low end of the bracket: the best point so far that satisfies sufficient decrease (step 0 = the start).
            double lowStep = 0, lowValue = startValue, lowSlope = startSlope;
            double highStep = double.NaN, highValue = double.NaN, highSlope = double.NaN;
            double step = initialStep;
            bool bracketed = false;

            while (evaluations < MaxLineSearchEvaluations)
            {
                if (bracketed)
                {
                    step = CubicMinimizer(lowStep, lowValue, lowSlope, highStep, highValue, highSlope);
                    double width = Math.Abs(highStep - lowStep);
                    double left = Math.Min(lowStep, highStep), right = Math.Max(lowStep, highStep);
                    // Keep the trial away from the ends so the bracket shrinks by at least 10 % per evaluation.
                    if (!double.IsFinite(step)) step = 0.5 * (lowStep + highStep);
                    step = Math.Clamp(step, left + 0.1 * width, right - 0.1 * width);
                    if (width <= 1e-12 * right) break;
                }

                double value = Probe(function, start, direction, step, trialPoint, trialGradient);
                evaluations++;
                double slope = Dot(trialGradient, direction);
                bool decreased = double.IsFinite(value) && value <= startValue + SufficientDecrease * step * startSlope && value < lowValue;
                if (!decreased)
                {
                    highStep = step;
                    highValue = double.IsFinite(value) ? value : double.MaxValue;
                    highSlope = double.IsFinite(slope) ? slope : 0;
                    bracketed = true;
                    continue;
                }
                if (Math.Abs(slope) <= -Curvature * startSlope) return (true, value, evaluations);
                if (bracketed ? slope * (highStep - lowStep) >= 0 : slope >= 0)
                {
                    // The minimum lies between the previous low end and this step: the old low end becomes the high end.
                    highStep = lowStep;
                    highValue = lowValue;
                    highSlope = lowSlope;
                    bracketed = true;
                }
                lowStep = step;
                lowValue = value;
                lowSlope = slope;
                Array.Copy(trialPoint, _bestPoint, n);
                Array.Copy(trialGradient, _bestGradient, n);
                if (!bracketed) step *= BracketGrowth;
            }

            if (lowStep == 0) return (false, startValue, evaluations);
            // Out of evaluations (or the bracket collapsed) with a point that lowers f but misses the curvature condition.
            Array.Copy(_bestPoint, trialPoint, n);
            Array.Copy(_bestGradient, trialGradient, n);
            return (true, lowValue, evaluations);
        }

        private static double Probe(IDifferentiableFunction function, double[] start, double[] direction, double step, double[] point, double[] gradient)
        {
            for (int i = 0; i < point.Length; i++) point[i] = start[i] + step * direction[i];
            return function.Evaluate(point, gradient);
        }
    }

    /// <summary>The minimiser of the cubic through (a, fa, fa′) and (b, fb, fb′) (Nocedal &amp; Wright eq. 3.59); NaN if it has none.</summary>
    private static double CubicMinimizer(double a, double fa, double da, double b, double fb, double db)
    {
        double d1 = da + db - 3 * (fa - fb) / (a - b);
        double discriminant = d1 * d1 - da * db;
        if (discriminant < 0) return double.NaN;
        double d2 = Math.Sign(b - a) * Math.Sqrt(discriminant);
        return b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
    }

    private static void CheckFinite(double value, double[] gradient, string where)
    {
        if (!double.IsFinite(value)) throw new ArithmeticException($"the objective is {value} at {where}");
        for (int i = 0; i < gradient.Length; i++)
            if (!double.IsFinite(gradient[i])) throw new ArithmeticException($"gradient component {i} is {gradient[i]} at {where}");
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static void Axpy(double alpha, double[] x, double[] y)
    {
        for (int i = 0; i < y.Length; i++) y[i] += alpha * x[i];
    }

    private static double MaxAbs(double[] a)
    {
        double max = 0;
        foreach (double v in a) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
