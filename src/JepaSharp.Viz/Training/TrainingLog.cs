using JepaSharp.Jepa.Logging;

namespace JepaSharp.Viz.Training;

/// <summary>
/// The logs of a run directory: <c>metrics.jsonl</c> (one record per step, per-layer gradient norms as
/// <c>grad_norm/&lt;group&gt;</c> on some steps) and, when present, <c>evals.jsonl</c> (one record per evaluation
/// during training). Fields a run did not log are simply absent from the curves.
/// </summary>
public sealed class TrainingLog
{
    public const string EvalsFile = "evals.jsonl";
    public const string GradientPrefix = "grad_norm/";

    private TrainingLog(string runDir, IReadOnlyList<MetricsRecord> steps, IReadOnlyList<MetricsRecord> evals)
    {
        RunDirectory = runDir;
        Steps = steps;
        Evals = evals;
    }

    public string RunDirectory { get; }
    public IReadOnlyList<MetricsRecord> Steps { get; }
    public IReadOnlyList<MetricsRecord> Evals { get; }

    public static TrainingLog Load(string runDir)
    {
        string metrics = Path.Combine(runDir, MetricsLog.FileName);
        if (!File.Exists(metrics)) throw new FileNotFoundException($"'{runDir}' has no {MetricsLog.FileName}: not a training run directory", metrics);
        var steps = MetricsLog.Read(metrics);
        if (steps.Count == 0) throw new InvalidDataException($"'{metrics}' has no training steps to plot");
        string evals = Path.Combine(runDir, EvalsFile);
        return new TrainingLog(runDir, steps, File.Exists(evals) ? MetricsLog.Read(evals) : []);
    }

    /// <summary>(step, value) of every record that has the field, in file order; values may be non-finite.</summary>
    public static List<(double X, double Y)> Curve(IReadOnlyList<MetricsRecord> records, string field, double scale = 1) =>
        [.. records.Where(r => r.Step is not null && r.Fields.ContainsKey(field)).Select(r => ((double)r.Step!.Value, scale * r.GetDouble(field)))];

    public bool Has(string field) => Steps.Any(r => r.Fields.ContainsKey(field));

    /// <summary>The layer groups with logged gradient norms, in the order they first appear.</summary>
    public IReadOnlyList<string> GradientGroups() =>
        [.. Steps.SelectMany(r => r.Fields.Keys).Where(k => k.StartsWith(GradientPrefix, StringComparison.Ordinal)).Distinct().Select(k => k[GradientPrefix.Length..])];

    /// <summary>
    /// Exponential moving average with bias correction (TensorBoard's smoothing): s_t = β s_{t−1} + (1 − β) y_t,
    /// shown as s_t / (1 − β^t) so the start is not pulled towards zero. Non-finite values are passed over.
    /// </summary>
    public static List<(double X, double Y)> Smooth(IReadOnlyList<(double X, double Y)> points, double beta)
    {
        if (!(beta >= 0 && beta < 1)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "smoothing weight must be in [0, 1)");
        var smooth = new List<(double, double)>(points.Count);
        double state = 0, weight = 0;
        foreach (var (x, y) in points)
        {
            if (!double.IsFinite(y)) continue;
            state = beta * state + (1 - beta) * y;
            weight = beta * weight + (1 - beta);
            smooth.Add((x, state / weight));
        }
        return smooth;
    }
}
