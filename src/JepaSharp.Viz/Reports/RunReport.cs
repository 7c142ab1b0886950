using System.Globalization;
using System.Net;
using System.Text;
using JepaSharp.Eval;
using JepaSharp.Jepa.Logging;
using JepaSharp.Viz.Charts;

namespace JepaSharp.Viz.Reports;

/// <summary>
/// The report of a run directory: training curves from metrics.jsonl and, when present, the
/// evaluation (eval.json) of the final checkpoint beside its baselines, as one self-contained
/// HTML file (inline SVG, no external assets), written atomically.
/// </summary>
public static class RunReport
{
    public const string FileName = "report.html";
    public const string EvaluationFile = "eval.json";

    public static string Write(string runDir)
    {
        var metrics = MetricsLog.Read(Path.Combine(runDir, MetricsLog.FileName));
        if (metrics.Count == 0) throw new InvalidDataException($"'{Path.Combine(runDir, MetricsLog.FileName)}' has no training steps to report");
        string evalPath = Path.Combine(runDir, EvaluationFile);
        var evaluation = File.Exists(evalPath) ? CheckpointEvaluationResult.FromJson(File.ReadAllText(evalPath)) : null;
        string configPath = Path.Combine(runDir, "config.yaml");
        string html = Html(runDir, metrics, evaluation, File.Exists(configPath) ? File.ReadAllText(configPath) : null);
        string path = Path.Combine(runDir, FileName);
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, html);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private static string Html(string runDir, IReadOnlyList<MetricsRecord> metrics, CheckpointEvaluationResult? evaluation, string? config)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>JepaSharp run report</title><style>")
            .Append("body{font-family:sans-serif;max-width:980px;margin:24px auto;color:#222}table{border-collapse:collapse;margin:12px 0}")
            .Append("td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th:first-child,td:first-child{text-align:left}")
            .Append("pre{background:#f6f6f6;padding:10px;overflow:auto;font-size:12px}</style></head><body>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>I-JEPA run: {Encode(Path.GetFullPath(runDir))}</h1>");

        var last = metrics[^1];
        html.Append(CultureInfo.InvariantCulture, $"<p>{metrics.Count} logged steps, last step {last.Step}, final loss {last.GetDouble("loss"):F5}, ")
            .Append(CultureInfo.InvariantCulture, $"{Mean(metrics, "img_per_s"):F0} images/s on average, {last.GetDouble("elapsed_s") / 60:F1} minutes in the last session.</p>");

        html.Append(SvgLineChart.Render("Training loss", "step", "loss", [Curve("loss", metrics, "loss", "#1f77b4"), Smoothed("loss (moving average)", metrics, "loss", "#d62728")]));
        html.Append(SvgLineChart.Render("Schedules", "step", "value", [Curve("learning rate ×1000", metrics, "lr", "#2ca02c", 1000), Curve("weight decay", metrics, "wd", "#9467bd"), Curve("EMA momentum", metrics, "momentum", "#ff7f0e")]));
        if (metrics.Any(m => m.Fields.ContainsKey("grad_norm")))
            html.Append(SvgLineChart.Render("Gradient norm", "step", "‖g‖", [Curve("gradient norm", metrics, "grad_norm", "#8c564b")], logY: true));

        if (evaluation is null)
        {
            html.Append("<p>No evaluation yet: run <code>jepa eval --checkpoint RUN --baseline raw --baseline random --output RUN/eval.json</code>.</p>");
        }
        else
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>Evaluation on {Encode(evaluation.Dataset)} ({evaluation.Encoder} encoder, step {evaluation.Step})</h2>");
            html.Append("<table><tr><th>features</th><th>dim</th><th>linear probe</th><th>k-NN weighted</th><th>k-NN vote</th><th>1 % labels</th><th>10 % labels</th><th>RankMe</th><th>top PC share</th><th>mean dim std</th></tr>");
            foreach (var (name, r) in evaluation.Results)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Encode(name)}</td><td>{r.FeatureDimension}</td><td>{100 * r.LinearProbe.TestAccuracy:F2} %</td>")
                    .Append(CultureInfo.InvariantCulture, $"<td>{100 * r.Knn.WeightedAccuracy:F2} %</td><td>{100 * r.Knn.MajorityAccuracy:F2} %</td>");
                foreach (double fraction in new[] { 0.01, 0.1 })
                {
                    var l = r.LowShot.FirstOrDefault(x => Math.Abs(x.Fraction - fraction) < 1e-9);
                    html.Append(l is null ? "<td>-</td>" : string.Create(CultureInfo.InvariantCulture, $"<td>{100 * l.MeanAccuracy:F1} ± {100 * l.StdAccuracy:F1} %</td>"));
                }
                html.Append(CultureInfo.InvariantCulture, $"<td>{r.Collapse.RankMe:F1}</td><td>{100 * r.Collapse.TopComponentVarianceFraction:F1} %</td><td>{r.Collapse.MeanDimensionStd:F4}</td></tr>");
            }
            html.Append("</table><p>Linear probe: multinomial logistic regression on standardized features, L2 strength chosen on a held-out 10 % of the training split. ")
                .Append("k-NN: cosine similarity, k = 20, temperature 0.07 (weighted) or plain majority. Low-shot: class-balanced 1 % / 10 % label subsets, mean ± std over 3 draws. ")
                .Append("RankMe: effective rank of the features (exp of the entropy of the normalised singular values).</p>");
        }
        if (config is not null) html.Append("<h2>Config</h2><pre>").Append(Encode(config)).Append("</pre>");
        return html.Append("</body></html>").ToString();
    }

    private static Series Curve(string name, IReadOnlyList<MetricsRecord> metrics, string field, string color, double scale = 1)
        => new(name, metrics.Where(m => m.Fields.ContainsKey(field)).Select(m => ((double)m.Step!.Value, scale * m.GetDouble(field))).ToList(), color);

    private static Series Smoothed(string name, IReadOnlyList<MetricsRecord> metrics, string field, string color, int window = 50)
    {
        var raw = Curve(name, metrics, field, color).Points;
        var smooth = new List<(double, double)>(raw.Count);
        double sum = 0;
        for (int i = 0; i < raw.Count; i++)
        {
            sum += raw[i].Y;
            if (i >= window) sum -= raw[i - window].Y;
            smooth.Add((raw[i].X, sum / Math.Min(i + 1, window)));
        }
        return new Series(name, smooth, color);
    }

    private static double Mean(IReadOnlyList<MetricsRecord> metrics, string field)
    {
        var values = metrics.Where(m => m.Fields.ContainsKey(field)).Select(m => m.GetDouble(field)).Where(double.IsFinite).ToList();
        return values.Count == 0 ? double.NaN : values.Average();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
