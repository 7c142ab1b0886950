using JepaSharp.Eval.Optimization;
using Xunit;

namespace JepaSharp.Tests.Eval;

public class LbfgsTests
{
    private static readonly LbfgsSettings Tight = new(MaxIterations: 1000, GradientTolerance: 1e-9, FunctionTolerance: 0, HistorySize: 10);

    /// <summary>The extended Rosenbrock function Σ 100(x₂ᵢ − x₂ᵢ₋₁²)² + (1 − x₂ᵢ₋₁)², minimum 0 at (1, …, 1).</summary>
    private sealed class Rosenbrock(int n) : IDifferentiableFunction
    {
        public int ParameterCount => n;
        public int Evaluations { get; private set; }

        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
        {
            Evaluations++;
            double f = 0;
            for (int i = 0; i < n; i += 2)
            {
                double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
                f += 100 * a * a + b * b;
                gradient[i] = -400 * a * x[i] - 2 * b;
                gradient[i + 1] = 200 * a;
            }
            return f;
        }
    }

    /// <summary>½ Σ cᵢ (xᵢ − i)² with curvatures from 1 to 1e4: ill-conditioned but exactly solvable.</summary>
    private sealed class Quadratic(int n) : IDifferentiableFunction
    {
        public int ParameterCount => n;

        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
        {
            double f = 0;
            for (int i = 0; i < n; i++)
            {
                double curvature = Math.Pow(1e4, i / (n - 1.0)), r = x[i] - i;
                f += 0.5 * curvature * r * r;
                gradient[i] = curvature * r;
            }
            return f;
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(20)]
    public void FindsTheRosenbrockMinimum(int n)
    {
        var x = new double[n];
        for (int i = 0; i < n; i += 2) (x[i], x[i + 1]) = (-1.2, 1.0);
        var function = new Rosenbrock(n);
        var result = Lbfgs.Minimize(function, x, Tight);

        Assert.Equal(LbfgsStop.GradientTolerance, result.Stop);
        Assert.All(x, v => Assert.Equal(1.0, v, 1e-7));
        Assert.True(result.Iterations < 200, $"{result.Iterations} iterations");
        Assert.Equal(function.Evaluations, result.Evaluations);
    }

    [Fact]
    public void SolvesAnIllConditionedQuadratic()
    {
        var x = new double[50];
        // Geometrically spread curvatures are hard for a 10-pair memory: MathNet's L-BFGS needs 1133 iterations here.
        var result = Lbfgs.Minimize(new Quadratic(50), x, Tight with { MaxIterations = 5000 });
        Assert.True(result.Converged, result.ToString());
        Assert.True(result.Iterations < 1200, result.ToString());
        for (int i = 0; i < x.Length; i++) Assert.Equal(i, x[i], 1e-8);
        Assert.True(result.Value < 1e-14, $"f = {result.Value}");
    }

    [Fact]
    public void StopsAtTheIterationLimitWithTheBestPointSoFar()
    {
        var x = new[] { -1.2, 1.0 };
        var result = Lbfgs.Minimize(new Rosenbrock(2), x, Tight with { MaxIterations = 3 });
        Assert.Equal(LbfgsStop.MaxIterations, result.Stop);
        Assert.False(result.Converged);
        Assert.Equal(3, result.Iterations);
        var gradient = new double[2];
        Assert.Equal(new Rosenbrock(2).Evaluate(x, gradient), result.Value);
        Assert.True(result.Value < 24.2, $"f = {result.Value} did not fall from f(x0) = 24.2");
    }

    [Fact]
    public void ReturnsAtOnceAtAStationaryStart()
    {
        var x = new[] { 1.0, 1.0 };
        var result = Lbfgs.Minimize(new Rosenbrock(2), x, Tight);
        Assert.Equal(LbfgsStop.GradientTolerance, result.Stop);
        Assert.Equal(0, result.Iterations);
        Assert.Equal(1, result.Evaluations);
    }
}
