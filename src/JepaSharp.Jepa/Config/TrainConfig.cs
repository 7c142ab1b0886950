using System.Text;
using YamlDotNet.RepresentationModel;

namespace JepaSharp.Jepa.Config;

/// <summary>
/// A pretraining run's configuration, with the official I-JEPA schema's sections and key
/// names plus JepaSharp's own keys. Keys absent from a file keep the official ViT-H/14 values
/// (recipe §3.1; JepaSharp keys default to the official behaviour), so an official config
/// means here what it meant there. Typical use: <see cref="ConfigLoader.Load"/>, then
/// <see cref="ApplyOverrides"/>, <see cref="Validate"/>, and <see cref="Save"/> into the run folder.
/// </summary>
public sealed class TrainConfig
{
    private readonly Dictionary<string, long> _keyLines = new(StringComparer.Ordinal);
    private readonly HashSet<string> _overriddenKeys = new(StringComparer.Ordinal);
    private readonly List<string> _warnings = [];

    public TrainConfig() : this("(defaults)")
    {
    }

    internal TrainConfig(string sourceName)
    {
        SourceName = sourceName;
    }

    public DataConfig Data { get; } = new();
    public MaskConfig Mask { get; } = new();
    public MetaConfig Meta { get; } = new();
    public OptimizationConfig Optimization { get; } = new();
    public LoggingConfig Logging { get; } = new();

    /// <summary>The file (or built-in name) this config came from, as used in messages.</summary>
    public string SourceName { get; }

    /// <summary>
    /// Non-fatal findings: unknown keys kept inside a known section (from loading), and settings the config asks for
    /// that JepaSharp does not carry out (from the current values, overrides included).
    /// </summary>
    public IReadOnlyList<string> Warnings => [.. _warnings, .. ConfigValidator.FindNotices(this)];

    internal void RecordLine(string dottedKey, long line) => _keyLines[dottedKey] = line;

    /// <summary>Whether the file or a command-line override gave <paramref name="dottedKey"/> a value (else it holds its default).</summary>
    internal bool IsSet(string dottedKey) => _keyLines.ContainsKey(dottedKey) || _overriddenKeys.Contains(dottedKey);

    internal void AddWarning(string warning) => _warnings.Add(warning);

    /// <summary>
    /// Where a key's current value came from, for messages: <c>file:line</c>, the file alone
    /// (default value), or the command-line override that set it.
    /// </summary>
    internal string Locate(string dottedKey) =>
        _overriddenKeys.Contains(dottedKey) ? $"{SourceName} (overridden by --{dottedKey})"
        : _keyLines.TryGetValue(dottedKey, out long line) ? $"{SourceName}:{line}"
        : SourceName;

    /// <summary>
    /// Applies command-line <c>--section.key value</c> pairs. Each value is parsed as a YAML
    /// scalar or flow sequence (<c>0.5</c>, <c>null</c>, <c>[0.85,1.0]</c>) by the same rules as
    /// the file. Every pair is tried; if any key is unknown or any value bad, one exception
    /// lists them all (the good pairs stay applied, but callers abort on the exception anyway).
    /// </summary>
    /// <exception cref="ConfigException">Unknown keys (with close matches) or unparsable values.</exception>
    public void ApplyOverrides(IEnumerable<(string DottedKey, string Value)> overrides)
    {
        var problems = new List<string>();
        foreach (var (dottedKey, value) in overrides)
        {
            string where = $"{SourceName}: --{dottedKey} {value}";
            var key = ConfigSchema.Find(dottedKey);
            if (key is null)
            {
                problems.Add($"{where}: unknown key {dottedKey}; {Suggest(dottedKey)}");
                continue;
            }
            try
            {
                key.Read(this, ParseOverrideValue(value));
                _overriddenKeys.Add(dottedKey);
            }
            catch (FormatException e)
            {
                problems.Add($"{where}: {dottedKey}: {e.Message}");
            }
        }
        if (problems.Count > 0) throw new ConfigException(problems);
    }

    /// <summary>Checks every value and every relation between values (divisibility, ranges, warmup vs epochs…).</summary>
    /// <exception cref="ConfigException">Lists every problem found, each with file, line and key.</exception>
    public void Validate()
    {
        var problems = ConfigValidator.FindProblems(this);
        if (problems.Count > 0) throw new ConfigException(problems);
    }

    /// <summary>
    /// Writes the fully resolved config (every key, defaults included, unknown keys kept) so a
    /// run records exactly what it used. Atomic: a temporary file in the same folder is renamed
    /// over <paramref name="path"/>, so a crash never leaves a half-written config.
    /// </summary>
    public void Save(string path)
    {
        string fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        string temporary = $"{fullPath}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllText(temporary, ToYaml(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>The YAML text <see cref="Save"/> writes.</summary>
    public string ToYaml()
    {
        var root = new YamlMappingNode();
        foreach (string section in ConfigSchema.Sections)
        {
            var mapping = new YamlMappingNode();
            foreach (var key in ConfigSchema.Keys.Where(k => k.Section == section))
                mapping.Add(key.Name, key.Write(this));
            foreach (var (name, node) in ConfigSchema.SectionOf(this, section).Extra)
                mapping.Add(name, node);
            root.Add(section, mapping);
        }
        var writer = new StringWriter { NewLine = "\n" };
        writer.WriteLine($"# Resolved JepaSharp config (from {SourceName}): every key, defaults included.");
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        // The representation model always closes the document with "...", which is noise in a one-document file.
        string text = writer.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    private static YamlNode ParseOverrideValue(string value)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(value));
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidOperationException)
        {
            throw new FormatException($"not a valid YAML value ({e.Message})");
        }
        return stream.Documents.Count == 0 ? new YamlScalarNode("") : stream.Documents[0].RootNode;
    }

    internal static string Suggest(string dottedKey)
    {
        var close = ConfigSchema.ClosestKeys(dottedKey);
        if (close.Count > 0) return $"did you mean {string.Join(", ", close)}?";
        string section = dottedKey.Contains('.') ? dottedKey[..dottedKey.IndexOf('.')] : "";
        return ConfigSchema.Sections.Contains(section)
            ? $"keys of {section}: {string.Join(", ", ConfigSchema.Keys.Where(k => k.Section == section).Select(k => k.Name))}"
            : $"sections: {string.Join(", ", ConfigSchema.Sections)}";
    }
}
