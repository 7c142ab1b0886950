using JepaSharp.Jepa.Config;

namespace JepaSharp.Tests.Config;

/// <summary>Small YAML snippets and helpers shared by the config tests.</summary>
internal static class ConfigTestSupport
{
    /// <summary>A valid config by itself (5 lines for data, 3 for mask); tests append other sections after it.</summary>
    public const string ValidBase = """
        data:
          dataset: fashion-mnist
          channels: 1
          normalize_mean: [0.286]
          normalize_std: [0.353]
          crop_size: 28
        mask:
          patch_size: 4
          min_keep: 4

        """;

    public const int ValidBaseLines = 9;

    public static TrainConfig Parse(string yaml, string sourceName = "test.yaml") => ConfigLoader.Parse(yaml, sourceName);

    /// <summary>The Validate message for <paramref name="yaml"/>; fails the test if the config is valid.</summary>
    public static string ValidationMessage(string yaml, string sourceName = "test.yaml") =>
        Xunit.Assert.Throws<ConfigException>(() => Parse(yaml, sourceName).Validate()).Message;

    /// <summary>The YAML of a config without its first line, which names the source.</summary>
    public static string Body(TrainConfig config) => config.ToYaml()[(config.ToYaml().IndexOf('\n') + 1)..];

    public static string NewTempFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"jepasharp-config-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }
}
