using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using JepaSharp.Data.Datasets;
using JepaSharp.Data.Loading;
using JepaSharp.Data.Transforms;

namespace JepaSharp.Cli;

/// <summary>
/// <c>jepa data …</c>: obtain the named datasets, inspect them, and time the batch loader.
/// </summary>
public static class DataCommands
{
    private const string NameHelp = "fashion-mnist, mnist, cifar10 or cifar100";

    public static Command Create()
    {
        var data = new Command("data", "Obtain and inspect datasets.");
        data.Subcommands.Add(Get());
        data.Subcommands.Add(Info());
        data.Subcommands.Add(Bench());
        return data;
    }

    private static Option<string?> RootOption() => new("--root")
    {
        Description = $"Folder searched before {DatasetLocator.DebianRoot}/<name> (default: $JEPA_DATA or ~/.local/share/jepa/datasets).",
    };

    private static Command Get()
    {
        var name = new Argument<string>("name") { Description = NameHelp };
        var root = RootOption();
        var cmd = new Command("get", "Install a dataset with apt-get where Debian packages it, else say where to put its files.") { name, root };
        cmd.SetAction(parse => Ensure(DatasetLocator.CanonicalName(parse.GetValue(name)!), parse.GetValue(root)));
        return cmd;
    }

    /// <summary>Makes a named dataset available: nothing when present, apt-get when Debian packages it and we are root, else instructions (exit code 1).</summary>
    public static int Ensure(string dataset, string? rootFolder)
    {
        if (Present(dataset, rootFolder)) return 0;

        if (DatasetLocator.DebianPackage(dataset) is not { } package || !AptHasCandidate(package))
        {
            if (DatasetLocator.DebianPackage(dataset) is { } unlisted)
                Console.WriteLine($"apt does not list {unlisted}; run `apt-get update` first, or get the files by hand.");
            Console.WriteLine(DatasetLocator.HowToGet(dataset));
            return 1;
        }
        if (!Environment.IsPrivilegedProcess)
        {
            Console.WriteLine($"{dataset} comes from the Debian package {package}. Install it with:");
            Console.WriteLine($"  sudo apt-get install {package}");
            return 1;
        }
        Console.WriteLine($"installing {package} …");
        int status = RunProcess("apt-get", "install", "-y", package);
        if (status != 0)
        {
            Console.Error.WriteLine($"error: apt-get install {package} failed (exit code {status})");
            return 1;
        }
        return Present(dataset, rootFolder) ? 0 : Fail($"{package} is installed but {dataset} is still not found; try `jepa data info {dataset}`");
    }

    private static Command Info()
    {
        var name = new Argument<string>("name") { Description = $"{NameHelp}, or an image folder (root/<class>/*.png|jpg)" };
        var root = RootOption();
        var size = new Option<int>("--size") { Description = "Image folders only: the side images are resized to.", DefaultValueFactory = _ => 224 };
        var channels = new Option<int>("--channels") { Description = "Image folders only: 1 (gray) or 3 (RGB).", DefaultValueFactory = _ => 3 };
        var cmd = new Command("info", "Show a dataset's size, image shape, classes and files.") { name, root, size, channels };
        cmd.SetAction(parse =>
        {
            string target = parse.GetValue(name)!;
            if (!DatasetLocator.Names.Contains(target, StringComparer.OrdinalIgnoreCase) && Directory.Exists(target))
            {
                int side = parse.GetValue(size);
                var folder = new ImageFolderDataset(target, side, side, parse.GetValue(channels));
                Describe(folder, [folder.Root], null);
                return 0;
            }

            string dataset = DatasetLocator.CanonicalName(target);
            string? rootFolder = parse.GetValue(root);
            bool any = false;
            foreach (var split in Enum.GetValues<DatasetSplit>())
            {
                if (DatasetLocator.TryLocate(dataset, split, rootFolder) is not { } location)
                {
                    Console.WriteLine($"{dataset} {split.ToString().ToLowerInvariant()}: not found");
                    continue;
                }
                any = true;
                Describe(DatasetLocator.Open(dataset, split, rootFolder), location.Files, DatasetLocator.DefaultNormalization(dataset));
            }
            if (!any) throw new FileNotFoundException($"{dataset} not found (searched {string.Join(", ", DatasetLocator.SearchFolders(dataset, rootFolder))}). {DatasetLocator.HowToGet(dataset)}");
            return 0;
        });
        return cmd;
    }

    private static Command Bench()
    {
        var name = new Argument<string>("name") { Description = NameHelp };
        var root = RootOption();
        var batch = new Option<int>("--batch") { Description = "Images per batch.", DefaultValueFactory = _ => 128 };
        var batches = new Option<int>("--batches") { Description = "Batches timed after warm-up.", DefaultValueFactory = _ => 400 };
        var workers = new Option<int>("--workers") { Description = "Background threads building batches.", DefaultValueFactory = _ => 1 };
        var crop = new Option<int>("--crop") { Description = "RandomResizedCrop to this side (0: normalize only).", DefaultValueFactory = _ => 0 };
        var cmd = new Command("bench", "Measure batch loader throughput (images/s) on a dataset's train split.") { name, root, batch, batches, workers, crop };
        cmd.SetAction(parse =>
        {
            string dataset = DatasetLocator.CanonicalName(parse.GetValue(name)!);
            int timedBatches = parse.GetValue(batches);
            if (timedBatches <= 0) throw new ArgumentException($"--batches must be positive, got {timedBatches}");
            var load = Stopwatch.StartNew();
            var data = DatasetLocator.Open(dataset, DatasetSplit.Train, parse.GetValue(root));
            Console.WriteLine($"{data} (loaded in {load.Elapsed.TotalSeconds:F2} s)");

            var normalization = DatasetLocator.DefaultNormalization(dataset);
            int side = parse.GetValue(crop);
            var pipeline = side > 0 ? ImagePipeline.Train(side, normalization) : ImagePipeline.NormalizeOnly(normalization);
            var options = new BatchLoaderOptions { BatchSize = parse.GetValue(batch), Workers = parse.GetValue(workers), Seed = 0 };
            using var loader = new BatchLoader(data, pipeline, options);
            const int WarmupBatches = 20;
            for (int i = 0; i < WarmupBatches; i++) loader.Next();
            long images = 0;
            var timer = Stopwatch.StartNew();
            for (int i = 0; i < timedBatches; i++) images += loader.Next().Count;
            double seconds = timer.Elapsed.TotalSeconds;
            Console.WriteLine($"pipeline: {pipeline}");
            Console.WriteLine($"{images} images in {seconds:F3} s with {options.Workers} worker(s), batch {options.BatchSize}: {images / seconds:F0} images/s");
            return 0;
        });
        return cmd;
    }

    private static bool Present(string dataset, string? root)
    {
        var train = DatasetLocator.TryLocate(dataset, DatasetSplit.Train, root);
        var test = DatasetLocator.TryLocate(dataset, DatasetSplit.Test, root);
        if (train is null || test is null) return false;
        Console.WriteLine($"{dataset} is available: train in {train.Folder}, test in {test.Folder}");
        return true;
    }

    private static void Describe(IImageDataset dataset, IReadOnlyList<string> files, Normalization? normalization)
    {
        Console.WriteLine($"{dataset.Name}: {dataset.Count} images, shape {dataset.Channels}x{dataset.Height}x{dataset.Width} (CxHxW)");
        Console.WriteLine($"  files: {string.Join(Environment.NewLine + "         ", files)}");
        if (normalization is not null) Console.WriteLine($"  normalization: {normalization}");
        if (dataset.ClassCount == 0)
        {
            Console.WriteLine("  unlabelled");
            return;
        }
        var perClass = new int[dataset.ClassCount];
        for (int i = 0; i < dataset.Count; i++) perClass[dataset.Label(i)]++;
        Console.WriteLine($"  {dataset.ClassCount} classes:");
        for (int c = 0; c < dataset.ClassCount; c++)
            Console.WriteLine($"    {c,3} {dataset.ClassNames[c],-24} {perClass[c],7} images");
    }

    /// <summary>Whether apt knows an installable version of <paramref name="package"/> (false when apt is absent).</summary>
    private static bool AptHasCandidate(string package)
    {
        try
        {
            var info = new ProcessStartInfo("apt-cache") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add("policy");
            info.ArgumentList.Add(package);
            using var process = Process.Start(info)!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 && output.Contains("Candidate:", StringComparison.Ordinal) && !output.Contains("Candidate: (none)", StringComparison.Ordinal);
        }
        catch (Win32Exception)
        {
            return false;
        }
    }

    private static int RunProcess(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        try
        {
            using var process = Process.Start(info)!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run {program}: {e.Message}", e);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
