using System.Xml.Linq;
using JepaSharp.Data.Datasets;
using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Tensors;
using JepaSharp.Data.Transforms;
using JepaSharp.Eval;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Logging;
using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Training;
using JepaSharp.Tests.Data;
using JepaSharp.Viz;
using JepaSharp.Viz.Masking;
using JepaSharp.Viz.Reports;
using JepaSharp.Viz.Training;
using Xunit;

namespace JepaSharp.Tests.Viz;

/// <summary>28×28 grey images: a bright 8×8 square whose place depends on the class, over seeded noise.</summary>
internal sealed class SquaresDataset(int count) : ImageDataset
{
    public override string Name => "squares";
    public override int Count => count;
    public override int Channels => 1;
    public override int Height => 28;
    public override int Width => 28;
    public override IReadOnlyList<string> ClassNames => ["top left", "top right", "bottom left", "bottom right"];
    public override int Label(int index) => index % 4;

    protected override void ReadValidated(int index, Span<byte> hwc)
    {
        var random = new Random(index);
        int label = Label(index), top = label / 2 * 14 + 3, left = label % 2 * 14 + 3;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                hwc[y * 28 + x] = (byte)(random.Next(40) + (y >= top && y < top + 8 && x >= left && x < left + 8 ? 200 : 0));
    }
}

public class PlotFigureTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>fmnist-small's recipe with a model small enough to run in milliseconds.</summary>
    internal static TrainConfig TinyConfig()
    {
        var config = ConfigLoader.Load("fmnist-small");
        config.ApplyOverrides([
            ("meta.enc_embed_dim", "32"), ("meta.enc_depth", "2"), ("meta.enc_heads", "2"),
            ("meta.pred_emb_dim", "16"), ("meta.pred_depth", "1"), ("meta.pred_num_heads", "2"),
        ]);
        return config;
    }

    /// <summary>A run directory in the trainer's log schema: per-layer gradient norms every 10th step, evaluations every 20.</summary>
    internal static void WriteLogs(string runDir, int steps, bool layerNorms = true, bool evals = true)
    {
        using (var log = new MetricsLog(runDir))
            for (int step = 1; step <= steps; step++)
            {
                var fields = new List<(string, MetricValue)>
                {
                    ("epoch", 1 + step / 20), ("loss", 0.5 / Math.Sqrt(step)), ("lr", 1e-4 * Math.Min(1, step / 10.0)), ("wd", 0.04 + 0.001 * step),
                    ("momentum", 0.99 + 1e-4 * step), ("img_per_s", 300.0), ("grad_norm", step == 7 ? double.NaN : 0.3), ("keep_context", 18), ("keep_target", 6), ("elapsed_s", 0.5 * step),
                };
                if (layerNorms && step % 10 == 0)
                    foreach (var group in new[] { "encoder.patch_embed", "encoder.blocks.0", "encoder.blocks.1", "predictor.predictor_proj" })
                        fields.Add(($"grad_norm/{group}", 0.01 * (1 + group.Length % 5)));
                log.Append(step, [.. fields]);
            }
        if (evals)
            File.WriteAllLines(Path.Combine(runDir, TrainingLog.EvalsFile), Enumerable.Range(1, steps / 20).Select(i =>
                $"{{\"step\":{20 * i},\"epoch\":{i},\"encoder\":\"target\",\"linear_probe\":{0.5 + 0.05 * i},\"knn\":{0.45 + 0.05 * i},\"rankme\":{10 + i},\"top_pc_fraction\":0.2,\"mean_std\":0.05}}"));
    }

    [Fact]
    public void LandscapeAtTheOriginIsTheCheckpointsLossAndTheWeightsAreRestored()
    {
        var config = TinyConfig();
        using var model = TrainedModel.RandomInit(config);
        var dataset = new SquaresDataset(40);
        var before = model.Model.EncoderParameters.Values.AsSpan().ToArray();
        var options = new LandscapeOptions { Resolution = 3, Span = 0.5, Batches = 2, BatchSize = 8, Seed = 1 };

        var landscape = LossLandscape.Compute(model, dataset, options);

        // The checkpoint's loss, computed directly: the same images through the evaluation pipeline, the run's masks for batches 0 and 1.
        var transform = FeatureExtractor.EvalPipeline(model).Bind(1, 28, 28);
        var sampler = ModelFactory.CreateMasks(config);
        var bytes = new byte[28 * 28];
        var random = SampleRandom.ForSample(0, 0, 0);
        double expected = 0;
        using var graph = new Graph();
        for (int b = 0; b < 2; b++)
        {
            var images = new float[8 * transform.OutputFloats];
            for (int i = 0; i < 8; i++)
            {
                dataset.ReadBytes(b * 8 + i, bytes);
                transform.Apply(bytes, images.AsSpan(i * transform.OutputFloats, transform.OutputFloats), ref random);
            }
            var masks = sampler.Sample(8, b);
            graph.Reset();
            using (graph.NoGrad())
                expected += model.Model.Loss(graph.Input(images, new Shape(8, 1, 28, 28)), masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred,
                    ModelFactory.Loss(config), (float)config.Optimization.SmoothL1Beta, (float)config.Optimization.TargetNormEps).Span[0] / 2;
        }
        Assert.Equal([-0.5, 0, 0.5], landscape.Alphas);
        Assert.Equal(expected, landscape.At(1, 1), 1e-9);
        Assert.True(landscape.Loss.Cast<double>().Max() - landscape.Loss.Cast<double>().Min() > 1e-4, "the directions did not move the loss");
        Assert.Equal(before, model.Model.EncoderParameters.Values.AsSpan().ToArray());
        Assert.Equal(landscape.Loss, LossLandscape.Compute(model, dataset, options).Loss);
    }

    [Fact]
    public void RenderAllWritesEveryFigureAndTheReportEmbedsThemAll()
    {
        using var run = new TempFolder();
        WriteLogs(run.Path, 60);
        using var model = TrainedModel.RandomInit(TinyConfig());
        string outDir = Path.Combine(run.Path, RunReport.FiguresFolder);

        var figures = PlotFigures.RenderAll(run.Path, model, new SquaresDataset(80), outDir, new PlotFigureOptions
        {
            Count = 60, MaskBatches = 4, Landscape = new LandscapeOptions { Resolution = 3, BatchSize = 8 },
        });

        string[] expected =
        [
            "training-loss.svg", "training-schedules.svg", "training-grad-norm.svg", "training-gradient-flow.svg", "training-eval-accuracy.svg", "training-eval-rank.svg",
            "mask-block-sizes.svg", "mask-ratios.svg", "mask-coverage.svg", "embedding-health.svg", "embedding-pca.svg", "embedding-tsne.svg", "embedding-umap.svg",
            "training-loss-landscape.svg",
        ];
        Assert.Equal(expected, figures.Select(f => f.File));
        Assert.Equal(expected, FigureManifest.Open(outDir).Figures.Select(f => f.File));
        foreach (var file in expected) Assert.Equal(Svg + "svg", XDocument.Load(Path.Combine(outDir, file)).Root!.Name);
        var flow = XDocument.Load(Path.Combine(outDir, "training-gradient-flow.svg"));
        foreach (var group in new[] { "encoder.patch_embed", "encoder.blocks.1", "predictor.predictor_proj" })
            Assert.Contains(flow.Descendants(Svg + "text"), t => t.Value == group);
        var tsne = XDocument.Load(Path.Combine(outDir, "embedding-tsne.svg"));
        Assert.Equal(60, tsne.Descendants(Svg + "circle").Count(c => c.Attribute("fill-opacity") != null));
        Assert.Contains(tsne.Descendants(Svg + "text"), t => t.Value == "bottom right");

        string html = File.ReadAllText(RunReport.Write(run.Path));
        foreach (var figure in FigureManifest.Open(outDir).Figures) Assert.Contains($"<b>{System.Net.WebUtility.HtmlEncode(figure.Title)}.</b>", html);
        Assert.Equal(expected.Length, html.Split("<figure>").Length - 1);
    }

    [Fact]
    public void TrainingPlotsLeaveOutWhatTheLogsLack()
    {
        using var run = new TempFolder();
        WriteLogs(run.Path, 30, layerNorms: false, evals: false);
        var figures = TrainingPlots.Render(TrainingLog.Load(run.Path), run.File("viz"));
        Assert.Equal(["training-loss.svg", "training-schedules.svg", "training-grad-norm.svg"], figures.Select(f => f.File));

        File.WriteAllText(Path.Combine(run.Path, TrainingLog.EvalsFile), "{\"step\":10,\"linear_probe\":0.5}\nnot json\n");
        var e = Assert.Throws<InvalidDataException>(() => TrainingLog.Load(run.Path));
        Assert.Contains(TrainingLog.EvalsFile, e.Message);
        Assert.Contains("line 2", e.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => TrainingLog.Load(run.File("nowhere")));
        Assert.Contains(MetricsLog.FileName, missing.Message);
    }

    [Fact]
    public void SmoothingIsBiasCorrectedAndSkipsNonFiniteValues()
    {
        var smooth = TrainingLog.Smooth([(1, 2), (2, double.NaN), (3, 4)], 0.5);
        // s₁ = 0.5·2 = 1, corrected 1/0.5 = 2; s₃ = 0.5·1 + 0.5·4 = 2.5, corrected 2.5/0.75.
        Assert.Equal([(1.0, 2.0), (3.0, 2.5 / 0.75)], smooth);
    }

    [Fact]
    public void MaskStatisticsShowBothSamplersOrSayWhyOneCannotRun()
    {
        using var folder = new TempFolder();
        var figures = MaskStatisticsPlots.Render(new MaskOptions(7, 7) { NumPredMasks = 2, MinKeep = 4 }, 32, 10, 0, folder.Path);
        Assert.Equal(3, figures.Count);
        var coverage = XDocument.Load(Path.Combine(folder.Path, "mask-coverage.svg"));
        Assert.Contains(coverage.Descendants(Svg + "text"), t => t.Value == "P(context), faithful");

        // On a 4×4 grid the faithful size clamp shrinks whole-grid blocks to 3×3 = 9 patches, which MinKeep 10 rejects.
        var options = new MaskOptions(4, 4) { EncMaskScale = (1, 1), PredMaskScale = (0.9, 1), AspectRatio = (1, 1), MinKeep = 10, NumPredMasks = 1, AllowOverlap = true };
        var onlyFixed = MaskStatisticsPlots.Render(options, 8, 3, 0, folder.Path);
        Assert.Contains("faithful sampler cannot run", onlyFixed[0].Caption);
        Assert.DoesNotContain(XDocument.Load(Path.Combine(folder.Path, "mask-coverage.svg")).Descendants(Svg + "text"), t => t.Value.Contains("faithful"));
    }
}
