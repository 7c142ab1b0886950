using System.Text.Json;
using System.Text.Json.Serialization;

namespace JepaSharp.Viz;

/// <summary>One picture a visualization wrote: its file (relative to the manifest's folder), and the words the report shows beside it.</summary>
public sealed record Figure(string File, string Title, string Caption, string Section);

/// <summary>
/// The <c>figures.json</c> index of a visualization folder. Every figure writer records what it wrote here, so
/// <c>jepa report</c> can gather figures made by any command without knowing which ones ran. Written atomically;
/// a figure recorded again under the same file replaces the older entry.
/// </summary>
public sealed class FigureManifest
{
    public const string FileName = "figures.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly List<Figure> figures;

    private FigureManifest(string folder, List<Figure> figures)
    {
        Folder = folder;
        this.figures = figures;
    }

    public string Folder { get; }
    public IReadOnlyList<Figure> Figures => figures;

    /// <summary>The manifest of <paramref name="folder"/>, empty when the folder has none yet.</summary>
    public static FigureManifest Open(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!System.IO.File.Exists(path)) return new FigureManifest(folder, []);
        try
        {
            var list = JsonSerializer.Deserialize<List<Figure>>(System.IO.File.ReadAllText(path), Json)
                ?? throw new InvalidDataException("the file holds null");
            return new FigureManifest(folder, list);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a figure manifest: {e.Message}", e);
        }
    }

    /// <summary>Records a figure and saves the manifest.</summary>
    public void Add(Figure figure)
    {
        int existing = figures.FindIndex(f => f.File == figure.File);
        if (existing >= 0) figures[existing] = figure;
        else figures.Add(figure);
        Save();
    }

    private void Save()
    {
        Directory.CreateDirectory(Folder);
        string path = Path.Combine(Folder, FileName);
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        System.IO.File.WriteAllText(temp, JsonSerializer.Serialize(figures, Json));
        System.IO.File.Move(temp, path, overwrite: true);
    }
}
