using JepaSharp.Engine.Autograd;
using JepaSharp.Jepa.Config;
using JepaSharp.Jepa.Schedules;
using JepaSharp.Jepa.Training;

namespace JepaSharp.Bench;

public sealed record TrainBenchResult(string Config, int Batch, double JepaImagesPerSecond, double JepaStepMs, double JepaPeakRssMb,
    double JepaArenaMb, long AllocatedBytesPerStep, double? TorchImagesPerSecond, double? TorchPeakRssMb, string? TorchConfig, double? Speedup, double? MemoryRatio,
    IReadOnlyList<(string Op, double ForwardMs, double BackwardMs, double Calls)>? Profile);

/// <summary>
/// Full I-JEPA training steps (masking, target forward, context forward and backward, AdamW, EMA)
/// on synthetic images of the config's shape, as <c>tools/ijepa_torch.py bench</c> does for PyTorch.
/// The two are measured in alternating rounds (ours, then PyTorch stock and tuned, again) and each
/// side's best round is kept: on a shared host a slow spell then hits both sides alike.
/// </summary>
public static class TrainBenchmark
{
    /// <summary>
    /// Times full training steps of <paramref name="configName"/> with <paramref name="overrides"/> (<c>section.key</c>, value)
    /// applied; PyTorch's side reads the same resolved config.
    /// </summary>
    public static TrainBenchResult Run(string configName, int steps, bool withTorch, bool profile, Action<string>? log, int rounds = 2,
        IReadOnlyList<(string Key, string Value)>? overrides = null)
    {
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "at least one round");
        var config = ConfigLoader.Load(configName);
        if (overrides is { Count: > 0 })
        {
            config.ApplyOverrides(overrides);
            configName += string.Concat(overrides.Select(o => $" --{o.Key} {o.Value}"));
        }
        config.Validate();
        var d = config.Data;
        using var model = ModelFactory.CreateModel(config);
        var schedule = new TrainingSchedule(config, iterationsPerEpoch: 60_000 / d.BatchSize);
        using var step = new TrainingStep(config, model, schedule);
        var masks = ModelFactory.CreateMasks(config);
        var rng = new Random(1);
        var images = new float[d.ImagesPerStep * d.Channels * d.CropSize * d.CropSize];
        for (int i = 0; i < images.Length; i++) images[i] = (float)(rng.NextDouble() * 2 - 1);
        long index = 0;
        void Step() => step.Run(images, masks.Sample(d.ImagesPerStep, index++));

        string? resolvedConfig = withTorch && overrides is { Count: > 0 } ? Path.Combine(Path.GetTempPath(), $"jepa-bench-{Guid.NewGuid():N}.yaml") : null;
        if (resolvedConfig != null) config.Save(resolvedConfig);
        string? torchConfigFile = withTorch ? resolvedConfig ?? ConfigFile(configName) : null;
        if (withTorch && torchConfigFile == null) log?.Invoke($"PyTorch: no YAML file for config '{configName}'");
        double seconds = double.PositiveInfinity, rss = double.NaN;
        TorchYardstick.Result? torch = null;
        try
        {
            for (int round = 0; round < rounds; round++)
            {
                seconds = Math.Min(seconds, Timing.MedianSeconds(Step, warmup: 3, repeats: steps, minWarmupSeconds: 1.0));
                // Read before the first yardstick run: starting processes and parsing their output grows our managed heap.
                if (round == 0) rss = Memory.PeakRssMb();
                if (torchConfigFile == null) continue;
                var (measured, note) = TorchYardstick.Measure("ijepa_torch.py", ["bench", "--config", torchConfigFile, "--steps", $"{steps}"],
                    JepaSharp.Engine.Threading.WorkerPool.Shared.Threads, timeKey: "step_seconds");
                if (note != null) log?.Invoke(note);
                if (measured != null && (torch == null || measured["step_seconds"] < torch["step_seconds"])) torch = measured;
            }
        }
        finally
        {
            if (resolvedConfig != null) File.Delete(resolvedConfig);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        double arenaMb = step.ActivationPeakBytes / 1048576.0;
        double parametersMb = (model.EncoderParameters.Length * 4 + model.PredictorParameters.Length * 4 + model.TargetParameters.Length) * 4 / 1048576.0;
        double imagesPerSecond = d.ImagesPerStep / seconds;
        log?.Invoke($"jepa {configName}: {imagesPerSecond:F1} img/s ({seconds * 1e3:F1} ms/step), peak RSS {rss:F0} MB "
            + $"(activations of the last step {arenaMb:F0} MB, parameters with grads and AdamW moments {parametersMb:F0} MB), {allocated} managed bytes per step");

        IReadOnlyList<(string, double, double, double)>? rows = null;
        if (profile)
        {
            step.Graph.Profile = new OpProfile();
            for (int i = 0; i < 5; i++) Step();
            step.Graph.Reset();
            rows = step.Graph.Profile.Rows();
            step.Graph.Profile = null;
            foreach (var (op, fwd, bwd, calls) in rows)
                log?.Invoke($"  {op,-16} forward {fwd,7:F2} ms   backward {bwd,7:F2} ms   ({calls:F0} calls)");
        }

        double? torchIps = torch?["img_per_s"], torchRss = torch?["peak_rss_mb"];
        return new TrainBenchResult(configName, d.ImagesPerStep, Math.Round(imagesPerSecond, 1), Math.Round(seconds * 1e3, 1), Math.Round(rss),
            Math.Round(arenaMb), allocated, torchIps is { } t ? Math.Round(t, 1) : null, torchRss is { } r ? Math.Round(r) : null, torch?.Config,
            torchIps is { } ti ? Math.Round(imagesPerSecond / ti, 2) : null, torchRss is { } tr ? Math.Round(rss / tr, 2) : null, rows);
    }

    /// <summary>The YAML file behind a built-in config name (configs/NAME.yaml up from the binary) or the path itself.</summary>
    private static string? ConfigFile(string nameOrPath)
    {
        if (File.Exists(nameOrPath)) return Path.GetFullPath(nameOrPath);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "configs", nameOrPath + ".yaml");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
