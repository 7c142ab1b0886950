using System.CommandLine;
using JepaSharp.Cli;

var root = new RootCommand("JepaSharp: Joint-Embedding Predictive Architectures in .NET (pretraining, evaluation, visualization).");
root.Subcommands.Add(BenchCommands.Create());
return CliErrors.Run(() => root.Parse(args).Invoke());
