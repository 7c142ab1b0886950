using System.CommandLine;

namespace JepaSharp.Cli;

public static class VizPlotCommands
{
    public static IEnumerable<Command> All()
    {
        yield break;
    }
}
