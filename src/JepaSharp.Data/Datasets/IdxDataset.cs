using System.IO.Compression;

namespace JepaSharp.Data.Datasets;

/// <summary>
/// MNIST-style IDX files (images idx3 [N, H, W] or idx4 [N, H, W, C], labels idx1 [N]), raw or
/// gzip-compressed (detected from the content). The whole dataset is held in memory as bytes,
/// which for Fashion-MNIST is 47 MB and makes every read a copy.
/// </summary>
public sealed class IdxDataset : ImageDataset
{
    private const byte UnsignedByteType = 0x08;

    private readonly byte[] _pixels;
    private readonly byte[]? _labels;
    private readonly string[] _classNames;

    public override string Name { get; }
    public override int Count { get; }
    public override int Channels { get; }
    public override int Height { get; }
    public override int Width { get; }
    public override IReadOnlyList<string> ClassNames => _classNames;

    public string ImagesPath { get; }
    public string? LabelsPath { get; }

    /// <param name="labelsPath">The idx1 label file, or null for an unlabelled dataset.</param>
    /// <param name="classNames">Names by label; without them the labels' numbers are used.</param>
    public IdxDataset(string imagesPath, string? labelsPath, string? name = null, IReadOnlyList<string>? classNames = null)
    {
        ImagesPath = imagesPath;
        LabelsPath = labelsPath;
        Name = name ?? Path.GetFileName(imagesPath);

        var (imageDims, pixels) = ReadIdx(imagesPath);
        if (imageDims.Length is not (3 or 4))
            throw new InvalidDataException($"{imagesPath} is not an image file: it has {imageDims.Length} dimensions, expected 3 (N, H, W) or 4 (N, H, W, C)");
        Count = imageDims[0];
        Height = imageDims[1];
        Width = imageDims[2];
        Channels = imageDims.Length == 4 ? imageDims[3] : 1;
        if (Height == 0 || Width == 0 || Channels is not (1 or 3))
            throw new InvalidDataException($"{imagesPath} holds {Height}x{Width}x{Channels} images; expected a positive size and 1 or 3 channels");
        _pixels = pixels;

        if (labelsPath is null)
        {
            _classNames = [];
            return;
        }
        var (labelDims, labels) = ReadIdx(labelsPath);
        if (labelDims.Length != 1)
            throw new InvalidDataException($"{labelsPath} is not a label file: it has {labelDims.Length} dimensions, expected 1");
        if (labelDims[0] != Count)
            throw new InvalidDataException($"{labelsPath} has {labelDims[0]} labels but {imagesPath} has {Count} images");
        _labels = labels;
        int maxLabel = Count == 0 ? -1 : labels.Max();
        if (classNames is not null)
        {
            if (maxLabel >= classNames.Count)
                throw new InvalidDataException($"{labelsPath} contains label {maxLabel} but only {classNames.Count} class names were given");
            _classNames = classNames.ToArray();
        }
        else
        {
            _classNames = Enumerable.Range(0, maxLabel + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
    }

    public override int Label(int index)
    {
        CheckIndex(index);
        return _labels is null ? -1 : _labels[index];
    }

    protected override void ReadValidated(int index, Span<byte> hwc) => _pixels.AsSpan(index * ImageBytes, ImageBytes).CopyTo(hwc);

    /// <summary>Reads an unsigned-byte IDX file: its dimensions and exactly the data they describe.</summary>
    internal static (int[] Dims, byte[] Data) ReadIdx(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file {path} does not exist", path);
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[2];
        int peeked = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        bool gzip = peeked == 2 && head[0] == 0x1F && head[1] == 0x8B;
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            return ReadIdx(stream, path + (gzip ? " (gzip)" : ""));
        }
        catch (InvalidDataException e) when (gzip && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path} is a corrupt gzip file: {e.Message}", e);
        }
    }

    private static (int[] Dims, byte[] Data) ReadIdx(Stream stream, string source)
    {
        Span<byte> magic = stackalloc byte[4];
        if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4)
            throw new InvalidDataException($"{source} is too short to be an IDX file");
        if (magic[0] != 0 || magic[1] != 0)
            throw new InvalidDataException($"{source} is not an IDX file (magic {Convert.ToHexString(magic)}, expected 0000 then type and rank)");
        if (magic[2] != UnsignedByteType)
            throw new InvalidDataException($"{source} stores IDX element type 0x{magic[2]:X2}; only unsigned bytes (0x08) are supported");
        int rank = magic[3];
        if (rank is < 1 or > 4) throw new InvalidDataException($"{source} declares {rank} dimensions; 1 to 4 are supported");

        var dims = new int[rank];
        Span<byte> word = stackalloc byte[4];
        long total = 1;
        for (int d = 0; d < rank; d++)
        {
            if (stream.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
                throw new InvalidDataException($"{source} is truncated inside its header");
            uint size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(word);
            if (size > int.MaxValue) throw new InvalidDataException($"{source} declares dimension {d} of size {size}");
            dims[d] = (int)size;
            // Checked per dimension so four large sizes cannot overflow the product.
            if (size != 0 && total > Array.MaxLength / size)
                throw new InvalidDataException($"{source} declares dimensions {string.Join("x", dims[..(d + 1)])}…, more bytes than one array can hold");
            total *= size;
        }
        if (stream.CanSeek && total > stream.Length - stream.Position)
            throw new InvalidDataException($"{source} is truncated: its header declares {string.Join("x", dims)} = {total} bytes of data but only {stream.Length - stream.Position} follow");

        int read = ReadUpTo(stream, total, out var data);
        if (read < total)
            throw new InvalidDataException($"{source} is truncated: its header declares {string.Join("x", dims)} = {total} bytes of data but only {read} follow");
        if (stream.ReadByte() >= 0)
            throw new InvalidDataException($"{source} has data beyond the {string.Join("x", dims)} its header declares");
        return (dims, data);
    }

    // Reads up to `total` bytes, growing the buffer as data actually arrives, so a short (or
    // gzip) file declaring gigabytes costs what it holds, not what it claims.
    private static int ReadUpTo(Stream stream, long total, out byte[] data)
    {
        const int InitialBytes = 1 << 24;
        data = new byte[Math.Min(total, InitialBytes)];
        int read = 0;
        while (true)
        {
            read += stream.ReadAtLeast(data.AsSpan(read), data.Length - read, throwOnEndOfStream: false);
            if (read < data.Length || data.Length == total) return read;
            Array.Resize(ref data, (int)Math.Min(total, 2L * data.Length));
        }
    }
}
