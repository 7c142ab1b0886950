using System.CommandLine;

namespace JepaSharp.Cli;

public static class VizImageCommands
{
    public static IEnumerable<Command> All()
    {
        yield break;
    }
}
