namespace JepaSharp.Viz.Raster;

/// <summary>Figure files appear complete or not at all: written to a temporary name, then renamed.</summary>
public static class FileOutput
{
    public static void WriteAtomically(string path, byte[] bytes)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
