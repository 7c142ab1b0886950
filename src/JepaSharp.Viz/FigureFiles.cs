namespace JepaSharp.Viz;

/// <summary>Atomic writes for figure and report files: a temp file beside the target, then a rename, so readers never see half a file.</summary>
public static class FigureFiles
{
    public static void WriteText(string path, string text)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder != null) Directory.CreateDirectory(folder);
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Writes a figure's SVG into <paramref name="outDir"/> and records it in the folder's figures.json.</summary>
    public static Figure Save(string outDir, Figure figure, string svg)
    {
        WriteText(Path.Combine(outDir, figure.File), svg);
        FigureManifest.Open(outDir).Add(figure);
        return figure;
    }
}
