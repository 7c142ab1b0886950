using JepaSharp.Eval;
using JepaSharp.Jepa.Logging;
using JepaSharp.Tests.Data;
using JepaSharp.Tests.Support;
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
}
