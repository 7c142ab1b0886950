using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using JepaSharp.Jepa.Models;
using JepaSharp.Jepa.Training;
using Xunit;

namespace JepaSharp.Tests.Training;

/// <summary>The I-JEPA objective with the optional variance-covariance term on the context encoder's outputs.</summary>
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

        float Objective(VarianceCovarianceWeights weights)
        {
            graph.Reset();
            var x = graph.Input(images, new Shape(6, 1, 28, 28));
            return model.Loss(x, masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred, RegressionLoss.SmoothL1, regularizer: weights).Span[0];
        }

        float plain = Objective(default);
        graph.Reset();
        var parts = model.Objective(graph.Input(images, new Shape(6, 1, 28, 28)), masks.Context, masks.KeepEnc, masks.Targets, masks.KeepPred,
            RegressionLoss.SmoothL1, regularizer: new VarianceCovarianceWeights(1f, 0.04f, pooled));
        Assert.Equal(plain, parts.Prediction.Span[0]);
        Assert.Equal(parts.Total.Span[0], parts.Prediction.Span[0] + parts.Regularizer!.Span[0], 1e-6f);
        float regularized = Objective(new VarianceCovarianceWeights(1f, 0.04f, pooled));
        graph.Reset();
        using (graph.NoGrad())
        {
            var z = model.Encoder.Forward(graph.Input(images, new Shape(6, 1, 28, 28)), masks.Context, masks.KeepEnc);
            float expected = Ops.VarianceCovariance(pooled ? Ops.MeanTokens(z) : z, 1f, 1f, 0.04f).Span[0];
            Assert.True(expected > 0.01f, $"the regularizer should be active on a fresh encoder, got {expected}");
            Assert.Equal(expected, regularized - plain, 1e-5f);
        }
    }
}
