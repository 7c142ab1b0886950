using JepaSharp.Engine.Autograd;
using JepaSharp.Nn;
using JepaSharp.Viz.Masking;
using JepaSharp.Viz.Raster;

namespace JepaSharp.Viz.Attention;

/// <summary>Where an encoder attends, drawn over the images it looked at.</summary>
public sealed class AttentionFigures
{
    private readonly ModelImages images;
    private readonly AttentionMaps trace;
    private readonly int gridW, gridH, scale;
    private readonly string encoderName;

    private AttentionFigures(ModelImages images, AttentionMaps trace, int gridW, int gridH, int scale, string encoderName)
    {
        this.images = images;
        this.trace = trace;
        this.gridW = gridW;
        this.gridH = gridH;
        this.scale = scale;
        this.encoderName = encoderName;
    }

    private int Blocks => trace.Probabilities.Count;

    /// <summary>Runs <paramref name="encoder"/> over all of <paramref name="images"/> once, keeping every block's attention.</summary>
    public static AttentionFigures Compute(VisionTransformer encoder, string encoderName, ModelImages images, int scale)
    {
        using var graph = new Graph();
        encoder.ForwardWithAttention(images.Input(graph, 0, images.Count), out var trace);
        return new AttentionFigures(images, trace, encoder.Shape.GridWidth, encoder.Shape.GridHeight, scale, encoderName);
    }

    private Canvas Overlay(int image, float[] map) => Heatmap.Overlay(images.Display(image, scale), map, gridW, gridH, Colormap.Magma, 0, map.Max());

    private float[] ReceivedMap(int block, int image, int head = -1) => AttentionAnalysis.Received(AttentionAnalysis.Matrix(trace, block, image, head), trace.Tokens);

    private static string[] LayerNames(int blocks) => Enumerable.Range(1, blocks).Select(b => $"L{b}").ToArray();

    /// <summary>Attention received per layer (rows) and head (columns, then the head mean) for one image.</summary>
    public Figure LayersAndHeads(FigureWriter writer, int image = 0)
    {
        var tiles = new List<Canvas?>();
        for (int b = 0; b < Blocks; b++)
        {
            for (int h = 0; h < trace.Heads; h++) tiles.Add(Overlay(image, ReceivedMap(b, image, h)));
            tiles.Add(Overlay(image, ReceivedMap(b, image)));
        }
        var columns = Enumerable.Range(1, trace.Heads).Select(h => $"HEAD {h}").Append("MEAN").ToArray();
        var grid = Montage.Grid(tiles, trace.Heads + 1, new MontageOptions
        {
            Title = $"ATTENTION RECEIVED, {encoderName.ToUpperInvariant()} ENCODER", ColumnLabels = columns, RowLabels = LayerNames(Blocks),
        });
        return writer.SavePng(grid, "attention_layers_heads.png", "Attention per layer and head",
            $"Image {images.Indices[image]}: the attention each patch receives, averaged over all query patches, for every layer (rows) and head (columns) of "
            + $"the {encoderName} encoder; the last column averages the heads. Magma, each tile scaled from 0 to its own maximum.", FigureWriter.Attention);
    }

    /// <summary>All heads of one layer side by side, one image a row.</summary>
    public Figure HeadsOfLayer(FigureWriter writer, int block)
    {
        var tiles = new List<Canvas?>();
        for (int i = 0; i < images.Count; i++)
        {
            tiles.Add(images.Display(i, scale));
            for (int h = 0; h < trace.Heads; h++) tiles.Add(Overlay(i, ReceivedMap(block, i, h)));
        }
        var grid = Montage.Grid(tiles, trace.Heads + 1, new MontageOptions
        {
            Title = $"ALL HEADS OF LAYER {block + 1}", ColumnLabels = ["IMAGE", .. Enumerable.Range(1, trace.Heads).Select(h => $"HEAD {h}")],
        });
        return writer.SavePng(grid, $"attention_layer{block + 1}_heads.png", $"All heads of layer {block + 1}",
            $"Attention received per patch (mean over queries) in each head of layer {block + 1} of {Blocks}, {encoderName} encoder, for {images.Count} images.",
            FigureWriter.Attention);
    }

    /// <summary>Attention rollout across all layers beside the last layer's head mean.</summary>
    public Figure Rollout(FigureWriter writer)
    {
        var tiles = new List<Canvas?>();
        for (int i = 0; i < images.Count; i++)
        {
            var means = Enumerable.Range(0, Blocks).Select(b => AttentionAnalysis.Matrix(trace, b, i)).ToList();
            var rollout = AttentionAnalysis.Rollout(means, trace.Tokens);
            tiles.Add(images.Display(i, scale));
            tiles.Add(Overlay(i, AttentionAnalysis.Received(rollout, trace.Tokens)));
            tiles.Add(Overlay(i, AttentionAnalysis.Received(means[^1], trace.Tokens)));
        }
        var grid = Montage.Grid(tiles, 3, new MontageOptions { Title = "ATTENTION ROLLOUT", ColumnLabels = ["IMAGE", "ROLLOUT", $"LAYER {Blocks} ONLY"] });
        return writer.SavePng(grid, "attention_rollout.png", "Attention rollout",
            $"Rollout through all {Blocks} layers of the {encoderName} encoder (head-averaged attention with the residual path, ½A + ½I, multiplied layer by "
            + "layer), shown as how much the output tokens draw from each input patch on average; beside it the last layer's attention alone.",
            FigureWriter.Attention);
    }

    /// <summary>Where one chosen patch looks, layer by layer (head mean).</summary>
    public Figure FromPatch(FigureWriter writer, int row, int column)
    {
        if ((uint)row >= (uint)gridH || (uint)column >= (uint)gridW)
            throw new ArgumentException($"patch ({row}, {column}) is outside the {gridH}x{gridW} patch grid");
        int query = row * gridW + column, cell = images.Size * scale / gridW;
        var tiles = new List<Canvas?>();
        for (int i = 0; i < images.Count; i++)
        {
            var image = images.Display(i, scale);
            image.StrokeRect(column * cell, row * cell, cell, cell, new Rgb(0, 220, 255), Math.Max(2, cell / 10));
            tiles.Add(image);
            for (int b = 0; b < Blocks; b++)
            {
                var tile = Overlay(i, AttentionAnalysis.FromQuery(AttentionAnalysis.Matrix(trace, b, i), trace.Tokens, query));
                tile.StrokeRect(column * cell, row * cell, cell, cell, new Rgb(0, 220, 255), Math.Max(2, cell / 10));
                tiles.Add(tile);
            }
        }
        var grid = Montage.Grid(tiles, Blocks + 1, new MontageOptions
        {
            Title = $"ATTENTION FROM PATCH ({row},{column})", ColumnLabels = ["QUERY", .. LayerNames(Blocks)],
        });
        return writer.SavePng(grid, "attention_from_patch.png", $"Attention from patch ({row}, {column})",
            $"The attention row of the patch at grid row {row}, column {column} (boxed), averaged over heads, in every layer of the {encoderName} encoder.",
            FigureWriter.Attention);
    }

    /// <summary>The first, middle and last layer side by side.</summary>
    public Figure EarlyMiddleLate(FigureWriter writer)
    {
        int[] blocks = [0, (Blocks - 1) / 2, Blocks - 1];
        var tiles = new List<Canvas?>();
        for (int i = 0; i < images.Count; i++)
        {
            tiles.Add(images.Display(i, scale));
            foreach (int b in blocks) tiles.Add(Overlay(i, ReceivedMap(b, i)));
        }
        var grid = Montage.Grid(tiles, 4, new MontageOptions
        {
            Title = "EARLY, MIDDLE AND LATE ATTENTION",
            ColumnLabels = ["IMAGE", $"EARLY L{blocks[0] + 1}", $"MIDDLE L{blocks[1] + 1}", $"LATE L{blocks[2] + 1}"],
        });
        return writer.SavePng(grid, "attention_early_middle_late.png", "Early, middle and late layers",
            $"Head-averaged attention received per patch in layers {blocks[0] + 1}, {blocks[1] + 1} and {blocks[2] + 1} of {Blocks} ({encoderName} encoder).",
            FigureWriter.Attention);
    }

    /// <summary>Mean attention entropy per layer and head, with the value in each cell.</summary>
    public Figure Entropy(FigureWriter writer)
    {
        var entropy = AttentionAnalysis.Entropy(trace);
        double uniform = Math.Log(trace.Tokens);
        const int cell = 72;
        var cells = entropy.Select(v => (Canvas?)Heatmap.Cell(v, Colormap.Viridis, 0, uniform, cell, "0.00", 2)).ToList();
        var grid = Montage.Grid(cells, trace.Heads, new MontageOptions
        {
            Padding = 2, ColumnLabels = Enumerable.Range(1, trace.Heads).Select(h => $"H{h}").ToArray(), RowLabels = LayerNames(Blocks),
        });
        var figure = Montage.Stacked([MaskFigures.TitleStrip("ATTENTION ENTROPY"),
            Montage.Beside([grid, Montage.Colorbar(Colormap.Viridis, 0, uniform, Blocks * cell, "0.0", label: "NATS")])]);
        return writer.SavePng(figure, "attention_entropy.png", "Attention entropy per layer and head",
            $"Mean entropy (nats) of the attention rows of each layer (rows) and head (columns) of the {encoderName} encoder over {images.Count} images. "
            + $"{uniform:0.00} = ln {trace.Tokens} is uniform attention over all patches; low values mean sharply focused heads.", FigureWriter.Attention);
    }
}
