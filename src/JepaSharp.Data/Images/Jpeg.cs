using System.Runtime.InteropServices;

namespace JepaSharp.Data.Images;

/// <summary>
/// JPEG decoding through Debian's libturbojpeg (package <c>libturbojpeg0</c>), loaded on first
/// use. Gray JPEGs decode to 1 channel, everything else to RGB.
/// </summary>
public static unsafe class Jpeg
{
    private const string LibraryName = "libturbojpeg.so.0";
    private const string DebianPackage = "libturbojpeg0";
    private const int PixelFormatRgb = 0, PixelFormatGray = 6;
    private const int ColorspaceGray = 2, ColorspaceCmyk = 3, ColorspaceYcck = 4;
    private const int ErrorWarning = 0;

    private sealed class Api
    {
        public required delegate* unmanaged<nint> InitDecompress;
        public required delegate* unmanaged<nint, byte*, CULong, int*, int*, int*, int*, int> DecompressHeader3;
        public required delegate* unmanaged<nint, byte*, CULong, byte*, int, int, int, int, int, int> Decompress2;
        public required delegate* unmanaged<nint, int> Destroy;
        public required delegate* unmanaged<nint, byte*> GetErrorStr2;
        public required delegate* unmanaged<nint, int> GetErrorCode;
    }

    private static readonly Lazy<Api?> Library = new(LoadLibrary);

    /// <summary>Whether libturbojpeg could be loaded.</summary>
    public static bool IsAvailable => Library.Value is not null;

    private static Api? LoadLibrary()
    {
        if (!NativeLibrary.TryLoad(LibraryName, out nint handle)) return null;
        nint Export(string name) => NativeLibrary.TryGetExport(handle, name, out nint address)
            ? address
            : throw new PlatformNotSupportedException($"{LibraryName} lacks {name}; libjpeg-turbo 2.0 or newer is needed (apt-get install {DebianPackage})");
        return new Api
        {
            InitDecompress = (delegate* unmanaged<nint>)Export("tjInitDecompress"),
            DecompressHeader3 = (delegate* unmanaged<nint, byte*, CULong, int*, int*, int*, int*, int>)Export("tjDecompressHeader3"),
            Decompress2 = (delegate* unmanaged<nint, byte*, CULong, byte*, int, int, int, int, int, int>)Export("tjDecompress2"),
            Destroy = (delegate* unmanaged<nint, int>)Export("tjDestroy"),
            // The handle-specific error calls, because tjGetErrorStr() is one global shared by all threads.
            GetErrorStr2 = (delegate* unmanaged<nint, byte*>)Export("tjGetErrorStr2"),
            GetErrorCode = (delegate* unmanaged<nint, int>)Export("tjGetErrorCode"),
        };
    }

    public static ByteImage Load(string path) => Decode(File.ReadAllBytes(path), path);

    /// <param name="source">Names the data in error messages (usually its file path).</param>
    public static ByteImage Decode(ReadOnlySpan<byte> data, string source = "JPEG data")
    {
        var api = Library.Value ?? throw new PlatformNotSupportedException(
            $"cannot decode {source}: JPEG support needs {LibraryName}, which is not installed (apt-get install {DebianPackage})");
        if (data.IsEmpty) throw new InvalidDataException($"{source} is empty");

        nint handle = api.InitDecompress();
        if (handle == 0) throw new InvalidOperationException($"cannot decode {source}: tjInitDecompress failed");
        try
        {
            fixed (byte* jpeg = data)
            {
                int width, height, subsampling, colorspace;
                if (api.DecompressHeader3(handle, jpeg, new CULong((nuint)data.Length), &width, &height, &subsampling, &colorspace) != 0)
                    throw new InvalidDataException($"{source} is not a readable JPEG: {ErrorText(api, handle)}");
                if (colorspace is ColorspaceCmyk or ColorspaceYcck)
                    throw new InvalidDataException($"{source} is a CMYK JPEG, which is not supported (convert it to RGB)");
                if (width <= 0 || height <= 0)
                    throw new InvalidDataException($"{source} is not a readable JPEG: it has no frame header (truncated?)");
                if ((long)width * height * 3 > int.MaxValue)
                    throw new InvalidDataException($"{source} declares an unsupported size {width}x{height}");

                int channels = colorspace == ColorspaceGray ? 1 : 3;
                var pixels = new byte[width * height * channels];
                fixed (byte* destination = pixels)
                {
                    int status = api.Decompress2(handle, jpeg, new CULong((nuint)data.Length), destination, width, width * channels, height,
                        channels == 1 ? PixelFormatGray : PixelFormatRgb, 0);
                    // Warnings (truncated data, corrupt segments) still fill the image, with gray
                    // where data was missing; refuse them rather than train on a damaged image.
                    if (status != 0)
                    {
                        string kind = api.GetErrorCode(handle) == ErrorWarning ? "is damaged" : "could not be decoded";
                        throw new InvalidDataException($"{source} {kind}: {ErrorText(api, handle)}");
                    }
                }
                return new ByteImage(width, height, channels, pixels);
            }
        }
        finally
        {
            api.Destroy(handle);
        }
    }

    private static string ErrorText(Api api, nint handle) => Marshal.PtrToStringUTF8((nint)api.GetErrorStr2(handle)) ?? "unknown libjpeg error";
}
