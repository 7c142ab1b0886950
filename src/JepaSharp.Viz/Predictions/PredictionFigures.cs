using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using JepaSharp.Viz.Masking;
using JepaSharp.Viz.Raster;
using JepaSharp.Viz.Representations;

namespace JepaSharp.Viz.Predictions;

/// <summary>How well a fitted <see cref="PatchDecoder"/> reconstructs pixels (mean squared error in normalised pixel units).</summary>
public sealed record DecoderQuality(int TrainingPatches, double FinalTrainingLoss, double MeanPatchBaseline);

/// <summary>Pictures of the predictor: its feature errors at the target blocks, and its predictions decoded to pixels.</summary>
public static class PredictionFigures
{
    /// <summary>Per target patch: mean squared feature error and cosine similarity between prediction and target.</summary>
    public static Figure Errors(FigureWriter writer, ModelImages images, PredictionProbe probe, int scale)
    {
        int grid = (int)Math.Sqrt(probe.Tokens);
        var errors = Enumerable.Range(0, images.Count).Select(probe.ErrorMap).ToArray();
        double maxError = errors.SelectMany(e => e).Where(v => !float.IsNaN(v)).DefaultIfEmpty(1).Max();
        var tiles = new List<Canvas?>();
        for (int i = 0; i < images.Count; i++)
        {
            tiles.Add(MaskFigures.Masked(images, i, probe.Masks, i, scale));
            tiles.Add(Heatmap.Overlay(Dimmed(images.Display(i, scale)), errors[i], grid, grid, Colormap.Magma, 0, maxError, 0.85, Interpolation.Nearest));
            tiles.Add(Heatmap.Overlay(Dimmed(images.Display(i, scale)), probe.CosineMap(i), grid, grid, Colormap.Diverging, -1, 1, 0.85, Interpolation.Nearest));
        }
        var table = Montage.Grid(tiles, 3, new MontageOptions { Title = "PREDICTED VS TARGET FEATURES", ColumnLabels = ["MASKS", "L2 ERROR", "COSINE"] });
        int height = images.Size * scale * 2;
        var bars = Montage.Stacked([Montage.Colorbar(Colormap.Magma, 0, maxError, height, "0.00", label: "MSE"),
            Montage.Colorbar(Colormap.Diverging, -1, 1, height, "0.0", label: "COS")]);
        double meanError = errors.SelectMany(e => e).Where(v => !float.IsNaN(v)).Average();
        double meanCosine = Enumerable.Range(0, images.Count).SelectMany(probe.CosineMap).Where(v => !float.IsNaN(v)).Average();
        return writer.SavePng(Montage.Beside([table, bars]), "predictions_error.png", "Predicted vs target features",
            $"For each target patch of {images.Count} images: the mean squared error over the {probe.Dim} feature dimensions between the predictor's output and "
            + $"the layer-normed target-encoder feature (the training target), and their cosine similarity; other patches are left dark. Mean over all "
            + $"target patches: MSE {meanError:0.000}, cosine {meanCosine:0.000}.", FigureWriter.Predictions);
    }

    private static Canvas Dimmed(Canvas image)
    {
        image.BlendRect(0, 0, image.Width, image.Height, Rgb.Black, 0.6);
        return image;
    }

    /// <summary>
    /// Fits a <see cref="PatchDecoder"/> from <paramref name="gallery"/>'s layer-normed patch features (the space the
    /// predictor predicts in) to those patches' normalised pixels.
    /// </summary>
    public static (PatchDecoder Decoder, DecoderQuality Quality) FitDecoder(EncodedImages gallery, int patchSize, float targetNormEps, int hidden, DecoderTraining training)
    {
        var images = gallery.Images;
        int rows = images.Count * gallery.TokenCount, pixelsPerPatch = images.Channels * patchSize * patchSize;
        var features = LayerNormRows(gallery.Tokens, rows, gallery.Dim, targetNormEps);
        var pixels = new float[rows * pixelsPerPatch];
        for (int i = 0; i < images.Count; i++)
            for (int p = 0; p < gallery.TokenCount; p++)
                PatchPixels.Extract(images.Image(i), images.Channels, images.Size, patchSize, p, pixels.AsSpan((i * gallery.TokenCount + p) * pixelsPerPatch, pixelsPerPatch));
        var decoder = new PatchDecoder(gallery.Dim, hidden, pixelsPerPatch, training.Seed);
        var losses = decoder.Train(features, pixels, rows, training);
        int tail = Math.Max(1, losses.Length / 20);
        return (decoder, new DecoderQuality(rows, losses[^tail..].Average(), MeanPatchError(pixels, rows, pixelsPerPatch)));
    }

    /// <summary>The error of always predicting the mean patch: what a decoder that learned nothing would reach.</summary>
    private static double MeanPatchError(float[] pixels, int rows, int width)
    {
        var mean = new double[width];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++) mean[j] += pixels[r * width + j] / (double)rows;
        double sum = 0;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++) sum += (pixels[r * width + j] - mean[j]) * (pixels[r * width + j] - mean[j]);
        return sum / ((double)rows * width);
    }

    private static float[] LayerNormRows(float[] rows, int count, int dim, float eps)
    {
        using var graph = new Graph();
        using (graph.NoGrad()) return Ops.LayerNorm(graph.Input(rows, new Shape(count, dim)), null, null, eps).ToArray();
    }

    /// <summary>Original, context only, predictions decoded into the target blocks, and target features decoded the same way.</summary>
    public static Figure Decoded(FigureWriter writer, ModelImages images, PredictionProbe probe, PatchDecoder decoder, DecoderQuality quality, int patchSize, int scale)
    {
        var tiles = new List<Canvas?>();
        double predictedError = 0, targetError = 0;
        int decodedPatches = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var (roles, _) = MaskOverlay.Roles(probe.Masks, i);
            var predicted = probe.PredictedPatches(i).ToList();
            var fromPredictions = decoder.Decode(predicted.SelectMany(p => p.Prediction).ToArray(), predicted.Count);
            var fromTargets = decoder.Decode(predicted.SelectMany(p => probe.Target(i, p.Patch).ToArray()).ToArray(), predicted.Count);

            var original = images.Image(i);
            var contextOnly = Composite(images, i, roles, patchSize);
            var withPredictions = (float[])contextOnly.Clone();
            var withTargets = (float[])contextOnly.Clone();
            var truth = new float[decoder.PixelsPerPatch];
            for (int k = 0; k < predicted.Count; k++)
            {
                int patch = predicted[k].Patch;
                var p = fromPredictions.AsSpan(k * decoder.PixelsPerPatch, decoder.PixelsPerPatch);
                var t = fromTargets.AsSpan(k * decoder.PixelsPerPatch, decoder.PixelsPerPatch);
                PatchPixels.Place(withPredictions, images.Channels, images.Size, patchSize, patch, p);
                PatchPixels.Place(withTargets, images.Channels, images.Size, patchSize, patch, t);
                PatchPixels.Extract(original, images.Channels, images.Size, patchSize, patch, truth);
                for (int j = 0; j < truth.Length; j++)
                {
                    predictedError += (p[j] - truth[j]) * (p[j] - truth[j]);
                    targetError += (t[j] - truth[j]) * (t[j] - truth[j]);
                }
                decodedPatches++;
            }
            tiles.Add(images.Display(i, scale));
            foreach (var picture in new[] { contextOnly, withPredictions, withTargets })
            {
                var canvas = Canvas.FromPlanes(images.Denormalize(picture), images.Channels, images.Size, images.Size).Scaled(scale);
                OutlineTargets(canvas, probe, i);
                tiles.Add(canvas);
            }
        }
        int values = Math.Max(1, decodedPatches * decoder.PixelsPerPatch);
        predictedError /= values;
        targetError /= values;
        var grid = Montage.Grid(tiles, 4, new MontageOptions
        {
            Title = "PREDICTOR OUTPUTS DECODED TO PIXELS", ColumnLabels = ["ORIGINAL", "CONTEXT ONLY", "PREDICTED", "TARGET FEATURES"],
        });
        return writer.SavePng(grid, "predictions_decoded.png", "Predictions decoded to pixels",
            $"A pixel decoder (MLP, {decoder.FeatureDim} → {decoder.Fc1.OutFeatures} → {decoder.PixelsPerPatch}) trained with AdamW on {quality.TrainingPatches} "
            + $"frozen, layer-normed target-encoder patch features (final training MSE {quality.FinalTrainingLoss:0.000} vs {quality.MeanPatchBaseline:0.000} "
            + $"for always predicting the mean patch, normalised pixel units) decodes the predictor's outputs for the target blocks (outlined). Columns: the "
            + $"image; only its context (everything else gray); context plus decoded predictions; context plus the decoded true target features (the "
            + $"decoder's own ceiling). Pixel MSE on these target patches: predictions {predictedError:0.000}, true features {targetError:0.000}.",
            FigureWriter.Predictions);
    }

    /// <summary>Normalised image i with every non-context patch set to mid gray (0.5 before normalisation).</summary>
    private static float[] Composite(ModelImages images, int i, PatchRole[] roles, int patchSize)
    {
        var picture = images.Image(i).ToArray();
        var gray = images.Normalize(Enumerable.Repeat(0.5f, images.ImageFloats).ToArray());
        var patch = new float[images.Channels * patchSize * patchSize];
        for (int p = 0; p < roles.Length; p++)
        {
            if (roles[p] == PatchRole.Context) continue;
            PatchPixels.Extract(gray, images.Channels, images.Size, patchSize, p, patch);
            PatchPixels.Place(picture, images.Channels, images.Size, patchSize, p, patch);
        }
        return picture;
    }

    private static void OutlineTargets(Canvas canvas, PredictionProbe probe, int image)
    {
        int cell = canvas.Width / probe.Masks.GridWidth;
        for (int m = 0; m < probe.Masks.NumPred; m++)
        {
            var block = probe.Masks.TargetBlock(m, image);
            canvas.StrokeRect(block.Left * cell, block.Top * cell, block.Width * cell, block.Height * cell, Rgb.Category(m), Math.Max(1, cell / 12));
        }
    }
}
