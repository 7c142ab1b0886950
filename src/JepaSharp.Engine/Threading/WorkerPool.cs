
namespace JepaSharp.Engine.Threading;

/// <summary>A unit of parallel work over a contiguous index range; an unmanaged struct so dispatch allocates nothing.</summary>
public interface IParallelJob
{
    /// <summary>Runs indices [begin, end) on worker <paramref name="thread"/> (0 = the calling thread).</summary>
    void Execute(int begin, int end, int thread);
}

/// <summary>
/// Persistent workers for data-parallel kernels (ggml-style ith/nth slicing). The caller runs
/// slice 0 itself; each worker spins briefly on a generation counter before blocking, so the
/// back-to-back kernel calls of a training step cost a few hundred nanoseconds to dispatch.
/// The partition is fixed by (count, Threads), which keeps float reductions deterministic.
/// A call made from inside a job runs serially on that thread (no nested parallelism).
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
    private int _remaining;
    private volatile bool _disposed;
    private Exception? _workerError;

    private delegate*<void*, int, int, int, void> _fn;
    private void* _ctx;
    private int _count;

    public int Threads { get; }

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

    /// <summary>The slice [begin, end) of <paramref name="count"/> items that thread <paramref name="thread"/> of <paramref name="threads"/> owns.</summary>
    public static (int Begin, int End) Slice(int count, int thread, int threads)
        => ((int)((long)count * thread / threads), (int)((long)count * (thread + 1) / threads));

    /// <summary>Runs <paramref name="job"/> over [0, count) split into one contiguous slice per thread.</summary>
    public void For<TJob>(int count, ref TJob job) where TJob : unmanaged, IParallelJob
    {
        if (count <= 0) return;
        fixed (TJob* p = &job)
        {
            if (Threads == 1 || count == 1 || _insideJob)
            {
                p->Execute(0, count, 0);
                return;
            }
            lock (_dispatchLock)
            {
                _fn = &Thunk<TJob>;
                _ctx = p;
                _count = count;
                _workerError = null;
                Volatile.Write(ref _remaining, Threads - 1);
                Interlocked.Increment(ref _generation);
                for (int w = 0; w < _wake.Length; w++)
                    if (Interlocked.Exchange(ref _sleeping[w], 0) == 1) _wake[w].Release();

                var (begin, end) = Slice(count, 0, Threads);
                _insideJob = true;
                try
                {
                    if (begin < end) p->Execute(begin, end, 0);
                }
                finally
                {
                    _insideJob = false;
                    var spin = new SpinWait();
                    while (Volatile.Read(ref _remaining) != 0) spin.SpinOnce(sleep1Threshold: -1);
                }
                if (_workerError is { } error) throw new AggregateException("a parallel kernel failed on a worker thread", error);
            }
        }
    }

    private static void Thunk<TJob>(void* ctx, int begin, int end, int thread) where TJob : unmanaged, IParallelJob
        => ((TJob*)ctx)->Execute(begin, end, thread);

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
            int thread = w + 1;
            var (begin, end) = Slice(_count, thread, Threads);
            try
            {
                if (begin < end) _fn(_ctx, begin, end, thread);
            }
            catch (Exception e)
            {
                _workerError = e;
            }
            Interlocked.Decrement(ref _remaining);
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
