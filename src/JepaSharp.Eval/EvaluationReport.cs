using System.Text.Json;

namespace JepaSharp.Eval;

/// <summary>Wall-clock seconds of every stage of <see cref="Evaluator.Run"/>.</summary>
public sealed record EvaluationTimings(
    double StandardizeSeconds,
    double LinearProbeSeconds,
    double KnnSeconds,
    double LowShotSeconds,
    double CollapseSeconds,
    double TotalSeconds);

/// <summary>
/// Every figure of one evaluation of frozen features. Accuracies are fractions in [0, 1]. <see cref="ToJson"/> writes
/// snake_case property names derived from these C# names (pinned by a test, since the HTML report reads them).
/// </summary>
public sealed record EvaluationReport(
    int FeatureDimension,
    int TrainCount,
    int TestCount,
    int ClassCount,
    int Seed,
    LinearProbeResult LinearProbe,
    KnnResult Knn,
    IReadOnlyList<LowShotResult> LowShot,
    CollapseMetrics Collapse,
    EvaluationTimings Timings)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static EvaluationReport FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize<EvaluationReport>(json, JsonOptions)
               ?? throw new JsonException("the evaluation report JSON is null");
    }
}
