namespace JepaSharp.Data.Images;

public enum ImageFormat
{
    Unknown,
    Png,
    Jpeg,
}

/// <summary>Decodes PNG or JPEG files, recognised by their first bytes rather than their extension.</summary>
public static class ImageCodec
{
    public static ImageFormat DetectFormat(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(Png.Signature)) return ImageFormat.Png;
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat.Jpeg;
        return ImageFormat.Unknown;
    }

    public static ByteImage Load(string path) => Decode(File.ReadAllBytes(path), path);

    /// <param name="source">Names the data in error messages (usually its file path).</param>
    public static ByteImage Decode(ReadOnlySpan<byte> data, string source) => DetectFormat(data) switch
    {
        ImageFormat.Png => Png.Decode(data, source),
        ImageFormat.Jpeg => Jpeg.Decode(data, source),
        _ => throw new InvalidDataException(
            $"{source} is neither PNG nor JPEG (it starts with {Convert.ToHexString(data[..Math.Min(8, data.Length)])})"),
    };
}
