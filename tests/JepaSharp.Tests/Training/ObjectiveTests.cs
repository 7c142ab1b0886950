using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using JepaSharp.Jepa.Models;
using JepaSharp.Jepa.Training;
using Xunit;

namespace JepaSharp.Tests.Training;

/// <summary>The I-JEPA objective with the optional VICReg terms on the context encoder's outputs.</summary>
public class ObjectiveTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheRegularizerAddsExactlyItsValueOnTheContextEncoderOutputs(bool pooled)
    {
        var config = TrainerTests.SmallConfig();
        config.ApplyOverrides([("data.batch_size", "6")]);
        using var model = ModelFactory.CreateModel(config);
        var masks = ModelFactory.CreateMasks(config).Sample(6, 3);
        var images = Support.TestData.Uniform(6 * 28 * 28, 9);
        using var graph = new Graph();

        float Objective(RegularizerWeights weights)
        {
            graph.Reset();
            var x = graph.Input(images, new Shape(6, 1, 28, 28));
            return model.Loss(x, masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred, RegressionLoss.SmoothL1, regularizer: weights).Span[0];
        }

        float plain = Objective(default);
        graph.Reset();
        var parts = model.Objective(graph.Input(images, new Shape(6, 1, 28, 28)), masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred,
            RegressionLoss.SmoothL1, regularizer: new RegularizerWeights(1f, 0.04f, pooled));
        Assert.Equal(plain, parts.Prediction.Span[0]);
        Assert.Equal(parts.Total.Span[0], parts.Prediction.Span[0] + parts.Regularizer!.Span[0], 1e-6f);
        float regularized = Objective(new RegularizerWeights(1f, 0.04f, pooled));
        graph.Reset();
        using (graph.NoGrad())
        {
            var z = model.Encoder.Forward(graph.Input(images, new Shape(6, 1, 28, 28)), masks.Context, masks.KeepEnc);
            float expected = Ops.VarianceCovariance(pooled ? Ops.MeanTokens(z) : z, 1f, 1f, 0.04f).Span[0];
            Assert.True(expected > 0.01f, $"the regularizer should be active on a fresh encoder, got {expected}");
            Assert.Equal(expected, regularized - plain, 1e-5f);
        }
    }

    [Fact]
    public void TheInvarianceTermComparesThePooledContextOutputsOfEachImagesViews()
    {
        // Three images, two views each, view-major: rows 0-2 are the first views, rows 3-5 the second.
        var config = TrainerTests.SmallConfig();
        using var model = ModelFactory.CreateModel(config);
        var masks = ModelFactory.CreateMasks(config).Sample(6, 4);
        var images = Support.TestData.Uniform(6 * 28 * 28, 10);
        using var graph = new Graph();
        var parts = model.Objective(graph.Input(images, new Shape(6, 1, 28, 28)), masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred,
            RegressionLoss.SmoothL1, regularizer: new RegularizerWeights(0f, 0f, Invariance: 2f, Views: 2));
        float invariance = parts.Regularizer!.Span[0];
        graph.Reset();
        using (graph.NoGrad())
        {
            var pooled = Ops.MeanTokens(model.Encoder.Forward(graph.Input(images, new Shape(6, 1, 28, 28)), masks.Context, masks.KeepEnc)).Span;
            int d = pooled.Length / 6;
            double sum = 0;
            for (int image = 0; image < 3; image++)
                for (int j = 0; j < d; j++)
                {
                    double e = pooled[image * d + j] - pooled[(image + 3) * d + j];
                    sum += e * e;
                }
            double expected = 2.0 * sum / (3 * d);
            Assert.True(expected > 1e-4, $"different images as views should disagree, got {expected}");
            Assert.Equal(expected, invariance, 1e-5);
        }
    }

    [Fact]
    public void TopBlockTargetsAreTheNormOfTheSummedNormedBlockOutputs()
    {
        var config = TrainerTests.SmallConfig();
        config.ApplyOverrides([("data.batch_size", "4")]);
        using var model = ModelFactory.CreateModel(config);
        var masks = ModelFactory.CreateMasks(config).Sample(4, 5);
        var images = Support.TestData.Uniform(4 * 28 * 28, 11);
        var shape = new Shape(4, 1, 28, 28);
        using var graph = new Graph();
        float official = model.Objective(graph.Input(images, shape), masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred,
            RegressionLoss.SmoothL1).Prediction.Span[0];
        graph.Reset();
        float topTwo = model.Objective(graph.Input(images, shape), masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred,
            RegressionLoss.SmoothL1, targetBlocks: 2).Prediction.Span[0];
        graph.Reset();
        using (graph.NoGrad())
        {
            var x = graph.Input(images, shape);
            var blocks = model.TargetEncoder.ForwardAt(x, masks.Targets, masks.KeepPred, 2);
            var h = Ops.LayerNorm(Ops.Add(Ops.LayerNorm(blocks[0], null, null, 1e-5f), Ops.LayerNorm(blocks[1], null, null, 1e-5f)), null, null, 1e-5f);
            var prediction = model.Predictor.Forward(model.Encoder.Forward(x, masks.Context, masks.KeepEnc), masks.Context, masks.Targets, masks.KeepPred);
            Assert.Equal(Ops.Loss(RegressionLoss.SmoothL1, prediction, h).Span[0], topTwo);
        }
        Assert.NotEqual(official, topTwo);
    }

    [Fact]
    public void RecomputingQkvTrainsTheSameWeightsInLessMemory()
    {
        (double[] Losses, float[] Weights, long Peak) Train(bool recompute, string encoderBlocks = "null")
        {
            var config = TrainerTests.SmallConfig();
            config.ApplyOverrides([("data.batch_size", "8"), ("meta.recompute_qkv", recompute ? "true" : "false"), ("meta.recompute_qkv_blocks", encoderBlocks)]);
            config.Validate();
            using var model = ModelFactory.CreateModel(config);
            using var step = new TrainingStep(config, model, new JepaSharp.Jepa.Schedules.TrainingSchedule(config, iterationsPerEpoch: 10));
            var masks = ModelFactory.CreateMasks(config);
            var losses = new double[3];
            long peak = 0;
            for (int i = 0; i < losses.Length; i++)
            {
                losses[i] = step.Run(Support.TestData.Uniform(8 * 28 * 28, 20 + i), masks.Sample(8, i)).Loss;
                peak = Math.Max(peak, step.ActivationPeakBytes);
            }
            return (losses, [.. model.EncoderParameters.Values.AsSpan(), .. model.PredictorParameters.Values.AsSpan()], peak);
        }
        var kept = Train(recompute: false);
        var recomputed = Train(recompute: true);
        var partly = Train(recompute: true, encoderBlocks: "1"); // the predictor and the encoder's first block
        Assert.Equal(kept.Losses, recomputed.Losses);
        Assert.Equal(kept.Weights, recomputed.Weights);
        Assert.Equal(kept.Losses, partly.Losses);
        Assert.Equal(kept.Weights, partly.Weights);
        Assert.True(recomputed.Peak < 0.95 * kept.Peak, $"peak activation memory {recomputed.Peak} bytes with recompute_qkv vs {kept.Peak} without");
        Assert.True(recomputed.Peak < partly.Peak && partly.Peak < kept.Peak, $"peak activation memory: all {recomputed.Peak}, partly {partly.Peak}, none {kept.Peak}");
    }

    [Fact]
    public void TheTargetEncoderHoldsNoGradientMemoryAndStillFollowsTheEma()
    {
        var config = TrainerTests.SmallConfig();
        config.ApplyOverrides([("data.batch_size", "4")]);
        using var model = ModelFactory.CreateModel(config);
        Assert.Equal(0, model.TargetParameters.Grads.Length);
        Assert.Equal(model.EncoderParameters.Length, model.EncoderParameters.Grads.Length);
        Assert.All(model.TargetParameters.Slots, s => Assert.False(s.Tensor.HasGrad, s.Name));

        using var step = new TrainingStep(config, model, new JepaSharp.Jepa.Schedules.TrainingSchedule(config, iterationsPerEpoch: 10));
        var before = model.TargetParameters.Values.AsSpan().ToArray();
        Assert.True(double.IsFinite(step.Run(Support.TestData.Uniform(4 * 28 * 28, 3), ModelFactory.CreateMasks(config).Sample(4, 0)).Loss));
        Assert.NotEqual(before, model.TargetParameters.Values.AsSpan().ToArray());
    }
}
