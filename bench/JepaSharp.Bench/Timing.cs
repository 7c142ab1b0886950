using System.Diagnostics;

namespace JepaSharp.Bench;

/// <summary>Median-of-repeats wall-clock timing after a warm-up that lets tiered JIT settle.</summary>
public static class Timing
{
    public static double MedianSeconds(Action run, int warmup, int repeats, double minWarmupSeconds = 0.3)
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < warmup || warm.Elapsed.TotalSeconds < minWarmupSeconds; i++) run();
        var samples = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        Array.Sort(samples);
        return repeats % 2 == 1 ? samples[repeats / 2] : 0.5 * (samples[repeats / 2 - 1] + samples[repeats / 2]);
    }
}
