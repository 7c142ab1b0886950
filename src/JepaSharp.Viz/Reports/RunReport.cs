using System.Globalization;
using System.Net;
using System.Text;
using JepaSharp.Eval;
using JepaSharp.Viz.Training;

namespace JepaSharp.Viz.Reports;

/// <summary>
/// The report of a run directory as ONE self-contained HTML file: the run summary, the training-dynamics charts
/// (redrawn from the logs into <c>viz/</c> each time), the evaluation of the final checkpoint beside its
/// baselines (<c>eval.json</c>), and every figure recorded in <c>viz/figures.json</c>, grouped by section. SVG
/// is inlined and raster images become data: URIs, so the page has no external references; written atomically.
/// </summary>
public static class RunReport
{
    public const string FileName = "report.html";
    public const string EvaluationFile = "eval.json";
    public const string FiguresFolder = "viz";

    /// <summary>Sections in reading order; sections not listed here follow, alphabetically.</summary>
    private static readonly string[] SectionOrder = ["Masking", "Attention", "Representations", "Embeddings", "Predictions"];

    public static string Write(string runDir)
    {
        var log = TrainingLog.Load(runDir);
        string vizDir = Path.Combine(runDir, FiguresFolder);
        TrainingPlots.Render(log, vizDir);
        var manifest = FigureManifest.Open(vizDir);
        string evalPath = Path.Combine(runDir, EvaluationFile);
        var evaluation = File.Exists(evalPath) ? CheckpointEvaluationResult.FromJson(File.ReadAllText(evalPath)) : null;
        string configPath = Path.Combine(runDir, "config.yaml");
        string html = Html(runDir, log, manifest, evaluation, File.Exists(configPath) ? File.ReadAllText(configPath) : null);
        string path = Path.Combine(runDir, FileName);
        FigureFiles.WriteText(path, html);
        return path;
    }

    private static string Html(string runDir, TrainingLog log, FigureManifest manifest, CheckpointEvaluationResult? evaluation, string? config)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>JepaSharp run report</title><style>")
            .Append("body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1040px;margin:24px auto;padding:0 12px;color:#222}")
            .Append("table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}")
            .Append("th:first-child,td:first-child{text-align:left}pre{background:#f6f6f6;padding:10px;overflow:auto;font-size:12px}")
            .Append("figure{margin:18px 0 28px}figure svg,figure img{max-width:100%;height:auto;display:block}figure img{image-rendering:pixelated}")
            .Append("figcaption{color:#444;font-size:14px;margin-top:4px}figcaption b{color:#222}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:36px}")
            .Append("nav a{margin-right:14px}.missing{color:#b00}</style></head><body>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>I-JEPA run: {Encode(Path.GetFileName(Path.GetFullPath(runDir)))}</h1>");

        var sections = manifest.Figures.GroupBy(f => f.Section)
            .OrderBy(g => g.Key == TrainingPlots.Section ? -1 : Array.IndexOf(SectionOrder, g.Key) is var i && i >= 0 ? i : SectionOrder.Length)
            .ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        html.Append("<nav>");
        foreach (var section in sections.Select(s => s.Key).Prepend("Summary").Append("Evaluation")) html.Append(CultureInfo.InvariantCulture, $"<a href=\"#{Anchor(section)}\">{Encode(section)}</a>");
        html.Append("</nav>");

        Summary(html, runDir, log);
        foreach (var section in sections)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"{Anchor(section.Key)}\">{Encode(section.Key)}</h2>");
            foreach (var figure in section) AppendFigure(html, manifest.Folder, figure);
            if (section.Key == TrainingPlots.Section) Evaluation(html, evaluation);
        }
        if (sections.All(s => s.Key != TrainingPlots.Section)) Evaluation(html, evaluation);
        if (config is not null) html.Append("<h2>Config</h2><pre>").Append(Encode(config)).Append("</pre>");
        return html.Append("</body></html>").ToString();
    }

    private static void Summary(StringBuilder html, string runDir, TrainingLog log)
    {
        var steps = log.Steps;
        var last = steps[^1];
        double Last(string field) => last.Fields.ContainsKey(field) ? last.GetDouble(field) : double.NaN;
        var rates = steps.Where(m => m.Fields.ContainsKey("img_per_s")).Select(m => m.GetDouble("img_per_s")).Where(v => double.IsFinite(v) && v > 0).ToList();
        html.Append("<h2 id=\"summary\">Summary</h2><table>");
        void Row(string name, string value) => html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Encode(name)}</td><td>{Encode(value)}</td></tr>");
        Row("run directory", Path.GetFullPath(runDir));
        Row("logged steps", $"{steps.Count} (last step {last.Step})");
        if (last.Fields.ContainsKey("epoch")) Row("epochs", Last("epoch").ToString("0", CultureInfo.InvariantCulture));
        Row("final loss", Last("loss").ToString("F5", CultureInfo.InvariantCulture));
        if (rates.Count > 0) Row("throughput", $"{rates.Average():F0} images/s on average");
        if (last.Fields.ContainsKey("elapsed_s")) Row("training time (last session)", $"{Last("elapsed_s") / 60:F1} minutes");
        html.Append("</table>");
    }

    private static void Evaluation(StringBuilder html, CheckpointEvaluationResult? evaluation)
    {
        html.Append("<h2 id=\"evaluation\">Evaluation</h2>");
        if (evaluation is null)
        {
            html.Append("<p>No evaluation yet: run <code>jepa eval --checkpoint RUN --baseline raw --baseline random --output RUN/eval.json</code>.</p>");
            return;
        }
        html.Append(CultureInfo.InvariantCulture, $"<p>{Encode(evaluation.Dataset)}, {evaluation.Encoder} encoder, step {evaluation.Step}.</p>");
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

    /// <summary>A figure inline: SVG as markup, PNG/GIF/JPEG as a data: URI; a missing or unsupported file becomes a visible note, not a broken page.</summary>
    private static void AppendFigure(StringBuilder html, string folder, Figure figure)
    {
        html.Append("<figure>");
        string path = Path.GetFullPath(Path.Combine(folder, figure.File));
        string root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        string extension = Path.GetExtension(figure.File).ToLowerInvariant();
        string? mime = extension switch { ".png" => "image/png", ".gif" => "image/gif", ".jpg" or ".jpeg" => "image/jpeg", _ => null };
        if (!path.StartsWith(root, StringComparison.Ordinal))
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"missing\">{Encode(figure.File)} lies outside {Encode(folder)}; not embedded.</p>");
        else if (!File.Exists(path))
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"missing\">{Encode(figure.File)} is listed in {FigureManifest.FileName} but missing.</p>");
        else if (extension == ".svg")
            html.Append(InlineSvg(File.ReadAllText(path), path));
        else if (mime != null)
            html.Append(CultureInfo.InvariantCulture, $"<img alt=\"{Encode(figure.Title)}\" src=\"data:{mime};base64,{Convert.ToBase64String(File.ReadAllBytes(path))}\">");
        else
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"missing\">{Encode(figure.File)}: {Encode(extension)} files cannot be embedded.</p>");
        html.Append(CultureInfo.InvariantCulture, $"<figcaption><b>{Encode(figure.Title)}.</b> {Encode(figure.Caption)}</figcaption></figure>");
    }

    /// <summary>The &lt;svg&gt; element of an SVG file, without the XML declaration or doctype that are not allowed inside HTML.</summary>
    private static string InlineSvg(string text, string path)
    {
        int start = text.IndexOf("<svg", StringComparison.Ordinal);
        if (start < 0) throw new InvalidDataException($"'{path}' is not an SVG file (no <svg> element)");
        return text[start..];
    }

    private static string Anchor(string section) => new([.. section.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-')]);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
