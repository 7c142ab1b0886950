using System.Diagnostics;
using System.Text.Json;

namespace JepaSharp.Bench;

/// <summary>
/// Runs tools/bench_torch.py with Debian's python3-torch, once stock and once tuned (engine notes:
/// OPENBLAS_CORETYPE unset, ATEN_CPU_CAPABILITY=avx512, tcmalloc preloaded, OpenMP OpenBLAS when
/// installed), and keeps the faster: the yardstick is PyTorch at its best on this machine.
/// </summary>
public static class TorchYardstick
{
    public const string Python = "/usr/bin/python3";

    /// <summary>The fastest configuration's JSON figures (numbers only) and its label.</summary>
    public sealed record Result(IReadOnlyDictionary<string, double> Figures, string Config)
    {
        public double this[string key] => Figures.TryGetValue(key, out var v) ? v : double.NaN;
    }

    public static string? ScriptPath(string script)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tools", script);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Runs <paramref name="script"/> (under tools/) in each environment and keeps the run with the smallest <paramref name="timeKey"/>.</summary>
    public static (Result? Best, string? Note) Measure(string script, IReadOnlyList<string> args, int threads, string timeKey = "seconds")
    {
        var path = ScriptPath(script);
        if (path == null) return (null, $"tools/{script} not found");
        if (!File.Exists(Python)) return (null, $"{Python} not found (apt-get install python3-torch)");
        Result? best = null;
        string? note = null;
        foreach (var (label, env) in Configurations())
        {
            var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(path);
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add("--threads");
            psi.ArgumentList.Add(threads.ToString());
            foreach (var (k, v) in env)
            {
                if (v == null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }
            psi.Environment["OMP_NUM_THREADS"] = threads.ToString();
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                note = $"PyTorch ({label}) failed: {stderr.Result.Trim().Split('\n').LastOrDefault()}";
                continue;
            }
            using var doc = JsonDocument.Parse(stdout.Trim().Split('\n').Last());
            var figures = doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number)
                .ToDictionary(p => p.Name, p => p.Value.GetDouble());
            if (best == null || figures[timeKey] < best[timeKey]) best = new Result(figures, label);
        }
        var missing = TuningLibraries.Where(l => !l.Installed).Select(l => l.Package).ToList();
        if (best != null && missing.Count > 0)
            note = (note == null ? "" : note + "\n") + $"PyTorch is not at its best here: {string.Join(" and ", missing)} missing "
                + $"(apt-get install {string.Join(' ', missing)}); its figure is low and the ratio flatters us";
        return (best, note);
    }

    /// <summary>A library the tuned run uses when installed: where it lies, its Debian package, its label and how it is loaded.</summary>
    private sealed record TuningLibrary(string Path, string Package, string Label, string EnvironmentVariable)
    {
        public bool Installed => File.Exists(Path) || Directory.Exists(Path);
    }

    private static readonly TuningLibrary[] TuningLibraries =
    [
        new("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4", "libtcmalloc-minimal4", "tcmalloc", "LD_PRELOAD"),
        new("/usr/lib/x86_64-linux-gnu/openblas-openmp", "libopenblas0-openmp", "openblas-openmp", "LD_LIBRARY_PATH"),
    ];

    private static IEnumerable<(string Label, Dictionary<string, string?> Env)> Configurations()
    {
        yield return ("stock", new Dictionary<string, string?>());
        var tuned = new Dictionary<string, string?> { ["OPENBLAS_CORETYPE"] = null, ["ATEN_CPU_CAPABILITY"] = "avx512" };
        var parts = new List<string>();
        foreach (var library in TuningLibraries.Where(l => l.Installed))
        {
            tuned[library.EnvironmentVariable] = library.Path;
            parts.Add(library.Label);
        }
        yield return ("tuned (avx512" + string.Concat(parts.Select(p => ", " + p)) + ")", tuned);
    }
}
