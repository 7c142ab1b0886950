using JepaSharp.Viz.Raster;

namespace JepaSharp.Viz;

/// <summary>Writes figure files into a folder (atomically) and records each in the folder's <see cref="FigureManifest"/>.</summary>
public sealed class FigureWriter
{
    public const string Masking = "Masking", Attention = "Attention", Representations = "Representations", Predictions = "Predictions";

    private readonly FigureManifest manifest;
    private readonly List<Figure> written = new();

    public FigureWriter(string folder)
    {
        Folder = folder;
        manifest = FigureManifest.Open(folder);
    }

    public string Folder { get; }

    /// <summary>The figures written through this writer, in order.</summary>
    public IReadOnlyList<Figure> Written => written;

    public Figure SavePng(Canvas canvas, string file, string title, string caption, string section)
        => Save(canvas.EncodePng(), file, title, caption, section);

    public Figure Save(byte[] bytes, string file, string title, string caption, string section)
    {
        FileOutput.WriteAtomically(Path.Combine(Folder, file), bytes);
        var figure = new Figure(file, title, caption, section);
        manifest.Add(figure);
        written.Add(figure);
        return figure;
    }
}
