using JepaSharp.Data.Transforms;
using JepaSharp.Jepa.Masks;
namespace JepaSharp.Jepa.Config;

/// <summary>The checks behind <see cref="TrainConfig.Validate"/>; each problem names file, line and key.</summary>
internal sealed class ConfigValidator
{
    private readonly TrainConfig _config;
    private readonly List<string> _problems = [];

    private ConfigValidator(TrainConfig config)
    {
        _config = config;
    }

    public static IReadOnlyList<string> FindProblems(TrainConfig config)
    {
        var validator = new ConfigValidator(config);
        validator.CheckData();
        validator.CheckMask();
        validator.CheckMeta();
        validator.CheckOptimization();
        validator.CheckLogging();
        return validator._problems;
    }

    /// <summary>Settings a config asks for explicitly that JepaSharp accepts but does not carry out, one message each.</summary>
    public static IReadOnlyList<string> FindNotices(TrainConfig config)
    {
        var notices = new List<string>();
        if (config.Meta.UseBfloat16 && config.IsSet("meta.use_bfloat16"))
            notices.Add($"{config.Locate("meta.use_bfloat16")}: meta.use_bfloat16 is true, but JepaSharp trains in fp32 " +
                        "(the official bf16 autocast rounds each product's inputs to bf16; set it false to silence this)");
        return notices;
    }

    private void CheckData()
    {
        var data = _config.Data;
        AtLeast("data.batch_size", data.BatchSize, 1);
        AtLeast("data.crop_size", data.CropSize, 1);
        AtLeast("data.views", data.Views, 1);
        Fraction("data.crop_scale", data.CropScale);
        Require(data.ColorJitterStrength >= 0, "data.color_jitter_strength", "must be >= 0");
        if (data.UseColorDistortion)
        {
            Require(data.ColorJitterStrength <= ColorDistortion.MaxStrength, "data.color_jitter_strength",
                $"must be <= {ColorDistortion.MaxStrength} with data.use_color_distortion (the hue range 0.2·s may not pass 0.5)");
            Require(data.Channels is 1 or 3, "data.use_color_distortion", $"needs one- or three-channel images (data.channels is {data.Channels})");
        }
        AtLeast("data.num_workers", data.NumWorkers, 0);
        AtLeast("data.channels", data.Channels, 1);
        int? datasetChannels = data.Dataset switch
        {
            DatasetKind.FashionMnist or DatasetKind.Mnist => 1,
            DatasetKind.Cifar10 or DatasetKind.Cifar100 => 3,
            DatasetKind.Folder => null,
            _ => throw new InvalidOperationException($"unhandled dataset {data.Dataset}"),
        };
        if (datasetChannels is { } expected)
            Require(data.Channels == expected, "data.channels", $"must be {expected} for data.dataset {Value("data.dataset")}");
        Require(data.NormalizeMean.Length == data.Channels, "data.normalize_mean", $"needs one value per channel (data.channels is {data.Channels})");
        Require(data.NormalizeStd.Length == data.Channels, "data.normalize_std", $"needs one value per channel (data.channels is {data.Channels})");
        Require(data.NormalizeStd.All(s => s > 0), "data.normalize_std", "values must be > 0");
        if (data.TrainSubset is { } subset)
            Require(subset >= data.BatchSize, "data.train_subset", $"must be at least data.batch_size ({data.BatchSize}): the last partial batch is dropped, so a smaller subset has no iterations");
        if (data.Dataset == DatasetKind.Folder)
            Require(!string.IsNullOrWhiteSpace(data.RootPath), "data.root_path", "must name the image root for data.dataset folder");
    }

    private void CheckMask()
    {
        var mask = _config.Mask;
        AtLeast("mask.patch_size", mask.PatchSize, 1);
        bool gridIsValid = mask.PatchSize >= 1 && _config.Data.CropSize >= 1 && _config.Data.CropSize % mask.PatchSize == 0;
        if (mask.PatchSize >= 1 && _config.Data.CropSize >= 1)
            Require(gridIsValid, "mask.patch_size", $"must divide data.crop_size ({_config.Data.CropSize}) so the image splits into whole patches");
        bool scalesAreValid = Fraction("mask.enc_mask_scale", mask.EncMaskScale) & Fraction("mask.pred_mask_scale", mask.PredMaskScale);
        bool aspectIsValid = mask.AspectRatio.Min > 0 && mask.AspectRatio.Min <= mask.AspectRatio.Max;
        Require(aspectIsValid, "mask.aspect_ratio", "must be [min, max] with 0 < min <= max");
        AtLeast("mask.num_enc_masks", mask.NumEncMasks, 1);
        AtLeast("mask.num_pred_masks", mask.NumPredMasks, 1);
        AtLeast("mask.min_keep", mask.MinKeep, 0);
        if (gridIsValid && scalesAreValid && aspectIsValid)
        {
            int grid = _config.Data.CropSize / mask.PatchSize;
            int smallest = SmallestTargetBlock(grid, mask);
            Require(smallest > mask.MinKeep, "mask.min_keep",
                $"must be below the smallest target block ({smallest} patches on the {grid}x{grid} grid with pred_mask_scale " +
                $"{Value("mask.pred_mask_scale")} and aspect_ratio {Value("mask.aspect_ratio")}): a block is accepted only if it keeps " +
                "more than min_keep patches, so the sampler would retry forever");
        }
    }

    private void CheckMeta()
    {
        var meta = _config.Meta;
        if (!ModelSizes.TryGet(meta.ModelName, out _))
        {
            Problem("meta.model_name", $"must be one of {string.Join(", ", ModelSizes.Names)}");
            return;
        }
        if (meta.EncEmbedDim is { } embed) AtLeast("meta.enc_embed_dim", embed, 1);
        if (meta.EncDepth is { } depth) AtLeast("meta.enc_depth", depth, 1);
        if (meta.EncHeads is { } heads) AtLeast("meta.enc_heads", heads, 1);
        Require(!meta.LoadCheckpoint, "meta.load_checkpoint",
            "must be false: continue a run with `jepa train --resume --out DIR`, or start from saved weights (official .pth files included) with `--init FILE`");
        AtLeast("meta.pred_depth", meta.PredDepth, 1);
        AtLeast("meta.pred_emb_dim", meta.PredEmbDim, 1);
        if (meta.PredNumHeads is { } predictorHeads) AtLeast("meta.pred_num_heads", predictorHeads, 1);

        var encoder = meta.ResolveEncoder();
        if (encoder.Depth >= 1)
            Require(_config.Optimization.TargetBlocks <= encoder.Depth, "optimization.target_blocks",
                $"cannot exceed the encoder's {encoder.Depth} blocks");
        if (meta.RecomputeQkvBlocks is { } recomputed)
        {
            Require(meta.RecomputeQkv, "meta.recompute_qkv_blocks", "needs meta.recompute_qkv: true (it says how many encoder blocks recompute)");
            AtLeast("meta.recompute_qkv_blocks", recomputed, 0);
            if (encoder.Depth >= 1) Require(recomputed <= encoder.Depth, "meta.recompute_qkv_blocks", $"cannot exceed the encoder's {encoder.Depth} blocks");
        }
        if (encoder.EmbedDim >= 1 && encoder.NumHeads >= 1)
            Require(encoder.EmbedDim % encoder.NumHeads == 0, meta.EncHeads is null ? "meta.enc_embed_dim" : "meta.enc_heads",
                $"encoder width {encoder.EmbedDim} must be divisible by its {encoder.NumHeads} heads");
        var predictor = meta.ResolvePredictor();
        if (predictor.EmbedDim >= 1 && predictor.NumHeads >= 1)
            Require(predictor.EmbedDim % predictor.NumHeads == 0, meta.PredNumHeads is null ? "meta.pred_emb_dim" : "meta.pred_num_heads",
                $"predictor width {predictor.EmbedDim} must be divisible by its {predictor.NumHeads} heads" +
                (meta.PredNumHeads is null ? " (meta.pred_num_heads is null: the encoder's head count)" : ""));
    }

    private void CheckOptimization()
    {
        var optimization = _config.Optimization;
        AtLeast("optimization.epochs", optimization.Epochs, 1);
        Require(optimization.Lr > 0, "optimization.lr", "must be > 0");
        Require(optimization.StartLr >= 0, "optimization.start_lr", "must be >= 0");
        Require(optimization.FinalLr >= 0, "optimization.final_lr", "must be >= 0");
        if (optimization.Lr > 0 && optimization.FinalLr >= 0)
            Require(optimization.FinalLr <= optimization.Lr, "optimization.final_lr", $"must not exceed optimization.lr ({Value("optimization.lr")})");
        Require(optimization.Warmup >= 0, "optimization.warmup", "must be >= 0 epochs");
        if (optimization.Warmup >= 0 && optimization.Epochs >= 1)
            Require(optimization.Warmup <= optimization.Epochs, "optimization.warmup", $"must not exceed optimization.epochs ({optimization.Epochs})");
        Require(optimization.WeightDecay >= 0, "optimization.weight_decay", "must be >= 0");
        Require(optimization.FinalWeightDecay >= 0, "optimization.final_weight_decay", "must be >= 0");
        Require(optimization.IpeScale >= 1, "optimization.ipe_scale",
            "must be >= 1: below 1 the schedules end before training does (the official EMA generator runs out)");
        Require(optimization.Ema.Start is >= 0 and <= 1 && optimization.Ema.End is >= 0 and <= 1, "optimization.ema",
            "momentum values must lie in [0, 1]");
        Require(optimization.SmoothL1Beta > 0, "optimization.smooth_l1_beta", "must be > 0");
        if (optimization.ClipGrad is { } clip) Require(clip > 0, "optimization.clip_grad", "must be > 0 (null turns clipping off)");
        Require(optimization.TargetNormEps > 0, "optimization.target_norm_eps", "must be > 0");
        AtLeast("optimization.target_blocks", optimization.TargetBlocks, 1);
        Require(optimization.VarianceWeight >= 0, "optimization.var_weight", "must be >= 0 (0 turns the variance term off)");
        Require(optimization.CovarianceWeight >= 0, "optimization.cov_weight", "must be >= 0 (0 turns the covariance term off)");
        Require(optimization.InvarianceWeight >= 0, "optimization.inv_weight", "must be >= 0 (0 turns the invariance term off)");
        if (optimization.InvarianceWeight > 0)
            Require(_config.Data.Views >= 2, "optimization.inv_weight", $"needs data.views >= 2 (it compares views of one image; data.views is {_config.Data.Views})");
    }

    private void CheckLogging()
    {
        var logging = _config.Logging;
        Require(!string.IsNullOrWhiteSpace(logging.Folder), "logging.folder", "must name the run folder");
        Require(!string.IsNullOrWhiteSpace(logging.WriteTag) && logging.WriteTag.IndexOfAny(['/', '\\']) < 0, "logging.write_tag",
            "must be a non-empty file-name prefix without folder separators");
        AtLeast("logging.log_every", logging.LogEvery, 1);
        if (logging.CheckpointEvery is { } checkpointEvery) AtLeast("logging.checkpoint_every", checkpointEvery, 1);
        if (logging.EvalEvery is { } evalEvery) AtLeast("logging.eval_every", evalEvery, 1);
    }

    /// <summary>Patches in the smallest target block the mask sampler can draw for this config.</summary>
    private static int SmallestTargetBlock(int grid, MaskConfig mask)
    {
        var (height, width) = BlockSizes.Smallest(new Interval(mask.PredMaskScale.Min, mask.PredMaskScale.Max),
            new Interval(mask.AspectRatio.Min, mask.AspectRatio.Max), grid, grid, mask.Mode);
        return height * width;
    }

    /// <summary>Checks a [min, max] fraction range: 0 &lt; min ≤ max ≤ 1.</summary>
    private bool Fraction(string key, ValueRange range)
    {
        bool valid = range.Min > 0 && range.Min <= range.Max && range.Max <= 1;
        Require(valid, key, "must be [min, max] with 0 < min <= max <= 1");
        return valid;
    }

    private void AtLeast(string key, int value, int minimum) => Require(value >= minimum, key, $"must be >= {minimum}");

    private void Require(bool valid, string key, string problem)
    {
        if (!valid) Problem(key, problem);
    }

    private void Problem(string key, string problem) =>
        _problems.Add($"{_config.Locate(key)}: {key} {problem} (got {Value(key)})");

    private string Value(string key) => ValueKinds.Describe(ConfigSchema.Find(key)!.Write(_config));
}
