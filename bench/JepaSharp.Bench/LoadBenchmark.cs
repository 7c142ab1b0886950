using System.Diagnostics;
using System.Runtime.InteropServices;
using JepaSharp.Engine.IO;
using JepaSharp.Engine.Memory;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Bench;

/// <summary>One load figure beside the plain-read yardstick of the same file in the same state.</summary>
public sealed record LoadFigures(double LoadMbPerSecond, double ReadMbPerSecond, double Ratio, long ManagedBytesAllocated);

public sealed record LoadResult(string File, double SizeMb, int Tensors, bool ColdMeasured, LoadFigures? Cold, LoadFigures Warm);

/// <summary>
/// How fast a safetensors checkpoint loads into model memory (open, validate the header, convert
/// every tensor to float32 into preallocated native parameters) against a plain sequential read
/// of the same file: loading is disk-bound when the two are close. "Cold" evicts the file from the
/// page cache first (posix_fadvise DONTNEED, Linux); "warm" reads it from the cache (median of 3).
/// </summary>
public static unsafe class LoadBenchmark
{
    private const int TensorFloats = 1 << 20;
    private const int ReadBuffer = 1 << 22;

    public static LoadResult Run(int sizeMb, string directory, Action<string>? log = null)
    {
        if (sizeMb < 4) throw new ArgumentException($"--size-mb {sizeMb}: at least 4 MB");
        int tensors = (int)((long)sizeMb * 1_000_000 / ((long)TensorFloats * sizeof(float)));
        string path = Path.Combine(directory, $"jepa-bench-load-{Environment.ProcessId}.safetensors");
        log?.Invoke($"writing {tensors} F32 tensors of {TensorFloats} values to {path}");
        try
        {
            Write(path, tensors);
            using var destination = new NativeBuffer((long)tensors * TensorFloats);
            bool canEvict = OperatingSystem.IsLinux();
            LoadFigures? cold = null;
            if (canEvict)
            {
                Evict(path);
                double read = ReadSeconds(path);
                Evict(path);
                var (load, managed) = LoadSeconds(path, destination);
                cold = Figures(path, load, read, managed);
                log?.Invoke($"cold: load {cold.LoadMbPerSecond:F0} MB/s, plain read {cold.ReadMbPerSecond:F0} MB/s");
            }
            double warmRead = Median(() => ReadSeconds(path));
            long warmManaged = 0;
            double warmLoad = Median(() =>
            {
                var (seconds, managed) = LoadSeconds(path, destination);
                warmManaged = managed;
                return seconds;
            });
            var warm = Figures(path, warmLoad, warmRead, warmManaged);
            return new LoadResult(path, new FileInfo(path).Length / 1e6, tensors, canEvict, cold, warm);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static LoadFigures Figures(string path, double load, double read, long managed)
    {
        double mb = new FileInfo(path).Length / 1e6;
        return new LoadFigures(Math.Round(mb / load, 1), Math.Round(mb / read, 1), Math.Round(read / load, 3), managed);
    }

    private static double Median(Func<double> run)
    {
        var samples = new[] { run(), run(), run() };
        Array.Sort(samples);
        return samples[1];
    }

    // Every entry points at the same native block, so writing a large file needs no large array.
    private static void Write(string path, int tensors)
    {
        using var block = new NativeBuffer(TensorFloats);
        var rng = new Random(1);
        var span = block.AsSpan();
        for (int i = 0; i < span.Length; i++) span[i] = (float)(rng.NextDouble() * 2 - 1);
        var writer = new SafetensorsWriter();
        var tensor = Tensor.Wrap(block.Pointer, new Shape(1024, TensorFloats / 1024));
        for (int i = 0; i < tensors; i++) writer.Add($"blocks.{i}.weight", tensor);
        writer.Save(path);
    }

    private static double ReadSeconds(string path)
    {
        var buffer = new byte[ReadBuffer];
        long start = Stopwatch.GetTimestamp();
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
            while (stream.Read(buffer) > 0)
            {
            }
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static (double Seconds, long ManagedBytes) LoadSeconds(string path, NativeBuffer destination)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        using (var file = SafetensorsFile.Open(path))
        {
            long offset = 0;
            foreach (var entry in file.Entries.Values)
            {
                file.ReadInto(entry.Name, destination.AsSpan(offset, (int)entry.Numel));
                offset += entry.Numel;
            }
        }
        return (Stopwatch.GetElapsedTime(start).TotalSeconds, GC.GetAllocatedBytesForCurrentThread() - allocated);
    }

    private static void Evict(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
        int result = PosixFadvise((int)stream.SafeFileHandle.DangerousGetHandle(), 0, 0, PosixFadvDontNeed);
        if (result != 0) throw new IOException($"posix_fadvise(DONTNEED) on '{path}' failed with error {result}");
    }

    private const int PosixFadvDontNeed = 4;

    [DllImport("libc", EntryPoint = "posix_fadvise")]
    private static extern int PosixFadvise(int fd, long offset, long length, int advice);
}
