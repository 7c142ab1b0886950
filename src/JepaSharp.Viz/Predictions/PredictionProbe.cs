using System.Numerics.Tensors;
using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Models;

namespace JepaSharp.Viz.Predictions;

/// <summary>
/// One I-JEPA forward pass kept for inspection: the predictor's outputs for every target patch of a mask batch and
/// the regression targets it is trained against, LayerNorm (no affine) of the target encoder's tokens, exactly as in
/// <see cref="IJepaModel.Loss"/>.
/// </summary>
public sealed class PredictionProbe
{
    private PredictionProbe(MaskBatch masks, int tokens, int dim, float[] targets, float[] predictions)
    {
        Masks = masks;
        Tokens = tokens;
        Dim = dim;
        Targets = targets;
        Predictions = predictions;
    }

    public MaskBatch Masks { get; }
    public int Tokens { get; }
    public int Dim { get; }
    /// <summary>[B, T, D] normalised target-encoder tokens of every patch.</summary>
    public float[] Targets { get; }
    /// <summary>[NumPred·B, KeepPred, D] predictor outputs; row m·B + b holds target mask m of image b.</summary>
    public float[] Predictions { get; }

    public static PredictionProbe Run(IJepaModel model, ModelImages images, MaskBatch masks, float targetNormEps)
    {
        if (masks.BatchSize != images.Count) throw new ArgumentException($"the mask batch is for {masks.BatchSize} images, {images.Count} were given");
        int tokens = model.TargetEncoder.Shape.Tokens, dim = model.TargetEncoder.Shape.Dim;
        using var graph = new Graph();
        using (graph.NoGrad())
        {
            var x = images.Input(graph, 0, images.Count);
            var targets = Ops.LayerNorm(model.TargetEncoder.Forward(x), null, null, targetNormEps).ToArray();
            var context = model.Encoder.Forward(x, masks.Context, masks.KeepEnc);
            var predictions = model.Predictor.Forward(context, masks.Context, masks.Targets, masks.KeepPred).ToArray();
            return new PredictionProbe(masks, tokens, dim, targets, predictions);
        }
    }

    public ReadOnlySpan<float> Target(int image, int patch) => Targets.AsSpan((image * Tokens + patch) * Dim, Dim);

    /// <summary>Every (patch, prediction) of image <paramref name="image"/>, over all its target masks.</summary>
    public IEnumerable<(int Patch, float[] Prediction)> PredictedPatches(int image)
    {
        for (int m = 0; m < Masks.NumPred; m++)
        {
            var indices = Masks.TargetIndices(m, image).ToArray();
            int row = m * Masks.BatchSize + image;
            for (int k = 0; k < indices.Length; k++)
                yield return (indices[k], Predictions.AsSpan((row * Masks.KeepPred + k) * Dim, Dim).ToArray());
        }
    }

    /// <summary>Per patch of image <paramref name="image"/>: the mean squared error over feature dimensions between prediction and target (NaN for non-target patches; averaged where target masks overlap).</summary>
    public float[] ErrorMap(int image) => PatchMap(image, (p, t) => TensorPrimitives.Distance(p, t) * TensorPrimitives.Distance(p, t) / p.Length);

    /// <summary>Per patch of image <paramref name="image"/>: cosine similarity of prediction and target (NaN for non-target patches).</summary>
    public float[] CosineMap(int image) => PatchMap(image, (p, t) => TensorPrimitives.CosineSimilarity(p, t));

    private float[] PatchMap(int image, Func<float[], float[], float> measure)
    {
        var sum = new double[Tokens];
        var count = new int[Tokens];
        foreach (var (patch, prediction) in PredictedPatches(image))
        {
            sum[patch] += measure(prediction, Target(image, patch).ToArray());
            count[patch]++;
        }
        return Enumerable.Range(0, Tokens).Select(p => count[p] == 0 ? float.NaN : (float)(sum[p] / count[p])).ToArray();
    }
}
