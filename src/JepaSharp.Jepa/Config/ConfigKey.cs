using YamlDotNet.RepresentationModel;

namespace JepaSharp.Jepa.Config;

/// <summary>One known key: where it lives, how its value is read and written, and which property holds it.</summary>
internal abstract class ConfigKey(string section, string name)
{
    public string Section { get; } = section;
    public string Name { get; } = name;
    public string DottedName { get; } = $"{section}.{name}";

    /// <exception cref="FormatException">The node is not a valid value for this key.</exception>
    public abstract void Read(TrainConfig config, YamlNode node);

    public abstract YamlNode Write(TrainConfig config);
}

internal sealed class ConfigKey<T>(string section, string name, ValueKind<T> kind,
    Func<TrainConfig, T> get, Action<TrainConfig, T> set) : ConfigKey(section, name)
{
    public override void Read(TrainConfig config, YamlNode node) => set(config, kind.Parse(node));

    public override YamlNode Write(TrainConfig config) => kind.Write(get(config));
}
