using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using JepaSharp.Engine.Threading;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Models;
using JepaSharp.Jepa.Training;
using Xunit;

namespace JepaSharp.Tests.Training;

/// <summary>The objective split over threads by image slices gives the batch-wide objective and gradients.</summary>
public class DataParallelObjectiveTests
{
    private const int Side = 28;

    private static TrainConfig Config(int batch, bool pooled = false)
    {
        var config = TrainerTests.SmallConfig();
        config.ApplyOverrides([("data.batch_size", $"{batch}"), ("optimization.reg_samples", pooled ? "pooled" : "tokens")]);
        return config;
    }

    private static RegularizerWeights Regularizer(TrainConfig c)
        => new((float)c.Optimization.VarianceWeight, (float)c.Optimization.CovarianceWeight, c.Optimization.RegularizerSamples == RegularizerSamples.Pooled);

    private static (double Total, double Prediction, double Penalty, float[] Grads) WholeBatch(TrainConfig c, IJepaModel model, float[] images, MaskBatch masks)
    {
        model.EncoderParameters.ZeroGrad();
        model.PredictorParameters.ZeroGrad();
        using var graph = new Graph();
        var x = graph.Input(images, new Shape(masks.BatchSize, 1, Side, Side));
        var o = model.Objective(x, masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred, RegressionLoss.SmoothL1, regularizer: Regularizer(c));
        graph.Backward(o.Total);
        return (o.Total.Span[0], o.Prediction.Span[0], o.Regularizer!.Span[0], Gradients(model));
    }

    private static (ObjectiveValues Values, float[] Grads) Split(TrainConfig c, IJepaModel model, float[] images, MaskBatch masks, WorkerPool pool)
    {
        model.EncoderParameters.ZeroGrad();
        model.PredictorParameters.ZeroGrad();
        using var split = new DataParallelObjective(model, pool);
        var values = split.Run(images, new Shape(masks.BatchSize, 1, Side, Side), masks, RegressionLoss.SmoothL1, 1f, 1e-5f, Regularizer(c), 1);
        return (values, Gradients(model));
    }

    private static float[] Gradients(IJepaModel model) => [.. model.EncoderParameters.Grads.AsSpan(), .. model.PredictorParameters.Grads.AsSpan()];

    [Theory]
    [InlineData(2, 8, false)]
    [InlineData(3, 7, false)] // slices of 2, 2 and 3 images
    [InlineData(2, 6, true)]
    public void SlicesGiveTheWholeBatchObjectiveAndGradients(int threads, int batch, bool pooled)
    {
        var config = Config(batch, pooled);
        using var model = ModelFactory.CreateModel(config);
        var masks = ModelFactory.CreateMasks(config).Sample(batch, 4);
        var images = Support.TestData.Uniform(batch * Side * Side, 11);
        var whole = WholeBatch(config, model, images, masks);
        using var pool = new WorkerPool(threads);
        var (split, grads) = Split(config, model, images, masks, pool);

        // The context tokens are the same bit for bit, so the penalty over all of them is too.
        Assert.Equal(whole.Penalty, split.Regularizer);
        Assert.Equal(whole.Prediction, split.Prediction, 1e-6 * whole.Prediction);
        Assert.Equal(whole.Total, split.Total, 1e-6 * whole.Total);
        double scale = whole.Grads.Max(MathF.Abs);
        Assert.True(scale > 0);
        for (int i = 0; i < grads.Length; i++)
            Assert.True(Math.Abs(grads[i] - whole.Grads[i]) <= 1e-5 * scale, $"gradient {i}: {grads[i]} vs {whole.Grads[i]} (largest {scale})");
    }

    [Fact]
    public void TheSplitIsDeterministic()
    {
        var config = Config(8);
        using var model = ModelFactory.CreateModel(config);
        var masks = ModelFactory.CreateMasks(config).Sample(8, 2);
        var images = Support.TestData.Uniform(8 * Side * Side, 5);
        using var pool = new WorkerPool(2);
        var first = Split(config, model, images, masks, pool);
        var second = Split(config, model, images, masks, pool);
        Assert.Equal(first.Values, second.Values);
        Assert.Equal(first.Grads, second.Grads);
    }

    [Fact]
    public void OnlyBatchesThatSplitByImageAreSplit()
    {
        using var one = new WorkerPool(1);
        using var two = new WorkerPool(2);
        using var many = new WorkerPool(9);
        var tokens = new RegularizerWeights(1f, 0.04f);
        const long vitTiny = 5_700_000;
        Assert.True(DataParallelObjective.Supports(two, 8, 1, tokens, vitTiny));
        Assert.False(DataParallelObjective.Supports(one, 8, 1, tokens, vitTiny));
        Assert.False(DataParallelObjective.Supports(two, 1, 1, tokens, vitTiny));
        Assert.False(DataParallelObjective.Supports(two, 8, 2, tokens, vitTiny));
        // The invariance term pairs each image's views, which lie in different slices of a view-major batch.
        Assert.False(DataParallelObjective.Supports(two, 8, 1, new RegularizerWeights(1f, 0.04f, Invariance: 1f, Views: 2), vitTiny));
        // Eight more copies of a ViT-B's gradients (86M weights, 344 MB each) would pass the budget; one fits.
        const long vitBase = 86_000_000;
        Assert.True(DataParallelObjective.Supports(two, 16, 1, tokens, vitBase));
        Assert.False(DataParallelObjective.Supports(many, 16, 1, tokens, vitBase));
        Assert.True(DataParallelObjective.Supports(many, 16, 1, tokens, vitTiny));
    }

    [Fact]
    public void TrainingStepsWithAndWithoutTheSplitFollowTheSameLosses()
    {
        double[] Train(bool dataParallel)
        {
            var config = Config(8);
            config.ApplyOverrides([("meta.data_parallel", dataParallel ? "true" : "false")]);
            using var model = ModelFactory.CreateModel(config);
            using var step = new TrainingStep(config, model, new JepaSharp.Jepa.Schedules.TrainingSchedule(config, iterationsPerEpoch: 10));
            Assert.Equal(dataParallel && WorkerPool.Shared.Threads > 1, step.DataParallel);
            var masks = ModelFactory.CreateMasks(config);
            return [.. Enumerable.Range(0, 4).Select(i => step.Run(Support.TestData.Uniform(8 * Side * Side, 30 + i), masks.Sample(8, i)).Loss)];
        }
        var split = Train(dataParallel: true);
        var whole = Train(dataParallel: false);
        for (int i = 0; i < split.Length; i++) Assert.Equal(whole[i], split[i], 1e-4 * whole[i]);
    }
}
