using System.Globalization;
using JepaSharp.Engine.IO;
using JepaSharp.Fuzz;

// dotnet run --project tests/JepaSharp.Fuzz -c Release -- [--seconds 600] [--target NAME] [--seed N] [--findings DIR]
// --seconds is the whole run's budget, shared equally by the targets.
double seconds = 60;
int seed = Environment.TickCount;
string? only = null;
string findings = Path.Combine(Directory.GetCurrentDirectory(), "fuzz-findings");
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--target": only = value; break;
        case "--findings": findings = value; break;
        default: throw new ArgumentException($"unknown argument {args[i]} (targets: {FuzzTargets.Names})");
    }
    i++;
}

string scratchDir = Directory.CreateTempSubdirectory("jepa-fuzz-").FullName;
string scratchFile = Path.Combine(scratchDir, "storage.bin");
File.WriteAllBytes(scratchFile, new byte[64]);
int total = 0;
try
{
    using var scratch = new MappedFile(scratchFile);
    var targets = FuzzTargets.All(FuzzTargets.FindRepositoryRoot(), scratch).Where(t => only is null || t.Name == only).ToList();
    if (targets.Count == 0) throw new ArgumentException($"no target '{only}' (targets: {FuzzTargets.Names})");
    Console.WriteLine($"seed {seed}, {seconds / targets.Count:F0} s per target");
    foreach (var target in targets)
    {
        var report = FuzzRunner.Run(target, seed, TimeSpan.FromSeconds(seconds / targets.Count), long.MaxValue, TimeSpan.FromSeconds(10), scratchDir, findings);
        Console.WriteLine($"{report.Target,-12} {report.Iterations,9} inputs in {report.Seconds,6:F1} s, {report.Rejected,9} rejected as expected, {report.Findings.Count} findings");
        // One line per distinct problem (exception and first frame); every input is saved under --findings.
        foreach (var group in report.Findings.GroupBy(f => string.Join(" | ", f.Problem.Split('\n').Take(2).Select(l => l.Trim()))))
            Console.WriteLine($"  {group.Count()}x {group.Key}  (e.g. {group.First().ReproducerPath})");
        total += report.Findings.Count;
    }
}
finally
{
    Directory.Delete(scratchDir, recursive: true);
}
return total == 0 ? 0 : 1;
