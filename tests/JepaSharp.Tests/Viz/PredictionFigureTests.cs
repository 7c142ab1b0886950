using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Jepa.Training;
using JepaSharp.Viz;
using JepaSharp.Viz.Predictions;
using Xunit;

namespace JepaSharp.Tests.Viz;

public class PredictionFigureTests
{
    [Fact]
    public void ProbeErrorsAreTheTrainingObjectivesTerms()
    {
        using var model = VizTestData.SmallModel();
        var images = ModelImages.Load(model, new VizTestData.Rectangles(6), [0, 1, 2, 3, 4, 5]);
        var masks = ModelFactory.CreateMasks(model.Config).Sample(6, 2);
        var probe = PredictionProbe.Run(model.Model, images, masks, 1e-5f);

        // The mean of the per-patch squared errors over every predicted patch is the MSE loss the trainer would compute.
        double sum = 0;
        int count = 0;
        for (int i = 0; i < 6; i++)
            foreach (var (patch, prediction) in probe.PredictedPatches(i))
            {
                var target = probe.Target(i, patch);
                for (int d = 0; d < probe.Dim; d++) sum += (prediction[d] - target[d]) * (double)(prediction[d] - target[d]);
                count += probe.Dim;
            }
        using var graph = new Graph();
        var loss = model.Model.Loss(images.Input(graph, 0, 6), masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred, RegressionLoss.Mse, 1f, 1e-5f);
        Assert.Equal(loss.Span[0], sum / count, 5);

        var error = probe.ErrorMap(0);
        var cosine = probe.CosineMap(0);
        var targetPatches = Enumerable.Range(0, masks.NumPred).SelectMany(m => masks.TargetIndices(m, 0).ToArray()).ToHashSet();
        for (int p = 0; p < probe.Tokens; p++)
        {
            Assert.Equal(!targetPatches.Contains(p), float.IsNaN(error[p]));
            if (targetPatches.Contains(p)) Assert.InRange(cosine[p], -1.0001f, 1.0001f);
        }
    }

    [Fact]
    public void DecoderLearnsALinearPixelMapDeterministically()
    {
        const int rows = 2048, dim = 12, pixels = 4;
        var rng = new Random(5);
        var features = Enumerable.Range(0, rows * dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var targets = new float[rows * pixels];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < pixels; j++) targets[r * pixels + j] = features[r * dim + j] - 0.5f * features[r * dim + j + 4];
        var training = new DecoderTraining { Steps = 1000, BatchSize = 128, LearningRate = 5e-3, Seed = 1 };
        float[] first, second;
        using (var decoder = new PatchDecoder(dim, 32, pixels, seed: 1)) first = decoder.Train(features, targets, rows, training);
        using (var decoder = new PatchDecoder(dim, 32, pixels, seed: 1))
        {
            second = decoder.Train(features, targets, rows, training);
            var decoded = decoder.Decode(features.AsSpan(0, 10 * dim), 10);
            for (int i = 0; i < decoded.Length; i++) Assert.Equal(targets[i], decoded[i], 0.1);
        }
        Assert.Equal(first, second);
        Assert.True(first[^10..].Average() < 0.05 * first[..10].Average(), $"loss went from {first[..10].Average()} to {first[^10..].Average()}");
    }

    [Fact]
    public void PatchPixelsRoundTripInChannelRowColumnOrder()
    {
        var image = Enumerable.Range(0, 2 * 8 * 8).Select(i => (float)i).ToArray();
        var patch = new float[2 * 4 * 4];
        PatchPixels.Extract(image, 2, 8, 4, 3, patch); // patch 3 = bottom right
        Assert.Equal(4 * 8 + 4, patch[0]);
        Assert.Equal(64 + 7 * 8 + 7, patch[^1]);
        var copy = new float[image.Length];
        PatchPixels.Place(copy, 2, 8, 4, 3, patch);
        Assert.Equal(patch.Sum(), copy.Sum());
        Assert.Throws<ArgumentException>(() => PatchPixels.Extract(image, 2, 8, 4, 4, patch));
    }
}
