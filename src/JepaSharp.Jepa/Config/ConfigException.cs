namespace JepaSharp.Jepa.Config;

/// <summary>
/// A config that cannot be used. The message has one line per problem, each naming the file
/// (with the YAML line when known) and the dotted key, so the CLI can print it as is.
/// A <see cref="FormatException"/> (InvalidDataException is sealed) so the CLI's handler for
/// bad input reports it as one clear line instead of a stack trace.
/// </summary>
public sealed class ConfigException : FormatException
{
    public IReadOnlyList<string> Problems { get; }

    public ConfigException(IReadOnlyList<string> problems)
        : base(problems.Count == 1 ? problems[0] : $"{problems.Count} problems:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}")
    {
        Problems = problems;
    }

    public ConfigException(string problem) : this([problem])
    {
    }
}
