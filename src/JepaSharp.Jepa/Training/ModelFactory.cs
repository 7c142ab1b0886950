using JepaSharp.Engine.Ops;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Masks;
using JepaSharp.Jepa.Models;
using JepaSharp.Nn;

namespace JepaSharp.Jepa.Training;

/// <summary>Builds the model, the mask sampler and the loss choice a config describes.</summary>
public static class ModelFactory
{
    public static VitShape EncoderShape(TrainConfig config)
    {
        var encoder = config.Meta.ResolveEncoder();
        int size = config.Data.CropSize;
        return new VitShape(size, size, config.Data.Channels, config.Mask.PatchSize, encoder.EmbedDim, encoder.Depth, encoder.NumHeads, encoder.MlpRatio);
    }

    public static IJepaModel CreateModel(TrainConfig config)
    {
        var predictor = config.Meta.ResolvePredictor();
        var model = new IJepaModel(EncoderShape(config), predictor.EmbedDim, predictor.Depth, predictor.NumHeads, config.Meta.Seed);
        if (config.Meta.Init == InitScheme.Rescaled)
        {
            RescaleResidualProjections(model.Encoder.Blocks);
            RescaleResidualProjections(model.Predictor.Blocks);
            model.TargetParameters.CopyFrom(model.EncoderParameters);
        }
        foreach (var block in model.Encoder.Blocks.Concat(model.Predictor.Blocks).Concat(model.TargetEncoder.Blocks))
            block.RecomputeQkv = config.Meta.RecomputeQkv;
        for (int i = config.Meta.RecomputeQkvBlocks ?? model.Encoder.Blocks.Count; i < model.Encoder.Blocks.Count; i++)
            model.Encoder.Blocks[i].RecomputeQkv = false;
        return model;
    }

    /// <summary>What the official constructors intended (recipe Q5): the residual branches' output layers divided by √(2·layer).</summary>
    private static void RescaleResidualProjections(IReadOnlyList<Block> blocks)
    {
        for (int i = 0; i < blocks.Count; i++)
        {
            float scale = 1f / MathF.Sqrt(2f * (i + 1));
            foreach (var w in new[] { blocks[i].Attn.Proj.Weight, blocks[i].Mlp.Fc2.Weight })
            {
                var span = w.Span;
                for (int j = 0; j < span.Length; j++) span[j] *= scale;
            }
        }
    }

    public static MultiBlockMaskCollator CreateMasks(TrainConfig config)
    {
        var m = config.Mask;
        var options = MaskOptions.ForImage(config.Data.CropSize, config.Data.CropSize, m.PatchSize) with
        {
            EncMaskScale = (m.EncMaskScale.Min, m.EncMaskScale.Max),
            PredMaskScale = (m.PredMaskScale.Min, m.PredMaskScale.Max),
            AspectRatio = (m.AspectRatio.Min, m.AspectRatio.Max),
            NumEncMasks = m.NumEncMasks,
            NumPredMasks = m.NumPredMasks,
            MinKeep = m.MinKeep,
            AllowOverlap = m.AllowOverlap,
            Mode = m.Mode,
            ShareBlockSizesInBatch = m.ShareBlockSizes,
        };
        return new MultiBlockMaskCollator(options, config.Meta.Seed);
    }

    public static RegressionLoss Loss(TrainConfig config) => config.Optimization.Loss switch
    {
        LossKind.SmoothL1 => RegressionLoss.SmoothL1,
        LossKind.L2 => RegressionLoss.Mse,
        _ => RegressionLoss.L1,
    };
}
