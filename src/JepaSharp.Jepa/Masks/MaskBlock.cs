namespace JepaSharp.Jepa.Masks;

/// <summary>A rectangle of patches on the grid: rows [Top, Top + Height), columns [Left, Left + Width).</summary>
public readonly record struct MaskBlock(int Top, int Left, int Height, int Width)
{
    public int Area => Height * Width;

    public bool Contains(int row, int column) =>
        row >= Top && row < Top + Height && column >= Left && column < Left + Width;
}
