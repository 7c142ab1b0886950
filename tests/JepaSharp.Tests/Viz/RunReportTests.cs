using JepaSharp.Eval;
using JepaSharp.Jepa.Logging;
using JepaSharp.Tests.Data;
using JepaSharp.Tests.Support;
using JepaSharp.Data.Images;
using JepaSharp.Viz;
using JepaSharp.Viz.Charts;
using JepaSharp.Viz.Reports;
using Xunit;

namespace JepaSharp.Tests.Viz;

public class RunReportTests
{
    [Fact]
    public void ReportShowsTheCurvesAndEveryEvaluatedFeatureSet()
    {
        using var run = new TempFolder();
        using (var log = new MetricsLog(run.Path))
            for (int step = 1; step <= 30; step++)
                log.Append(step, ("loss", 0.4 / step), ("lr", 1e-4), ("wd", 0.04), ("momentum", 0.99), ("img_per_s", 350.0), ("grad_norm", 0.2), ("elapsed_s", step * 0.3));
        // eval.json of the real fmnist-small run (jepa run, 2026-11-22).
        File.Copy(Fixtures.Path("eval_fmnist_small.json"), Path.Combine(run.Path, RunReport.EvaluationFile));

        string html = File.ReadAllText(RunReport.Write(run.Path));

        foreach (var title in new[] { "Training loss", "Schedules", "Gradient norm" }) Assert.Contains($"<b>{title}.</b>", html);
        foreach (var row in new[] { "pretrained", "random_init", "raw_pixels", "84.22 %", "85.69 %" }) Assert.Contains(row, html);
        Assert.Contains("last step 30", html);
        Assert.Empty(Directory.GetFiles(run.Path, "*.tmp-*"));
    }

    [Fact]
    public void EvaluationJsonRoundTrips()
    {
        var result = CheckpointEvaluationResult.FromJson(File.ReadAllText(Fixtures.Path("eval_fmnist_small.json")));
        Assert.Equal(0.8422, result.Results["pretrained"].LinearProbe.TestAccuracy, 4);
        Assert.Equal(result.ToJson(), CheckpointEvaluationResult.FromJson(result.ToJson()).ToJson());
    }

    [Fact]
    public void ReportWithoutStepsNamesTheFile()
    {
        using var run = new TempFolder();
        File.WriteAllText(Path.Combine(run.Path, MetricsLog.FileName), "");
        var e = Assert.Throws<InvalidDataException>(() => RunReport.Write(run.Path));
        Assert.Contains(MetricsLog.FileName, e.Message);
    }

    [Fact]
    public void ReportIsOneSelfContainedFileWithEveryManifestFigure()
    {
        using var run = new TempFolder();
        PlotFigureTests.WriteLogs(run.Path, 40);
        string viz = Path.Combine(run.Path, RunReport.FiguresFolder);
        Directory.CreateDirectory(Path.Combine(viz, "attention"));
        byte[] png = Png.Encode([0, 255, 128, 64], 2, 2, 1);
        File.WriteAllBytes(Path.Combine(viz, "attention", "heads.png"), png);
        File.WriteAllText(Path.Combine(viz, "bars.svg"), "<?xml version=\"1.0\"?>\n" + BarChart.Render(new ChartOptions("bars"), ["a"], [new BarSeries("s", [1], "#000")]));
        var manifest = FigureManifest.Open(viz);
        manifest.Add(new Figure("attention/heads.png", "Attention heads", "All heads of block 3 & more.", "Attention"));
        manifest.Add(new Figure("bars.svg", "Bars", "A chart from another tool.", "Custom"));
        manifest.Add(new Figure("gone.svg", "Gone", "Deleted after it was recorded.", "Custom"));
        manifest.Add(new Figure("../outside.svg", "Outside", "Points out of the folder.", "Custom"));
        File.WriteAllText(Path.Combine(run.Path, "outside.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>secret</text></svg>");

        string path = RunReport.Write(run.Path);

        Assert.Equal([RunReport.FileName], Directory.GetFiles(run.Path, "*.html").Select(Path.GetFileName));
        string html = File.ReadAllText(path);
        foreach (var figure in FigureManifest.Open(viz).Figures) Assert.Contains($"<b>{System.Net.WebUtility.HtmlEncode(figure.Title)}.</b>", html);
        Assert.Contains($"src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"", html);
        Assert.Contains("All heads of block 3 &amp; more.", html);
        Assert.DoesNotContain("<?xml", html);
        Assert.Contains("gone.svg is listed in figures.json but missing", html);
        Assert.DoesNotContain("secret", html);
        // No external references: every src is a data: URI, every href an in-page anchor, no stylesheets or scripts to fetch.
        foreach (var attribute in new[] { "src=\"", "href=\"" })
            for (int at = html.IndexOf(attribute, StringComparison.Ordinal); at >= 0; at = html.IndexOf(attribute, at + 1, StringComparison.Ordinal))
                Assert.True(html.AsSpan(at + attribute.Length).StartsWith(attribute == "src=\"" ? "data:" : "#"), html.Substring(at, 40));
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("url(", html);
        // Sections: training first, then the known sections in reading order, then the others.
        Assert.True(html.IndexOf("id=\"training\"", StringComparison.Ordinal) < html.IndexOf("id=\"evaluation\"", StringComparison.Ordinal));
        Assert.True(html.IndexOf("id=\"attention\"", StringComparison.Ordinal) < html.IndexOf("id=\"custom\"", StringComparison.Ordinal));
    }
}
