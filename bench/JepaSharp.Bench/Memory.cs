namespace JepaSharp.Bench;

/// <summary>Process memory figures from /proc (Linux).</summary>
public static class Memory
{
    /// <summary>Peak resident set size (VmHWM) in MB, or NaN where /proc is unavailable.</summary>
    public static double PeakRssMb()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return double.NaN;
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }
}
