using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.IO;
using JepaSharp.Engine.Tensors;
using JepaSharp.Interop.Mapping;
using JepaSharp.Jepa.Models;
using JepaSharp.Jepa.Training;
using JepaSharp.Tests.Support;

namespace JepaSharp.Tests.Interop;

/// <summary>The files of Fixtures/interop (tools/make_interop_fixtures.py) and the model runs the parity tests compare.</summary>
public static class InteropFixtures
{
    /// <summary>The fixture models have 2 heads, which shapes cannot tell.</summary>
    public static readonly ArchitectureOptions SmallModel = new() { Heads = 2, PredictorDim = 16, PredictorDepth = 1 };

    public static string Path(string name) => Fixtures.Path(System.IO.Path.Combine("interop", name));

    public static SafetensorsFile Outputs() => Fixtures.Open(System.IO.Path.Combine("interop", "outputs.safetensors"));

    /// <summary>A model built from the file's inferred architecture with the file's weights loaded.</summary>
    public static IJepaModel Load(string path, ArchitectureOptions? options = null)
    {
        var (file, weights, architecture) = CheckpointImporter.Open(path, options ?? SmallModel);
        using (file)
        {
            var model = ModelFactory.CreateModel(architecture.ToConfig(0));
            WeightLoader.LoadInto(weights, model, path);
            return model;
        }
    }

    /// <summary>Full-token outputs of one encoder on images [B, C, H, W].</summary>
    public static float[] Encode(JepaSharp.Nn.VisionTransformer encoder, float[] images, Shape shape)
    {
        using var graph = new Graph();
        using (graph.NoGrad()) return encoder.Forward(graph.Input(images, shape)).Span.ToArray();
    }

    /// <summary>predictor(encoder(x, context), context, targets), the official forward of §2.3.</summary>
    public static float[] Predict(IJepaModel model, float[] images, Shape shape, int[] context, int keepContext, int[] targets, int keepTarget)
    {
        using var graph = new Graph();
        using (graph.NoGrad())
        {
            var z = model.Encoder.Forward(graph.Input(images, shape), context, keepContext);
            return model.Predictor.Forward(z, context, targets, keepTarget).Span.ToArray();
        }
    }

    public static int[] Indices(SafetensorsFile file, string name) => file.ReadInt64(name).Select(v => (int)v).ToArray();
}
