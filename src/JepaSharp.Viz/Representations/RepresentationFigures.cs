using JepaSharp.Viz.Raster;

namespace JepaSharp.Viz.Representations;

/// <summary>Pictures of what the encoder's features encode: PCA colours of patch features and nearest-neighbour retrieval.</summary>
public static class RepresentationFigures
{
    private static Canvas PcaTile(EncodedImages encoded, PatchPca pca, int i, int gridW, int gridH, int scale)
        => pca.Colours(encoded.ImageTokens(i), gridW, gridH).Resized(encoded.Images.Size * scale, encoded.Images.Size * scale);

    /// <summary>Images <paramref name="shown"/> of <paramref name="encoded"/>: the image, its PCA colours, and each component alone.</summary>
    public static Figure PcaImages(FigureWriter writer, EncodedImages encoded, PatchPca pca, IReadOnlyList<int> shown, int gridW, int gridH, int scale, string fitDescription, string encoderName)
    {
        var tiles = new List<Canvas?>();
        foreach (int i in shown)
        {
            tiles.Add(encoded.Images.Display(i, scale));
            tiles.Add(PcaTile(encoded, pca, i, gridW, gridH, scale));
            for (int c = 0; c < PatchPca.Components; c++)
                tiles.Add(Canvas.FromValues(pca.Component(encoded.ImageTokens(i), gridW * gridH, c), gridW, gridH, Colormap.Viridis, 0, 1)
                    .Resized(encoded.Images.Size * scale, encoded.Images.Size * scale));
        }
        var e = pca.ExplainedVariance;
        var grid = Montage.Grid(tiles, 5, new MontageOptions
        {
            Title = "PCA OF PATCH FEATURES",
            ColumnLabels = ["IMAGE", "PC1-3 AS RGB", $"PC1 {100 * e[0]:0}%", $"PC2 {100 * e[1]:0}%", $"PC3 {100 * e[2]:0}%"],
        });
        return writer.SavePng(grid, "pca_images.png", "PCA of patch features, per image",
            $"Patch features of the {encoderName} encoder projected on their first three principal components ({fitDescription}); the components drive red, green and "
            + $"blue (1st–99th percentile of the fit mapped to 0–255), then each alone in viridis. They explain {100 * e[0]:0.0}%, {100 * e[1]:0.0}% and "
            + $"{100 * e[2]:0.0}% of the patch-feature variance.", FigureWriter.Representations);
    }

    /// <summary>Many images with their PCA colours beside them.</summary>
    public static Figure PcaGrid(FigureWriter writer, EncodedImages encoded, PatchPca pca, IReadOnlyList<int> shown, int gridW, int gridH, int scale, int columns)
    {
        var tiles = shown.Select(i => (Canvas?)Montage.Beside([encoded.Images.Display(i, scale), PcaTile(encoded, pca, i, gridW, gridH, scale)], 0)).ToList();
        var grid = Montage.Grid(tiles, columns, new MontageOptions { Title = "PCA COLOURS OVER MANY IMAGES" });
        return writer.SavePng(grid, "pca_grid.png", "PCA of patch features over a grid of images",
            $"{shown.Count} images, each beside its patch features coloured by one shared PCA: the same colour means a similar feature anywhere in the grid.",
            FigureWriter.Representations);
    }

    /// <summary>Each query image followed by its <paramref name="k"/> nearest gallery images by cosine similarity of pooled features.</summary>
    public static Figure Neighbors(FigureWriter writer, EncodedImages queries, EncodedImages gallery, int k, int scale, IReadOnlyList<string> classNames, string encoderName)
    {
        var results = NearestNeighbors.Search(queries.Pooled, gallery.Pooled, gallery.Dim, k);
        var tiles = new List<Canvas?>();
        var captions = new List<string?>();
        int hits = 0, labelled = 0;
        for (int q = 0; q < queries.Images.Count; q++)
        {
            int queryLabel = queries.Images.Labels[q];
            tiles.Add(Bordered(queries.Images.Display(q, scale), new Rgb(40, 40, 40)));
            captions.Add(queryLabel >= 0 && queryLabel < classNames.Count ? Short(classNames[queryLabel]) : "QUERY");
            foreach (var (index, similarity) in results[q])
            {
                int label = gallery.Images.Labels[index];
                bool known = queryLabel >= 0 && label >= 0;
                bool same = known && label == queryLabel;
                labelled += known ? 1 : 0;
                hits += same ? 1 : 0;
                tiles.Add(Bordered(gallery.Images.Display(index, scale), !known ? new Rgb(150, 150, 150) : same ? new Rgb(0, 158, 115) : new Rgb(213, 94, 0)));
                captions.Add($"{similarity:0.00}");
            }
        }
        var grid = Montage.Grid(tiles, k + 1, new MontageOptions
        {
            Title = "NEAREST NEIGHBOURS (COSINE)", ColumnLabels = ["QUERY", .. Enumerable.Range(1, k).Select(i => $"#{i}")], TileLabels = captions,
        });
        string precision = labelled > 0 ? $" {hits} of {labelled} neighbours ({100.0 * hits / labelled:0}%) share the query's class." : "";
        return writer.SavePng(grid, "neighbors.png", "Nearest-neighbour retrieval",
            $"{queries.Images.Count} query images (left, captioned with their class) and their {k} nearest of {gallery.Images.Count} gallery images by cosine "
            + $"similarity of mean-pooled {encoderName}-encoder features (captions). Green frame: same class as the query; orange: another class.{precision}",
            FigureWriter.Representations);
    }

    private static Canvas Bordered(Canvas image, Rgb colour)
    {
        image.StrokeRect(0, 0, image.Width, image.Height, colour, Math.Max(3, image.Width / 40));
        return image;
    }

    /// <summary>A class name cut to fit under a tile.</summary>
    private static string Short(string name) => name.Length <= 10 ? name : name[..10];
}
