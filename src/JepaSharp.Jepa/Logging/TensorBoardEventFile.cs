using JepaSharp.Data.Images;

namespace JepaSharp.Jepa.Logging;

/// <summary>One <c>simple_value</c> scalar summary read from an event file.</summary>
/// <param name="WallTime">Seconds since the Unix epoch when the event was written.</param>
public readonly record struct TensorBoardScalar(double WallTime, long Step, string Tag, float Value);

/// <summary>One image summary read from an event file.</summary>
/// <param name="Colorspace">Summary.Image's code: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.</param>
/// <param name="EncodedImage">The image file as stored (PNG for files this library writes).</param>
public sealed record TensorBoardImage(double WallTime, long Step, string Tag, int Width, int Height, int Colorspace, byte[] EncodedImage)
{
    public ByteImage Decode() => ImageCodec.Decode(EncodedImage, $"image summary '{Tag}' at step {Step}");
}

/// <summary>What <see cref="TensorBoardReader.Read"/> found in an event file.</summary>
/// <param name="FileVersion">The first event's <c>file_version</c> (<c>brain.Event:2</c>), or null when reading started past it.</param>
/// <param name="EventCount">Events read, the file-version event included.</param>
/// <param name="EndOffset">
/// The byte offset just past the last whole, valid record: where reading stopped, and where a
/// later read of a file that is still being written can resume.
/// </param>
/// <param name="TailProblem">
/// Why the bytes after <paramref name="EndOffset"/> were ignored (a last record cut short or
/// failing its CRC, as a killed writer leaves behind), or null when the file ends on a record boundary.
/// </param>
public sealed record TensorBoardEventFile(
    string Path,
    string? FileVersion,
    int EventCount,
    IReadOnlyList<TensorBoardScalar> Scalars,
    IReadOnlyList<TensorBoardImage> Images,
    long EndOffset,
    string? TailProblem);
