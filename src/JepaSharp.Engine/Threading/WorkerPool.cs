namespace JepaSharp.Engine.Threading;

/// <summary>A unit of parallel work over a contiguous index range; an unmanaged struct so dispatch allocates nothing.</summary>
public interface IParallelJob
{
    /// <summary>Runs indices [begin, end), which form part <paramref name="part"/> of the fixed partition.</summary>
    void Execute(int begin, int end, int part);
}

/// <summary>
/// Persistent workers for data-parallel kernels. A call splits [0, count) into one contiguous part
/// per thread — a partition fixed by (count, Threads), so results never depend on timing — and
/// the caller and the workers claim parts through a counter tagged with the call's generation.
/// The caller works too and only waits for parts a worker has already started: a worker that the
/// OS has descheduled (a busy machine) costs nothing, its part is simply run by the caller.
/// Workers spin briefly between calls, then block; the caller spins while it waits for a started part and yields
/// only after a long wait. A call made from inside a job runs serially.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    private const int SpinIterations = 20_000;

    private static WorkerPool? _shared;

    /// <summary>The process-wide pool; its size comes from JEPA_THREADS or the processor count.</summary>
    public static WorkerPool Shared => _shared ??= Interlocked.CompareExchange(ref _shared, new WorkerPool(DefaultThreadCount()), null) ?? _shared!;

    [ThreadStatic] private static bool _insideJob;

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    private readonly object _dispatchLock = new();
    private int _generation;
    private long _claim;      // (generation << 32) | next unclaimed part
    private int _partsDone;
    private volatile bool _disposed;
    private Exception? _workerError;

    private delegate*<void*, int, int, int, void> _fn;
    private void* _ctx;
    private int _count;
    private int _parts;

    public int Threads { get; }

    /// <summary>Whether the calling thread is running a job: its parallel calls then run serially, on it alone.</summary>
    public static bool InsideJob => _insideJob;

    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "a pool needs at least one thread");
        Threads = threads;
        _workers = new Thread[threads - 1];
        _wake = new SemaphoreSlim[threads - 1];
        _sleeping = new int[threads - 1];
        for (int w = 0; w < _workers.Length; w++)
        {
            _wake[w] = new SemaphoreSlim(0);
            int index = w;
            _workers[w] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"jepa-worker-{w + 1}" };
            _workers[w].Start();
        }
    }

    public static int DefaultThreadCount()
    {
        var env = Environment.GetEnvironmentVariable("JEPA_THREADS");
        if (!string.IsNullOrEmpty(env))
        {
            if (int.TryParse(env, out int n) && n >= 1) return n;
            throw new ArgumentException($"JEPA_THREADS must be a positive integer, got '{env}'");
        }
        return Environment.ProcessorCount;
    }

    /// <summary>The slice [begin, end) of <paramref name="count"/> items that forms part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public static (int Begin, int End) Slice(int count, int part, int parts)
        => ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));

    /// <summary>Runs <paramref name="job"/> over [0, count), split into one contiguous part per thread.</summary>
    public void For<TJob>(int count, ref TJob job) where TJob : unmanaged, IParallelJob
    {
        if (count <= 0) return;
        fixed (TJob* p = &job)
        {
            int parts = Math.Min(Threads, count);
            if (parts == 1 || _insideJob)
            {
                for (int part = 0; part < parts; part++)
                {
                    var (begin, end) = Slice(count, part, parts);
                    p->Execute(begin, end, part);
                }
                return;
            }
            lock (_dispatchLock)
            {
                _fn = &Thunk<TJob>;
                _ctx = p;
                _count = count;
                _parts = parts;
                _workerError = null;
                Volatile.Write(ref _partsDone, 0);
                int generation = _generation + 1;
                Volatile.Write(ref _claim, (long)generation << 32);
                Interlocked.Exchange(ref _generation, generation);
                for (int w = 0; w < _wake.Length; w++)
                    if (Interlocked.Exchange(ref _sleeping[w], 0) == 1) _wake[w].Release();

                _insideJob = true;
                try
                {
                    RunClaimedParts(generation);
                }
                finally
                {
                    _insideJob = false;
                    WaitForParts(parts);
                }
                if (_workerError is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
        }
    }

    /// <summary>
    /// Waits for the workers' parts by spinning, and only after a long wait by yielding: a yield is a system call, which
    /// on a virtual machine can take microseconds to return, and a worker usually finishes within tens of microseconds.
    /// </summary>
    private void WaitForParts(int parts)
    {
        int spins = 0;
        while (Volatile.Read(ref _partsDone) != parts)
        {
            if (++spins < SpinIterations) Thread.SpinWait(8);
            else Thread.Yield();
        }
    }

    /// <summary>Claims and runs parts of call <paramref name="generation"/> until none is left.</summary>
    private void RunClaimedParts(int generation)
    {
        while (true)
        {
            long state = Volatile.Read(ref _claim);
            if ((int)(state >> 32) != generation) return;
            int part = (int)state;
            if (part >= _parts) return;
            if (Interlocked.CompareExchange(ref _claim, state + 1, state) != state) continue;
            var (begin, end) = Slice(_count, part, _parts);
            try
            {
                _fn(_ctx, begin, end, part);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _workerError, e, null);
            }
            Interlocked.Increment(ref _partsDone);
        }
    }

    private static void Thunk<TJob>(void* ctx, int begin, int end, int part) where TJob : unmanaged, IParallelJob
        => ((TJob*)ctx)->Execute(begin, end, part);

    private void WorkerLoop(int w)
    {
        _insideJob = true;
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen)
            {
                if (_disposed) return;
                if (++spins < SpinIterations)
                {
                    Thread.SpinWait(8);
                    continue;
                }
                Volatile.Write(ref _sleeping[w], 1);
                if (Volatile.Read(ref _generation) == seen && !_disposed)
                {
                    _wake[w].Wait();
                }
                else if (Interlocked.Exchange(ref _sleeping[w], 0) == 0)
                {
                    // The dispatcher already claimed our sleeping flag and released the semaphore: consume it.
                    _wake[w].Wait();
                }
                spins = 0;
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            RunClaimedParts(seen);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        for (int w = 0; w < _wake.Length; w++) _wake[w].Release();
        foreach (var t in _workers) t.Join();
        foreach (var s in _wake) s.Dispose();
    }
}
