using JepaSharp.Jepa.Masks;
namespace JepaSharp.Jepa.Config;

/// <summary>
/// Every key JepaSharp understands, in the order <see cref="TrainConfig.Save"/> writes them:
/// sections and official keys alphabetical (as the official <c>params-ijepa.yaml</c> dump),
/// then our keys. The single table serves loading, overrides, saving and suggestions.
/// </summary>
internal static class ConfigSchema
{
    public static IReadOnlyList<string> Sections { get; } = ["data", "logging", "mask", "meta", "optimization"];

    public static IReadOnlyList<ConfigKey> Keys { get; } =
    [
        // data: official keys, alphabetical as in the official dump.
        Key("data", "batch_size", ValueKinds.Int, c => c.Data.BatchSize, (c, v) => c.Data.BatchSize = v),
        Key("data", "color_jitter_strength", ValueKinds.Number, c => c.Data.ColorJitterStrength, (c, v) => c.Data.ColorJitterStrength = v),
        Key("data", "crop_scale", ValueKinds.Range, c => c.Data.CropScale, (c, v) => c.Data.CropScale = v),
        Key("data", "crop_size", ValueKinds.Int, c => c.Data.CropSize, (c, v) => c.Data.CropSize = v),
        Key("data", "image_folder", ValueKinds.OptionalText, c => c.Data.ImageFolder, (c, v) => c.Data.ImageFolder = v),
        Key("data", "num_workers", ValueKinds.Int, c => c.Data.NumWorkers, (c, v) => c.Data.NumWorkers = v),
        Key("data", "pin_mem", ValueKinds.Bool, c => c.Data.PinMem, (c, v) => c.Data.PinMem = v),
        Key("data", "root_path", ValueKinds.OptionalText, c => c.Data.RootPath, (c, v) => c.Data.RootPath = v),
        Key("data", "use_color_distortion", ValueKinds.Bool, c => c.Data.UseColorDistortion, (c, v) => c.Data.UseColorDistortion = v),
        Key("data", "use_gaussian_blur", ValueKinds.Bool, c => c.Data.UseGaussianBlur, (c, v) => c.Data.UseGaussianBlur = v),
        Key("data", "use_horizontal_flip", ValueKinds.Bool, c => c.Data.UseHorizontalFlip, (c, v) => c.Data.UseHorizontalFlip = v),
        // data: JepaSharp keys.
        Key("data", "dataset", ValueKinds.Choice(("fashion-mnist", DatasetKind.FashionMnist), ("mnist", DatasetKind.Mnist),
            ("cifar10", DatasetKind.Cifar10), ("cifar100", DatasetKind.Cifar100), ("folder", DatasetKind.Folder)),
            c => c.Data.Dataset, (c, v) => c.Data.Dataset = v),
        Key("data", "channels", ValueKinds.Int, c => c.Data.Channels, (c, v) => c.Data.Channels = v),
        Key("data", "normalize_mean", ValueKinds.NumberList, c => c.Data.NormalizeMean, (c, v) => c.Data.NormalizeMean = v),
        Key("data", "normalize_std", ValueKinds.NumberList, c => c.Data.NormalizeStd, (c, v) => c.Data.NormalizeStd = v),
        Key("data", "views", ValueKinds.Int, c => c.Data.Views, (c, v) => c.Data.Views = v),
        Key("data", "train_subset", ValueKinds.OptionalInt, c => c.Data.TrainSubset, (c, v) => c.Data.TrainSubset = v),

        // logging: official keys, alphabetical as in the official dump.
        Key("logging", "folder", ValueKinds.Text, c => c.Logging.Folder, (c, v) => c.Logging.Folder = v),
        Key("logging", "write_tag", ValueKinds.Text, c => c.Logging.WriteTag, (c, v) => c.Logging.WriteTag = v),
        // logging: JepaSharp keys.
        Key("logging", "checkpoint_every", ValueKinds.OptionalInt, c => c.Logging.CheckpointEvery, (c, v) => c.Logging.CheckpointEvery = v),
        Key("logging", "log_every", ValueKinds.Int, c => c.Logging.LogEvery, (c, v) => c.Logging.LogEvery = v),
        Key("logging", "eval_every", ValueKinds.OptionalInt, c => c.Logging.EvalEvery, (c, v) => c.Logging.EvalEvery = v),

        // mask: official keys, alphabetical as in the official dump.
        Key("mask", "allow_overlap", ValueKinds.Bool, c => c.Mask.AllowOverlap, (c, v) => c.Mask.AllowOverlap = v),
        Key("mask", "aspect_ratio", ValueKinds.Range, c => c.Mask.AspectRatio, (c, v) => c.Mask.AspectRatio = v),
        Key("mask", "enc_mask_scale", ValueKinds.Range, c => c.Mask.EncMaskScale, (c, v) => c.Mask.EncMaskScale = v),
        Key("mask", "min_keep", ValueKinds.Int, c => c.Mask.MinKeep, (c, v) => c.Mask.MinKeep = v),
        Key("mask", "num_enc_masks", ValueKinds.Int, c => c.Mask.NumEncMasks, (c, v) => c.Mask.NumEncMasks = v),
        Key("mask", "num_pred_masks", ValueKinds.Int, c => c.Mask.NumPredMasks, (c, v) => c.Mask.NumPredMasks = v),
        Key("mask", "patch_size", ValueKinds.Int, c => c.Mask.PatchSize, (c, v) => c.Mask.PatchSize = v),
        Key("mask", "pred_mask_scale", ValueKinds.Range, c => c.Mask.PredMaskScale, (c, v) => c.Mask.PredMaskScale = v),
        // mask: JepaSharp keys.
        Key("mask", "mode", ValueKinds.Choice(("faithful", MaskMode.Faithful), ("fixed", MaskMode.Fixed)),
            c => c.Mask.Mode, (c, v) => c.Mask.Mode = v),
        Key("mask", "share_block_sizes", ValueKinds.Bool, c => c.Mask.ShareBlockSizes, (c, v) => c.Mask.ShareBlockSizes = v),

        // meta: official keys, alphabetical as in the official dump.
        Key("meta", "copy_data", ValueKinds.Bool, c => c.Meta.CopyData, (c, v) => c.Meta.CopyData = v),
        Key("meta", "load_checkpoint", ValueKinds.Bool, c => c.Meta.LoadCheckpoint, (c, v) => c.Meta.LoadCheckpoint = v),
        Key("meta", "model_name", ValueKinds.Text, c => c.Meta.ModelName, (c, v) => c.Meta.ModelName = v),
        Key("meta", "pred_depth", ValueKinds.Int, c => c.Meta.PredDepth, (c, v) => c.Meta.PredDepth = v),
        Key("meta", "pred_emb_dim", ValueKinds.Int, c => c.Meta.PredEmbDim, (c, v) => c.Meta.PredEmbDim = v),
        Key("meta", "read_checkpoint", ValueKinds.OptionalText, c => c.Meta.ReadCheckpoint, (c, v) => c.Meta.ReadCheckpoint = v),
        Key("meta", "use_bfloat16", ValueKinds.Bool, c => c.Meta.UseBfloat16, (c, v) => c.Meta.UseBfloat16 = v),
        // meta: JepaSharp keys.
        Key("meta", "enc_depth", ValueKinds.OptionalInt, c => c.Meta.EncDepth, (c, v) => c.Meta.EncDepth = v),
        Key("meta", "enc_heads", ValueKinds.OptionalInt, c => c.Meta.EncHeads, (c, v) => c.Meta.EncHeads = v),
        Key("meta", "enc_embed_dim", ValueKinds.OptionalInt, c => c.Meta.EncEmbedDim, (c, v) => c.Meta.EncEmbedDim = v),
        Key("meta", "pred_num_heads", ValueKinds.OptionalInt, c => c.Meta.PredNumHeads, (c, v) => c.Meta.PredNumHeads = v),
        Key("meta", "seed", ValueKinds.Int, c => c.Meta.Seed, (c, v) => c.Meta.Seed = v),
        Key("meta", "init", ValueKinds.Choice(("faithful", InitScheme.Faithful), ("rescaled", InitScheme.Rescaled)),
            c => c.Meta.Init, (c, v) => c.Meta.Init = v),
        Key("meta", "recompute_qkv", ValueKinds.Bool, c => c.Meta.RecomputeQkv, (c, v) => c.Meta.RecomputeQkv = v),
        Key("meta", "recompute_qkv_blocks", ValueKinds.OptionalInt, c => c.Meta.RecomputeQkvBlocks, (c, v) => c.Meta.RecomputeQkvBlocks = v),
        Key("meta", "data_parallel", ValueKinds.Bool, c => c.Meta.DataParallel, (c, v) => c.Meta.DataParallel = v),

        // optimization: official keys, alphabetical as in the official dump.
        Key("optimization", "ema", ValueKinds.Ema, c => c.Optimization.Ema, (c, v) => c.Optimization.Ema = v),
        Key("optimization", "epochs", ValueKinds.Int, c => c.Optimization.Epochs, (c, v) => c.Optimization.Epochs = v),
        Key("optimization", "final_lr", ValueKinds.Number, c => c.Optimization.FinalLr, (c, v) => c.Optimization.FinalLr = v),
        Key("optimization", "final_weight_decay", ValueKinds.Number, c => c.Optimization.FinalWeightDecay, (c, v) => c.Optimization.FinalWeightDecay = v),
        Key("optimization", "ipe_scale", ValueKinds.Number, c => c.Optimization.IpeScale, (c, v) => c.Optimization.IpeScale = v),
        Key("optimization", "lr", ValueKinds.Number, c => c.Optimization.Lr, (c, v) => c.Optimization.Lr = v),
        Key("optimization", "start_lr", ValueKinds.Number, c => c.Optimization.StartLr, (c, v) => c.Optimization.StartLr = v),
        Key("optimization", "warmup", ValueKinds.Number, c => c.Optimization.Warmup, (c, v) => c.Optimization.Warmup = v),
        Key("optimization", "weight_decay", ValueKinds.Number, c => c.Optimization.WeightDecay, (c, v) => c.Optimization.WeightDecay = v),
        // optimization: JepaSharp keys.
        Key("optimization", "loss", ValueKinds.Choice(("smooth_l1", LossKind.SmoothL1), ("l2", LossKind.L2), ("l1", LossKind.L1)),
            c => c.Optimization.Loss, (c, v) => c.Optimization.Loss = v),
        Key("optimization", "smooth_l1_beta", ValueKinds.Number, c => c.Optimization.SmoothL1Beta, (c, v) => c.Optimization.SmoothL1Beta = v),
        Key("optimization", "clip_grad", ValueKinds.OptionalNumber, c => c.Optimization.ClipGrad, (c, v) => c.Optimization.ClipGrad = v),
        Key("optimization", "target_blocks", ValueKinds.Int, c => c.Optimization.TargetBlocks, (c, v) => c.Optimization.TargetBlocks = v),
        Key("optimization", "target_norm_eps", ValueKinds.Number, c => c.Optimization.TargetNormEps, (c, v) => c.Optimization.TargetNormEps = v),
        Key("optimization", "var_weight", ValueKinds.Number, c => c.Optimization.VarianceWeight, (c, v) => c.Optimization.VarianceWeight = v),
        Key("optimization", "cov_weight", ValueKinds.Number, c => c.Optimization.CovarianceWeight, (c, v) => c.Optimization.CovarianceWeight = v),
        Key("optimization", "reg_samples", ValueKinds.Choice(("tokens", RegularizerSamples.Tokens), ("pooled", RegularizerSamples.Pooled)),
            c => c.Optimization.RegularizerSamples, (c, v) => c.Optimization.RegularizerSamples = v),
        Key("optimization", "inv_weight", ValueKinds.Number, c => c.Optimization.InvarianceWeight, (c, v) => c.Optimization.InvarianceWeight = v),
    ];

    private static readonly Dictionary<string, ConfigKey> ByDottedName = Keys.ToDictionary(k => k.DottedName, StringComparer.Ordinal);

    public static ConfigKey? Find(string dottedName) => ByDottedName.GetValueOrDefault(dottedName);

    public static ConfigSection SectionOf(TrainConfig config, string section) => section switch
    {
        "data" => config.Data,
        "logging" => config.Logging,
        "mask" => config.Mask,
        "meta" => config.Meta,
        "optimization" => config.Optimization,
        _ => throw new ArgumentOutOfRangeException(nameof(section), section, "not a config section"),
    };

    /// <summary>
    /// Up to five known dotted keys close to <paramref name="wanted"/>, best first: typos, bare
    /// key names (<c>lr</c>) and abbreviations (<c>crop</c> → crop_size, crop_scale).
    /// </summary>
    public static IReadOnlyList<string> ClosestKeys(string wanted)
    {
        string wantedName = wanted[(wanted.LastIndexOf('.') + 1)..];
        return Keys
            .Select(k => (k.DottedName, Distance: Math.Min(EditDistance(wanted, k.DottedName),
                k.Name.Contains(wantedName, StringComparison.Ordinal) && wantedName.Length >= 2 ? 1 : EditDistance(wantedName, k.Name))))
            .Where(c => c.Distance <= Math.Max(2, wantedName.Length / 2))
            .OrderBy(c => c.Distance).ThenBy(c => c.DottedName, StringComparer.Ordinal)
            .Take(5)
            .Select(c => c.DottedName)
            .ToList();
    }

    public static IReadOnlyList<string> ClosestSections(string wanted) =>
        Sections.Where(s => EditDistance(wanted, s) <= Math.Max(2, wanted.Length / 3)).ToList();

    private static ConfigKey Key<T>(string section, string name, ValueKind<T> kind,
        Func<TrainConfig, T> get, Action<TrainConfig, T> set) => new ConfigKey<T>(section, name, kind, get, set);

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
