using System.Globalization;
using JepaSharp.Jepa.Masks;
using JepaSharp.Viz.Charts;

namespace JepaSharp.Viz.Masking;

/// <summary>
/// Statistics of the multi-block mask sampler over many sampled batches, the fixed sampler beside the faithful
/// (official, with quirks Q1–Q4) one: block sizes and aspect ratios, context and target sizes before and after
/// the batch truncation, the context/target ratio, and how often each patch is context or target.
/// </summary>
public static class MaskStatisticsPlots
{
    public const string Section = "Masking";
    private const int PanelWidth = 500, PanelHeight = 290;
    private static readonly (MaskMode Mode, string Name, string Color)[] Modes = [(MaskMode.Fixed, "fixed", "#1f77b4"), (MaskMode.Faithful, "faithful", "#ff7f0e")];

    /// <summary>Samples <paramref name="batches"/> batches per mode and writes the three figures into <paramref name="outDir"/>.</summary>
    public static IReadOnlyList<Figure> Render(MaskOptions options, int batchSize, int batches, long seed, string outDir)
    {
        if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches), batches, "mask statistics need at least one batch");
        var samples = new List<(string Name, string Color, List<MaskBatch> Batches)>();
        var notes = new List<string>();
        foreach (var (mode, name, color) in Modes)
        {
            MultiBlockMaskCollator collator;
            try
            {
                collator = new MultiBlockMaskCollator(options with { Mode = mode }, seed);
            }
            catch (ArgumentException e)
            {
                // The faithful sampler's size clamp can make a config unusable; show the other mode and say why.
                notes.Add($"The {name} sampler cannot run these options: {e.Message}");
                continue;
            }
            samples.Add((name, color, [.. Enumerable.Range(0, batches).Select(b => collator.Sample(batchSize, b))]));
        }
        if (samples.Count == 0) throw new ArgumentException(string.Join(" ", notes));
        string setting = $"{batches} batches of {batchSize} on the {options.GridHeight}×{options.GridWidth} patch grid, {options.NumPredMasks} targets and {options.NumEncMasks} context per image"
            + (notes.Count > 0 ? ". " + string.Join(" ", notes) : "");
        string summary = string.Join("; ", samples.Select(s =>
        {
            var m = MaskStatistics.Summarize(s.Batches);
            return string.Create(CultureInfo.InvariantCulture, $"{s.Name}: {m.MeanKeepEnc:F1} context and {m.MeanKeepPred:F1} target patches kept per mask, {m.MeanContextBeforeTruncation:F1} context before truncation, ratio {m.ContextTargetRatio:F2}");
        }));

        var figures = new List<Figure>();
        void Add(string file, string svg, string title, string caption) => figures.Add(FigureFiles.Save(outDir, new Figure(file, title, caption, Section), svg));

        Add("mask-block-sizes.svg", ChartGrid.Compose(
            [
                Bars("Target block height", "patches", samples, s => s.TargetBlocks.Select(b => (double)b.Height)),
                Bars("Target block width", "patches", samples, s => s.TargetBlocks.Select(b => (double)b.Width)),
                Bars("Target aspect ratio (height / width)", "", samples, s => s.TargetBlocks.Select(b => Math.Round((double)b.Height / b.Width, 2))),
                Bars("Context block side", "patches", samples, s => s.ContextBlocks.Select(b => (double)b.Height)),
            ], 2, PanelWidth, PanelHeight),
            "Mask block sizes", $"Distribution of the sampled block sizes, fixed vs faithful sampler ({setting}). Faithful draws one size per batch and ties the aspect ratio to the scale (Q3).");

        Add("mask-ratios.svg", ChartGrid.Compose(
            [
                Histogram("Context patches per image (before truncation)", samples, s => s.ContextLengthsBeforeTruncation.Select(v => (double)v)),
                Histogram("Context patches kept per mask", samples, s => Enumerable.Repeat((double)s.KeepEnc, s.ContextBlocks.Length)),
                Histogram("Target patches kept per mask", samples, s => Enumerable.Repeat((double)s.KeepPred, s.TargetBlocks.Length)),
                Histogram("Context / target patches per image", samples, ContextTargetRatios, integerBins: false),
            ], 2, PanelWidth, PanelHeight),
            "Context and target sizes", $"Per image or mask, as fractions; truncation cuts every mask to the batch's smallest. {summary}.");

        var coverage = new List<string>();
        foreach (var (kind, count) in new[] { ("context", (Func<MaskBatch, int>)(b => b.NumEnc)), ("target", b => b.NumPred) })
        {
            var grids = samples.Select(s =>
            {
                var counts = kind == "context" ? MaskStatistics.ContextCoverage(s.Batches) : MaskStatistics.TargetCoverage(s.Batches);
                long masks = s.Batches.Sum(b => (long)b.BatchSize * count(b));
                var grid = new double[options.GridHeight, options.GridWidth];
                for (int p = 0; p < counts.Length; p++) grid[p / options.GridWidth, p % options.GridWidth] = (double)counts[p] / masks;
                return grid;
            }).ToList();
            // One colour scale per row of panels, so fixed and faithful compare by colour.
            double top = grids.Max(g => g.Cast<double>().Max());
            for (int i = 0; i < samples.Count; i++)
                coverage.Add(HeatmapChart.Render(new ChartOptions($"P({kind}), {samples[i].Name}", "patch column", "patch row") { Width = PanelWidth, Height = 340 }, grids[i],
                    new HeatmapOptions((-0.5, options.GridWidth - 0.5), (-0.5, options.GridHeight - 0.5)) { RowsTopDown = true, ColorLabel = "probability", ColorRange = (0, top) }));
        }
        Add("mask-coverage.svg", ChartGrid.Compose(coverage, samples.Count, PanelWidth, 340), "Patch coverage",
            $"How often each patch is kept as context (per context mask) and as target (per target mask); {setting}. The faithful sampler never places a block on the last row or column (Q1).");
        return figures;
    }

    private static string Bars(string title, string unit, List<(string Name, string Color, List<MaskBatch> Batches)> samples, Func<MaskBatch, IEnumerable<double>> values)
    {
        var perMode = samples.Select(s => s.Batches.SelectMany(values).ToList()).ToList();
        var categories = perMode.SelectMany(v => v).Distinct().Order().ToList();
        var series = samples.Select((s, i) => new BarSeries(s.Name,
            [.. categories.Select(c => perMode[i].Count(v => v == c) / (double)Math.Max(1, perMode[i].Count))], s.Color)).ToList();
        return BarChart.Render(new ChartOptions(title, unit, "fraction of blocks") { Width = PanelWidth, Height = PanelHeight },
            [.. categories.Select(c => c.ToString("0.##", CultureInfo.InvariantCulture))], series);
    }

    private static string Histogram(string title, List<(string Name, string Color, List<MaskBatch> Batches)> samples, Func<MaskBatch, IEnumerable<double>> values, bool integerBins = true)
    {
        var data = samples.Select(s => new Sample(s.Name, [.. s.Batches.SelectMany(values)], s.Color)).ToList();
        var all = data.SelectMany(d => d.Values).ToList();
        double min = all.Min(), max = all.Max();
        // Whole-number data gets one bin per value, centred on it.
        var range = integerBins ? (min - 0.5, max + 0.5) : (min, max);
        int bins = integerBins ? (int)Math.Min(60, max - min + 1) : 40;
        return HistogramChart.Render(new ChartOptions(title, "", "fraction") { Width = PanelWidth, Height = PanelHeight }, data, bins, normalize: true, range: range);
    }

    /// <summary>Per image: its context patches before truncation over the patches of its target blocks (overlaps counted twice).</summary>
    private static IEnumerable<double> ContextTargetRatios(MaskBatch batch)
    {
        for (int image = 0; image < batch.BatchSize; image++)
        {
            double context = 0, targets = 0;
            for (int m = 0; m < batch.NumEnc; m++) context += batch.ContextLengthsBeforeTruncation[m * batch.BatchSize + image];
            for (int m = 0; m < batch.NumPred; m++) targets += batch.TargetBlock(m, image).Area;
            yield return context / targets;
        }
    }
}
