using YamlDotNet.RepresentationModel;

namespace JepaSharp.Jepa.Config;

/// <summary>
/// Base of the five YAML sections. Keys we do not know are kept verbatim in
/// <see cref="ExtraKeys"/> (and written back by <see cref="TrainConfig.Save"/>) so configs
/// from forks of the official code load and the record of a run stays complete.
/// </summary>
public abstract class ConfigSection
{
    internal Dictionary<string, YamlNode> Extra { get; } = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, YamlNode> ExtraKeys => Extra;
}
