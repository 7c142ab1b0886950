namespace JepaSharp.Data.Datasets;

public enum CifarVariant
{
    /// <summary>Records of 1 label byte + 3072 pixel bytes (files data_batch_1..5.bin, test_batch.bin).</summary>
    Cifar10,

    /// <summary>Records of a coarse and a fine label byte + 3072 pixel bytes (files train.bin, test.bin).</summary>
    Cifar100,
}

/// <summary>Which CIFAR-100 label <see cref="CifarDataset.Label"/> reports.</summary>
public enum CifarLabelKind
{
    Fine,
    Coarse,
}

/// <summary>
/// The binary versions of CIFAR-10 and CIFAR-100: fixed-size records of label byte(s) followed by
/// a 32×32 image stored as three 1024-byte planes (R, G, B). Records are held in memory,
/// converted once to interleaved RGB.
/// </summary>
public sealed class CifarDataset : ImageDataset
{
    public const int Side = 32;
    private const int PixelBytes = Side * Side * 3;

    public static IReadOnlyList<string> Cifar10ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private readonly byte[] _pixels;
    private readonly byte[] _fine;
    private readonly byte[] _coarse;
    private readonly string[] _classNames;

    public override string Name { get; }
    public override int Count { get; }
    public override int Channels => 3;
    public override int Height => Side;
    public override int Width => Side;
    public override IReadOnlyList<string> ClassNames => _classNames;

    public CifarVariant Variant { get; }
    public CifarLabelKind LabelKind { get; }
    public IReadOnlyList<string> Files { get; }

    /// <param name="files">Batch files, read in the given order.</param>
    /// <param name="classNames">Names by label; when null, CIFAR-10's known names or the labels' numbers.</param>
    public CifarDataset(IReadOnlyList<string> files, CifarVariant variant, CifarLabelKind labelKind = CifarLabelKind.Fine,
                        string? name = null, IReadOnlyList<string>? classNames = null)
    {
        if (files.Count == 0) throw new ArgumentException("a CIFAR dataset needs at least one batch file");
        if (variant == CifarVariant.Cifar10 && labelKind == CifarLabelKind.Coarse)
            throw new ArgumentException("CIFAR-10 has no coarse labels");
        Variant = variant;
        LabelKind = labelKind;
        Files = files.ToArray();
        Name = name ?? (variant == CifarVariant.Cifar10 ? "cifar10" : "cifar100");
        int labelBytes = variant == CifarVariant.Cifar10 ? 1 : 2;
        int recordBytes = labelBytes + PixelBytes;
        int classCount = variant == CifarVariant.Cifar10 ? 10 : labelKind == CifarLabelKind.Fine ? 100 : 20;

        long total = 0;
        foreach (var file in files)
        {
            var info = new FileInfo(file);
            if (!info.Exists) throw new FileNotFoundException($"CIFAR batch file {file} does not exist", file);
            if (info.Length == 0 || info.Length % recordBytes != 0)
            {
                string hint = info.Length % (PixelBytes + 3 - labelBytes) == 0 && info.Length > 0
                    ? $" (it fits {(variant == CifarVariant.Cifar10 ? "CIFAR-100" : "CIFAR-10")} records: wrong dataset?)"
                    : "";
                throw new InvalidDataException($"{file} has {info.Length} bytes, not a whole number of {recordBytes}-byte {variant} records{hint}");
            }
            total += info.Length / recordBytes;
        }
        if (total * PixelBytes > Array.MaxLength) throw new InvalidDataException($"{total} CIFAR images are more than one array can hold");
        Count = (int)total;
        _pixels = new byte[total * PixelBytes];
        _fine = new byte[total];
        _coarse = variant == CifarVariant.Cifar100 ? new byte[total] : [];

        int index = 0;
        var record = new byte[recordBytes];
        foreach (var file in files)
        {
            using var stream = File.OpenRead(file);
            int fileStart = index;
            while (stream.ReadAtLeast(record, recordBytes, throwOnEndOfStream: false) == recordBytes)
            {
                if (variant == CifarVariant.Cifar10)
                {
                    _fine[index] = record[0];
                }
                else
                {
                    _coarse[index] = record[0];
                    _fine[index] = record[1];
                    if (record[0] >= 20) throw BadLabel(file, index - fileStart, "coarse label", record[0], 20);
                }
                int fineLimit = variant == CifarVariant.Cifar10 ? 10 : 100;
                if (_fine[index] >= fineLimit) throw BadLabel(file, index - fileStart, "label", _fine[index], fineLimit);
                var planes = record.AsSpan(labelBytes);
                var pixels = _pixels.AsSpan(index * PixelBytes, PixelBytes);
                for (int p = 0; p < Side * Side; p++)
                {
                    pixels[p * 3] = planes[p];
                    pixels[p * 3 + 1] = planes[Side * Side + p];
                    pixels[p * 3 + 2] = planes[2 * Side * Side + p];
                }
                index++;
            }
        }
        if (index != Count) throw new InvalidDataException($"CIFAR files changed while being read ({index} of {Count} records read)");

        if (classNames is not null)
        {
            if (classNames.Count != classCount)
                throw new ArgumentException($"{Name} has {classCount} classes but {classNames.Count} names were given");
            _classNames = classNames.ToArray();
        }
        else
        {
            _classNames = variant == CifarVariant.Cifar10
                ? Cifar10ClassNames.ToArray()
                : Enumerable.Range(0, classCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
    }

    private static InvalidDataException BadLabel(string file, int index, string what, int value, int limit)
        => new($"{file}: record {index} has {what} {value}, but labels must be below {limit}");

    public override int Label(int index)
    {
        CheckIndex(index);
        return LabelKind == CifarLabelKind.Coarse ? _coarse[index] : _fine[index];
    }

    /// <summary>The CIFAR-100 superclass (0–19) of image <paramref name="index"/>.</summary>
    public int CoarseLabel(int index)
    {
        if (Variant != CifarVariant.Cifar100) throw new InvalidOperationException("CIFAR-10 has no coarse labels");
        CheckIndex(index);
        return _coarse[index];
    }

    public int FineLabel(int index)
    {
        CheckIndex(index);
        return _fine[index];
    }

    protected override void ReadValidated(int index, Span<byte> hwc) => _pixels.AsSpan(index * PixelBytes, PixelBytes).CopyTo(hwc);
}
