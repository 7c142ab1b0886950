using System.CommandLine;
using JepaSharp.Cli;

var root = new RootCommand("JepaSharp: Joint-Embedding Predictive Architectures in .NET (pretraining, evaluation, visualization).");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommands.Eval());
root.Subcommands.Add(EvalCommands.Features());
root.Subcommands.Add(RunCommand.Report());
root.Subcommands.Add(DataCommands.Create());
root.Subcommands.Add(VizCommands.Create());
root.Subcommands.Add(InteropCommands.Inspect());
root.Subcommands.Add(InteropCommands.Import());
root.Subcommands.Add(InteropCommands.Export());
root.Subcommands.Add(BenchCommands.Create());
// Our own handler turns expected failures into one clear line (System.CommandLine's would print a
// stack trace), and `train` handles Ctrl+C itself so it can checkpoint before exiting.
var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
return CliErrors.Run(() => root.Parse(args).Invoke(invocation));
