using System.Diagnostics;

namespace JepaSharp.Fuzz;

/// <summary>An input that broke a reader's contract: an undocumented exception type, or no answer within the time limit.</summary>
public sealed record FuzzFinding(string Target, long Iteration, string Problem, string? ReproducerPath);

public sealed record FuzzReport(string Target, long Iterations, double Seconds, int Rejected, IReadOnlyList<FuzzFinding> Findings);

/// <summary>
/// Feeds mutated seeds to a target until a time or iteration budget runs out (but never before
/// minIterations inputs, so a loaded machine slows a bounded run down instead of hollowing it out). Every input must
/// either load or fail with one of the target's expected exception types; anything else, or a
/// run longer than the hang limit, is recorded (with the input saved when a folder is given).
/// </summary>
public static class FuzzRunner
{
    public static FuzzReport Run(FuzzTarget target, int seed, TimeSpan budget, long maxIterations, TimeSpan hangLimit, string scratchDir, string? findingsDir = null,
        long minIterations = 0)
    {
        // string.GetHashCode differs per process; a fixed hash keeps a (seed, target) run reproducible.
        var rng = new Random(seed ^ target.Name.Aggregate(17, (h, c) => h * 31 + c));
        var findings = new List<FuzzFinding>();
        string path = Path.Combine(scratchDir, $"fuzz-{target.Name}-{Environment.ProcessId}.bin");
        var clock = Stopwatch.StartNew();
        long iteration = 0;
        int rejected = 0;
        try
        {
            for (; iteration < maxIterations && (clock.Elapsed < budget || iteration < minIterations); iteration++)
            {
                var input = iteration < target.Seeds.Count ? target.Seeds[(int)iteration] : Mutator.Mutate(target.Seeds, rng);
                var run = Task.Run(() => target.Run(input, path));
                string? problem = null;
                try
                {
                    if (!run.Wait(hangLimit)) problem = $"no result after {hangLimit.TotalSeconds:F0} s (hang)";
                }
                catch (AggregateException e) when (e.InnerException is { } inner)
                {
                    if (target.Expected.Contains(inner.GetType())) rejected++;
                    else problem = $"{inner.GetType().FullName}: {inner.Message}\n{inner.StackTrace}";
                }
                if (problem is null) continue;
                string? saved = null;
                if (findingsDir is not null)
                {
                    Directory.CreateDirectory(findingsDir);
                    saved = Path.Combine(findingsDir, $"{target.Name}-{seed}-{iteration}.bin");
                    File.WriteAllBytes(saved, input);
                }
                findings.Add(new FuzzFinding(target.Name, iteration, problem, saved));
                // A hung input keeps its thread; stop this target rather than pile up more.
                if (!run.IsCompleted) break;
            }
        }
        finally
        {
            File.Delete(path);
        }
        return new FuzzReport(target.Name, iteration, clock.Elapsed.TotalSeconds, rejected, findings);
    }
}
