using JepaSharp.Viz.Charts;

namespace JepaSharp.Viz.Training;

/// <summary>The training-dynamics charts of a run, drawn from its logs: loss, schedules, gradient norms, evaluations during training.</summary>
public static class TrainingPlots
{
    public const string Section = "Training";

    /// <summary>Writes every chart the logs have data for into <paramref name="outDir"/> and records it in the folder's manifest.</summary>
    public static IReadOnlyList<Figure> Render(TrainingLog log, string outDir)
    {
        var figures = new List<Figure>();
        void Add(string file, string svg, string title, string caption) => figures.Add(FigureFiles.Save(outDir, new Figure(file, title, caption, Section), svg));

        var loss = TrainingLog.Curve(log.Steps, "loss");
        double beta = SmoothingWeight(loss.Count);
        var finiteLoss = loss.Where(p => double.IsFinite(p.Y) && p.Y > 0).Select(p => p.Y).ToList();
        bool logLoss = finiteLoss.Count > 0 && finiteLoss.Max() / finiteLoss.Min() > 20;
        Add("training-loss.svg", LineChart.Render(new ChartOptions("Training loss", "step", "loss") { YScale = logLoss ? AxisScale.Log : AxisScale.Linear },
            [new Series("raw", loss, "#a6c8e4") { Width = 1 }, new Series($"smoothed (EMA β = {beta:0.###})", TrainingLog.Smooth(loss, beta), "#1f77b4") { Width = 2 }]),
            "Training loss", $"The I-JEPA regression loss of every step (faint) and its bias-corrected exponential moving average (β = {beta:0.###}){(logLoss ? ", log scale" : "")}.");

        var schedules = new[] { ("lr", "learning rate", "#2ca02c"), ("wd", "weight decay", "#9467bd"), ("momentum", "EMA momentum", "#ff7f0e") }
            .Where(s => log.Has(s.Item1))
            .Select(s => LineChart.Render(new ChartOptions(s.Item2, "step") { Width = 330, Height = 250 }, [new Series("", TrainingLog.Curve(log.Steps, s.Item1), s.Item3)]))
            .ToList();
        if (schedules.Count > 0)
            Add("training-schedules.svg", ChartGrid.Compose(schedules, 3, 330, 250), "Schedules",
                "Learning rate (linear warm-up, then cosine decay), weight decay (cosine increase) and the target encoder's EMA momentum (linear increase), per step.");

        if (log.Has("grad_norm"))
        {
            var norm = TrainingLog.Curve(log.Steps, "grad_norm");
            Add("training-grad-norm.svg", LineChart.Render(new ChartOptions("Gradient norm", "step", "‖g‖ (log scale)") { YScale = AxisScale.Log },
                [new Series("raw", norm, "#d4bcb6") { Width = 1 }, new Series("smoothed", TrainingLog.Smooth(norm, beta), "#8c564b") { Width = 2 }]),
                "Gradient norm", "Global L2 norm of the context encoder's and predictor's gradients before clipping, per step.");
        }

        var groups = log.GradientGroups();
        if (groups.Count > 0)
        {
            var series = groups.Select((g, i) => new Series(g, TrainingLog.Curve(log.Steps, TrainingLog.GradientPrefix + g), Palette.Color(i))).ToList();
            Add("training-gradient-flow.svg", LineChart.Render(new ChartOptions("Gradient flow: gradient norm per layer", "step", "‖g‖ (log scale)") { YScale = AxisScale.Log, Width = 900, Height = 420 }, series),
                "Gradient flow", "L2 norm of each layer group's gradient over training; vanishing or exploding layers show as curves drifting away from the rest.");
        }

        if (log.Evals.Count > 0)
        {
            var accuracy = new[] { ("linear_probe", "linear probe", "#1f77b4"), ("knn", "k-NN", "#ff7f0e") }
                .Where(a => log.Evals.Any(e => e.Fields.ContainsKey(a.Item1)))
                .Select(a => new Series(a.Item2, TrainingLog.Curve(log.Evals, a.Item1, 100), a.Item3) { Width = 2 }).ToList();
            if (accuracy.Count > 0)
                Add("training-eval-accuracy.svg", LineChart.Render(new ChartOptions("Probe accuracy during training", "step", "held-out accuracy (%)"), accuracy),
                    "Probe accuracy over checkpoints", "Linear-probe and k-NN accuracy of the frozen target encoder at each evaluation during training, fitted and scored on disjoint parts of a training-split slice (evals.jsonl; the test split is never used to pick checkpoints).");
            if (log.Evals.Any(e => e.Fields.ContainsKey("rankme")))
                Add("training-eval-rank.svg", LineChart.Render(new ChartOptions("Effective rank during training", "step", "RankMe"),
                    [new Series("RankMe", TrainingLog.Curve(log.Evals, "rankme"), "#2ca02c") { Width = 2 }]),
                    "Effective rank over checkpoints", "RankMe (exp of the entropy of the normalised singular values of the features) at each evaluation; a falling rank warns of collapse.");
        }
        return figures;
    }

    /// <summary>Heavier smoothing for longer runs: about 1/40 of the run is averaged.</summary>
    private static double SmoothingWeight(int points) => Math.Round(1 - 1.0 / Math.Max(1, points / 40.0), 3);
}
