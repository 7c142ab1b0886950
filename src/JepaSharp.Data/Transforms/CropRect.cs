namespace JepaSharp.Data.Transforms;

/// <summary>A crop window in pixels: rows [Top, Top + Height), columns [Left, Left + Width).</summary>
public readonly record struct CropRect(int Top, int Left, int Height, int Width)
{
    public static CropRect Full(int height, int width) => new(0, 0, height, width);

    /// <summary>torchvision's <c>CenterCrop</c> window: offsets rounded half to even, as Python's round does.</summary>
    public static CropRect Center(int imageHeight, int imageWidth, int height, int width)
    {
        if (height <= 0 || width <= 0 || height > imageHeight || width > imageWidth)
            throw new ArgumentException($"a {height}x{width} center crop does not fit a {imageHeight}x{imageWidth} image");
        return new((int)Math.Round((imageHeight - height) / 2.0), (int)Math.Round((imageWidth - width) / 2.0), height, width);
    }

    public bool FitsIn(int imageHeight, int imageWidth)
        => Top >= 0 && Left >= 0 && Height > 0 && Width > 0 && Top + Height <= imageHeight && Left + Width <= imageWidth;
}
