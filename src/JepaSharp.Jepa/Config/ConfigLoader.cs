using System.Reflection;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace JepaSharp.Jepa.Config;

/// <summary>
/// Reads configs. Unknown keys: inside one of the five known sections they are kept
/// (<see cref="ConfigSection.ExtraKeys"/>) with a warning, because forks of the official code
/// add keys there and the run record should keep them; an unknown top-level section is an
/// error, because it almost always is a typo or a config for some other program.
/// </summary>
public static class ConfigLoader
{
    private const string ResourcePrefix = "JepaSharp.Jepa.Config.BuiltIn.";
    private const string ConfigFolder = "configs";

    /// <summary>Names accepted by <see cref="Load"/> without a path: the YAML files of the repository's configs/ folder.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = typeof(ConfigLoader).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..^".yaml".Length])
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// Loads a built-in config by name (<c>fmnist-tiny</c>: a bare name without folder or
    /// extension) or a YAML file by path. A built-in name is read from <c>configs/&lt;name&gt;.yaml</c>
    /// in the first ancestor of the application folder that has one (so edits in a checkout take
    /// effect), else from the copy embedded at build time (so the CLI works from anywhere).
    /// </summary>
    /// <exception cref="ConfigException">The file is missing, not valid YAML, or has unknown sections or bad values.</exception>
    public static TrainConfig Load(string nameOrPath)
    {
        if (IsBareName(nameOrPath))
        {
            if (FindInCheckout(nameOrPath) is { } checkoutFile) return LoadFile(checkoutFile);
            if (BuiltInNames.Contains(nameOrPath)) return LoadEmbedded(nameOrPath);
            if (!File.Exists(nameOrPath))
                throw new ConfigException($"{nameOrPath}: no such config file and no built-in config of that name " +
                                          $"(built-in: {string.Join(", ", BuiltInNames)})");
        }
        return LoadFile(nameOrPath);
    }

    /// <summary>Parses YAML text; <paramref name="sourceName"/> names it in messages (a path or a description).</summary>
    public static TrainConfig Parse(string yaml, string sourceName)
    {
        var root = ReadRoot(yaml, sourceName);
        var config = new TrainConfig(sourceName);
        var problems = new List<string>();
        foreach (var (sectionKey, sectionNode) in root.Children)
        {
            string section = ValueKinds.Describe(sectionKey);
            if (!ConfigSchema.Sections.Contains(section))
            {
                var close = ConfigSchema.ClosestSections(section);
                problems.Add($"{sourceName}:{sectionKey.Start.Line}: unknown top-level section '{section}' " +
                             $"(sections: {string.Join(", ", ConfigSchema.Sections)}{(close.Count > 0 ? $"; did you mean {close[0]}?" : "")})");
                continue;
            }
            if (ValueKinds.IsNull(sectionNode)) continue;
            if (sectionNode is not YamlMappingNode keys)
            {
                problems.Add($"{sourceName}:{sectionNode.Start.Line}: {section} must be a mapping of keys, got {ValueKinds.Describe(sectionNode)}");
                continue;
            }
            foreach (var (nameNode, valueNode) in keys.Children)
                ReadKey(config, section, ValueKinds.Describe(nameNode), nameNode.Start.Line, valueNode, problems);
        }
        if (problems.Count > 0) throw new ConfigException(problems);
        return config;
    }

    internal static TrainConfig LoadEmbedded(string name)
    {
        using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream($"{ResourcePrefix}{name}.yaml")
                           ?? throw new ConfigException($"{name}: no built-in config of that name (built-in: {string.Join(", ", BuiltInNames)})");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), $"{name}.yaml (built-in)");
    }

    internal static string? FindInCheckout(string name)
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, ConfigFolder, $"{name}.yaml");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static bool IsBareName(string nameOrPath) =>
        nameOrPath.Length > 0 && !Path.HasExtension(nameOrPath) && nameOrPath.IndexOfAny(['/', '\\']) < 0;

    private static TrainConfig LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read config file ({e.Message})");
        }
        return Parse(text, path);
    }

    private static void ReadKey(TrainConfig config, string section, string name, long line, YamlNode value, List<string> problems)
    {
        string dotted = $"{section}.{name}";
        var key = ConfigSchema.Find(dotted);
        if (key is null)
        {
            ConfigSchema.SectionOf(config, section).Extra[name] = value;
            config.AddWarning($"{config.SourceName}:{line}: {dotted} is not a JepaSharp key; kept but unused ({TrainConfig.Suggest(dotted)})");
            return;
        }
        try
        {
            key.Read(config, value);
            config.RecordLine(dotted, value.Start.Line);
        }
        catch (FormatException e)
        {
            problems.Add($"{config.SourceName}:{value.Start.Line}: {dotted}: {e.Message}");
        }
    }

    private static YamlMappingNode ReadRoot(string yaml, string sourceName)
    {
        var parser = new PositionTrackingParser(new Parser(new StringReader(yaml)));
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{sourceName}:{e.Start.Line}: invalid YAML: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException || e.GetType() == typeof(ArgumentException))
        {
            // YamlDotNet's scanner fails this way, without a position, on some unclosed flow
            // collections (and with ArgumentException on some malformed event sequences, found
            // by tests/JepaSharp.Fuzz); the last event that parsed is the best line we can give.
            throw new ConfigException($"{sourceName}:{parser.LastGoodLine}: invalid YAML after this line (an unclosed '[' or '{{'?)");
        }
        if (stream.Documents.Count == 0 || ValueKinds.IsNull(stream.Documents[0].RootNode))
            throw new ConfigException($"{sourceName}: the config is empty");
        if (stream.Documents.Count > 1)
            throw new ConfigException($"{sourceName}:{stream.Documents[1].RootNode.Start.Line}: a config holds one YAML document, found {stream.Documents.Count}");
        var root = stream.Documents[0].RootNode;
        return root as YamlMappingNode
               ?? throw new ConfigException($"{sourceName}:{root.Start.Line}: a config must be a mapping of sections (data, mask, …), got {ValueKinds.Describe(root)}");
    }

    private sealed class PositionTrackingParser(IParser inner) : IParser
    {
        public long LastGoodLine { get; private set; } = 1;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            bool moved = inner.MoveNext();
            if (moved && inner.Current is { } parsed) LastGoodLine = parsed.End.Line;
            return moved;
        }
    }
}
