using JepaSharp.Data.Images;
using JepaSharp.Data.Transforms;

namespace JepaSharp.Data.Datasets;

/// <summary>How <see cref="ImageFolderDataset"/> brings images of any size to its fixed size.</summary>
public enum FolderResize
{
    /// <summary>Resize the largest centred window with the target's aspect ratio (no distortion).</summary>
    CenterCrop,

    /// <summary>Resize the whole image, distorting its aspect ratio.</summary>
    Stretch,
}

/// <summary>
/// Images in a folder, decoded at read time (PNG or JPEG, recognised by content) and resized to a
/// fixed size. Labelled layout: root/&lt;class&gt;/**/*.png|jpg|jpeg with classes sorted ordinally
/// (torchvision's ImageFolder); unlabelled layout: image files directly in root and no subfolders.
/// </summary>
public sealed class ImageFolderDataset : ImageDataset
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    private readonly string[] _files;
    private readonly int[] _labels;
    private readonly string[] _classNames;

    public override string Name { get; }
    public override int Count => _files.Length;
    public override int Channels { get; }
    public override int Height { get; }
    public override int Width { get; }
    public override IReadOnlyList<string> ClassNames => _classNames;

    public string Root { get; }
    public FolderResize ResizeMode { get; }
    public IReadOnlyList<string> Files => _files;

    /// <param name="channels">1 (gray) or 3 (RGB); images are converted as PIL's convert() would.</param>
    public ImageFolderDataset(string root, int height, int width, int channels = 3, FolderResize resize = FolderResize.CenterCrop, string? name = null)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"image folder {root} does not exist");
        if (height <= 0 || width <= 0) throw new ArgumentException($"image size {height}x{width} must be positive");
        if (channels is not (1 or 3)) throw new ArgumentException($"image folders load 1 or 3 channels, not {channels}");
        Root = root;
        Height = height;
        Width = width;
        Channels = channels;
        ResizeMode = resize;
        Name = name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)));

        var classDirectories = Directory.GetDirectories(root).Order(StringComparer.Ordinal).ToArray();
        var files = new List<string>();
        var labels = new List<int>();
        if (classDirectories.Length == 0)
        {
            files.AddRange(ImagesIn(root, SearchOption.TopDirectoryOnly));
            _classNames = [];
            labels.AddRange(Enumerable.Repeat(-1, files.Count));
        }
        else
        {
            var loose = ImagesIn(root, SearchOption.TopDirectoryOnly);
            if (loose.Length > 0)
                throw new InvalidDataException($"{root} mixes class folders with loose images such as {loose[0]}; use either root/<class>/images or a flat folder of images");
            _classNames = classDirectories.Select(Path.GetFileName).ToArray()!;
            for (int label = 0; label < classDirectories.Length; label++)
            {
                var classFiles = ImagesIn(classDirectories[label], SearchOption.AllDirectories);
                if (classFiles.Length == 0)
                    throw new InvalidDataException($"class folder {classDirectories[label]} contains no .png, .jpg or .jpeg files");
                files.AddRange(classFiles);
                labels.AddRange(Enumerable.Repeat(label, classFiles.Length));
            }
        }
        if (files.Count == 0) throw new InvalidDataException($"{root} contains no .png, .jpg or .jpeg files");
        _files = files.ToArray();
        _labels = labels.ToArray();
    }

    private static string[] ImagesIn(string folder, SearchOption option)
        => Directory.EnumerateFiles(folder, "*", option)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToArray();

    public override int Label(int index)
    {
        CheckIndex(index);
        return _labels[index];
    }

    protected override void ReadValidated(int index, Span<byte> hwc)
    {
        var image = ImageCodec.Load(_files[index]).ToChannels(Channels);
        var crop = ResizeMode == FolderResize.Stretch ? CropRect.Full(image.Height, image.Width) : AspectWindow(image.Height, image.Width);
        if (crop == CropRect.Full(Height, Width))
            image.Pixels.CopyTo(hwc);
        else
            Resize.Bilinear(image.Pixels, image.Height, image.Width, Channels, crop, Height, Width).CopyTo(hwc);
    }

    /// <summary>The largest centred window of a <paramref name="height"/>×<paramref name="width"/> image with this dataset's aspect ratio.</summary>
    private CropRect AspectWindow(int height, int width)
    {
        if ((long)width * Height > (long)height * Width)
            return CropRect.Center(height, width, height, Math.Max(1, (int)Math.Round((double)height * Width / Height)));
        return CropRect.Center(height, width, Math.Max(1, (int)Math.Round((double)width * Height / Width)), width);
    }
}
