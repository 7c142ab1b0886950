using System.CommandLine;

namespace JepaSharp.Cli;

/// <summary><c>jepa viz KIND</c>: pictures of masks, attention, representations and predictions (image kinds) and of embeddings and training (plot kinds).</summary>
public static class VizCommands
{
    public static Command Create()
    {
        var viz = new Command("viz", "Visualize masks, attention, representations, predictions and training; figures go to --out with a figures.json index.");
        foreach (var kind in VizImageCommands.All()) viz.Subcommands.Add(kind);
        foreach (var kind in VizPlotCommands.All()) viz.Subcommands.Add(kind);
        return viz;
    }
}
