using JepaSharp.Data.Transforms;

namespace JepaSharp.Data.Datasets;

public enum DatasetSplit
{
    Train,
    Test,
}

/// <summary>Where one split of a named dataset was found: its folder and files in reading order.</summary>
public sealed record DatasetLocation(string Name, DatasetSplit Split, string Folder, IReadOnlyList<string> Files);

/// <summary>
/// Finds the named datasets (fashion-mnist, mnist, cifar10, cifar100) on disk: first in the user
/// folder (an explicit root, else $JEPA_DATA, else ~/.local/share/jepa/datasets), then in Debian's
/// /usr/share/datasets/&lt;name&gt;. In the user folder it accepts the files in a &lt;name&gt;
/// subfolder, in the folder the official archive extracts to, or directly.
/// </summary>
public static class DatasetLocator
{
    public const string DebianRoot = "/usr/share/datasets";

    private sealed record Entry(
        string Name,
        string Title,
        string? ArchiveFolder,
        Func<DatasetSplit, string[][]> RequiredFiles,
        string? DebianPackage,
        string Source,
        Normalization Normalization);

    private static readonly Entry[] Entries =
    [
        new("fashion-mnist", "Fashion-MNIST", null, IdxFiles, "dataset-fashion-mnist",
            "https://github.com/zalandoresearch/fashion-mnist (the four *-ubyte.gz files under data/fashion)", Normalization.FashionMnist),
        new("mnist", "MNIST", null, IdxFiles, null,
            "https://ossci-datasets.s3.amazonaws.com/mnist/ (the four *-ubyte.gz files, torchvision's mirror)", Normalization.Mnist),
        new("cifar10", "CIFAR-10", "cifar-10-batches-bin", CifarTenFiles, null,
            "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (the binary version)", Normalization.Cifar10),
        new("cifar100", "CIFAR-100", "cifar-100-binary", CifarHundredFiles, null,
            "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz (the binary version)", Normalization.Cifar100),
    ];

    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    public static IReadOnlyList<string> FashionMnistClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>$JEPA_DATA when set, else ~/.local/share/jepa/datasets.</summary>
    public static string DefaultUserRoot
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("JEPA_DATA");
            if (!string.IsNullOrEmpty(env)) return env;
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
                                "jepa", "datasets");
        }
    }

    /// <summary>Each required file as its accepted spellings (the first existing one is used).</summary>
    private static string[][] IdxFiles(DatasetSplit split)
    {
        string prefix = split == DatasetSplit.Train ? "train" : "t10k";
        return [Spellings($"{prefix}-images", "idx3-ubyte"), Spellings($"{prefix}-labels", "idx1-ubyte")];

        static string[] Spellings(string stem, string kind)
            => [$"{stem}-{kind}.gz", $"{stem}-{kind}", $"{stem}.{kind}.gz", $"{stem}.{kind}"];
    }

    private static string[][] CifarTenFiles(DatasetSplit split) => split == DatasetSplit.Train
        ? Enumerable.Range(1, 5).Select(i => new[] { $"data_batch_{i}.bin" }).ToArray()
        : [["test_batch.bin"]];

    private static string[][] CifarHundredFiles(DatasetSplit split) => [[split == DatasetSplit.Train ? "train.bin" : "test.bin"]];

    private static Entry Find(string name)
    {
        string key = name.Trim().ToLowerInvariant().Replace("_", "-");
        if (key == "cifar-10") key = "cifar10";
        if (key == "cifar-100") key = "cifar100";
        return Entries.FirstOrDefault(e => e.Name == key)
               ?? throw new ArgumentException($"unknown dataset '{name}'; known datasets: {string.Join(", ", Names)}");
    }

    /// <summary>The canonical spelling of a dataset name (accepts e.g. "cifar-10", "fashion_mnist").</summary>
    public static string CanonicalName(string name) => Find(name).Name;

    public static DatasetSplit ParseSplit(string split) => split.Trim().ToLowerInvariant() switch
    {
        "train" => DatasetSplit.Train,
        "test" or "t10k" or "val" => DatasetSplit.Test,
        _ => throw new ArgumentException($"unknown split '{split}'; use train or test"),
    };

    /// <summary>The Debian package that installs the dataset, or null when Debian has none.</summary>
    public static string? DebianPackage(string name) => Find(name).DebianPackage;

    /// <summary>The pixel statistics of the dataset's training split.</summary>
    public static Normalization DefaultNormalization(string name) => Find(name).Normalization;

    /// <summary>The folders searched, in order.</summary>
    public static IReadOnlyList<string> SearchFolders(string name, string? root = null)
    {
        var entry = Find(name);
        string user = root ?? DefaultUserRoot;
        string debian = Path.Combine(DebianRoot, entry.Name);
        var folders = new List<string> { Path.Combine(user, entry.Name) };
        if (entry.ArchiveFolder is { } archive)
        {
            folders.Add(Path.Combine(user, entry.Name, archive));
            folders.Add(Path.Combine(user, archive));
        }
        folders.Add(user);
        folders.Add(debian);
        if (entry.ArchiveFolder is { } debianArchive) folders.Add(Path.Combine(debian, debianArchive));
        return folders;
    }

    public static DatasetLocation? TryLocate(string name, DatasetSplit split, string? root = null)
    {
        var entry = Find(name);
        var required = entry.RequiredFiles(split);
        foreach (var folder in SearchFolders(name, root))
        {
            if (!Directory.Exists(folder)) continue;
            var files = required.Select(spellings => spellings.Select(s => Path.Combine(folder, s)).FirstOrDefault(File.Exists)).ToArray();
            if (files.All(f => f is not null)) return new DatasetLocation(entry.Name, split, folder, files!);
        }
        return null;
    }

    /// <summary>Like <see cref="TryLocate"/>, but a missing dataset is a <see cref="FileNotFoundException"/> that says how to get it.</summary>
    public static DatasetLocation Locate(string name, DatasetSplit split, string? root = null)
    {
        var location = TryLocate(name, split, root);
        if (location is not null) return location;

        var entry = Find(name);
        var required = entry.RequiredFiles(split);
        foreach (var folder in SearchFolders(name, root))
        {
            if (!Directory.Exists(folder)) continue;
            var present = required.Where(spellings => spellings.Any(s => File.Exists(Path.Combine(folder, s)))).ToArray();
            if (present.Length > 0)
            {
                var missing = required.Except(present).Select(s => s[0]);
                throw new FileNotFoundException(
                    $"{entry.Title} {Lower(split)} split in {folder} is incomplete: missing {string.Join(", ", missing)}. {HowToGet(entry.Name)}");
            }
        }
        throw new FileNotFoundException(
            $"{entry.Title} {Lower(split)} split not found (searched {string.Join(", ", SearchFolders(name, root))}). {HowToGet(entry.Name)}");
    }

    /// <summary>One or two sentences telling the user how to obtain the dataset.</summary>
    public static string HowToGet(string name)
    {
        var entry = Find(name);
        string target = Path.Combine(DefaultUserRoot, entry.Name);
        string files = string.Join(", ", entry.RequiredFiles(DatasetSplit.Train).Concat(entry.RequiredFiles(DatasetSplit.Test)).Select(s => s[0]));
        if (entry.DebianPackage is { } package)
            return $"Get it with `./jepa data get {entry.Name}` (that is, `apt-get install {package}`), or download it from {entry.Source} into {target}.";
        return $"Download it from {entry.Source} and put {files} into {target} (or pass --root).";
    }

    /// <summary>Opens a located dataset split.</summary>
    public static ImageDataset Open(string name, DatasetSplit split, string? root = null)
    {
        var location = Locate(name, split, root);
        string label = $"{location.Name} {Lower(split)}";
        return location.Name switch
        {
            "fashion-mnist" => new IdxDataset(location.Files[0], location.Files[1], label, FashionMnistClassNames),
            "mnist" => new IdxDataset(location.Files[0], location.Files[1], label),
            "cifar10" => new CifarDataset(location.Files, CifarVariant.Cifar10, CifarLabelKind.Fine, label,
                ReadNames(Path.Combine(location.Folder, "batches.meta.txt"), 10)),
            _ => new CifarDataset(location.Files, CifarVariant.Cifar100, CifarLabelKind.Fine, label,
                ReadNames(Path.Combine(location.Folder, "fine_label_names.txt"), 100)),
        };
    }

    /// <summary>Class names from the archive's text file, one per line, when it exists and has the expected count.</summary>
    private static string[]? ReadNames(string path, int count)
    {
        if (!File.Exists(path)) return null;
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != count)
            throw new InvalidDataException($"{path} lists {names.Length} class names, expected {count}");
        return names;
    }

    private static string Lower(DatasetSplit split) => split == DatasetSplit.Train ? "train" : "test";
}
