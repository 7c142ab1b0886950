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
/// only after a long wait. A call made from inside a job runs serially, unless it goes through <see cref="Help"/>: a
/// thread that has finished its own parts waits for the call's last parts by taking sub-parts of their work, so a
/// thread slowed by the machine does not hold the others at the end of every call.
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

    // The help slot: one request at a time, from a part of the running call, for threads that finished their parts.
    // The claim word holds the request's generation, its sub-part count and the next unclaimed sub-part, so a claim
    // can only succeed on a request whose sub-parts are not all handed out (its fields then stay put).
    private int _idleThreads;
    private int _helpTaken;
    private int _helpGeneration;
    private long _helpClaim;
    private int _helpDone;
    private delegate*<void*, int, int, int, void> _helpFn;
    private void* _helpCtx;
    private int _helpCount;
    private Exception? _helpError;
    private const int MaxHelpParts = 1 << 15;

    public int Threads { get; }

    /// <summary>Whether the calling thread is running a job: its parallel calls then run serially, on it alone.</summary>
    public static bool InsideJob => _insideJob;

    /// <summary>
    /// Threads of this pool that have finished their own parts of the running call and wait for its last parts; 0
    /// outside a call. A part about to run a large splittable product hands sub-parts to them with <see cref="Help"/>.
    /// </summary>
    public int IdleThreads => Volatile.Read(ref _idleThreads);

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
                    HelpUntilPartsDone(generation, parts);
                }
                if (_workerError is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
        }
    }

    /// <summary>
    /// From a part of a running call (<see cref="InsideJob"/>): runs <paramref name="job"/> over [0, count) in
    /// <paramref name="parts"/> contiguous sub-parts, claimed by the calling thread and by any <see cref="IdleThreads"/>.
    /// Which thread runs a sub-part depends on timing, so the job's results must not. While another part's request
    /// holds the slot, every sub-part runs here.
    /// </summary>
    public void Help<TJob>(int count, int parts, ref TJob job) where TJob : unmanaged, IParallelJob
    {
        if (!_insideJob) throw new InvalidOperationException("worker pool: Help is for a part of a running call");
        if (count <= 0) return;
        parts = Math.Clamp(parts, 1, Math.Min(count, MaxHelpParts));
        fixed (TJob* p = &job)
        {
            if (parts == 1 || Interlocked.CompareExchange(ref _helpTaken, 1, 0) != 0)
            {
                for (int part = 0; part < parts; part++)
                {
                    var (begin, end) = Slice(count, part, parts);
                    p->Execute(begin, end, part);
                }
                return;
            }
            _helpFn = &Thunk<TJob>;
            _helpCtx = p;
            _helpCount = count;
            _helpError = null;
            Volatile.Write(ref _helpDone, 0);
            _helpGeneration = (_helpGeneration + 1) & 0x7FFF_FFFF;
            Volatile.Write(ref _helpClaim, ((long)_helpGeneration << 32) | ((long)parts << 16));
            while (TryRunHelpPart()) { }
            int spins = 0;
            while (Volatile.Read(ref _helpDone) != parts)
                if (++spins < SpinIterations) Thread.SpinWait(8);
                else Thread.Yield();
            var error = _helpError;
            Volatile.Write(ref _helpTaken, 0);
            if (error != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <summary>Claims and runs one sub-part of the posted help request; false when none is left.</summary>
    private bool TryRunHelpPart()
    {
        long state = Volatile.Read(ref _helpClaim);
        int parts = (int)(state >> 16) & 0xFFFF, part = (int)state & 0xFFFF;
        if (part >= parts) return false;
        if (Interlocked.CompareExchange(ref _helpClaim, state + 1, state) != state) return true;
        var (begin, end) = Slice(_helpCount, part, parts);
        bool wasInside = _insideJob;
        _insideJob = true;
        try
        {
            _helpFn(_helpCtx, begin, end, part);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _helpError, e, null);
        }
        finally
        {
            _insideJob = wasInside;
        }
        Interlocked.Increment(ref _helpDone);
        return true;
    }

    /// <summary>
    /// Waits until call <paramref name="generation"/>'s <paramref name="parts"/> parts are done, running sub-parts that
    /// other parts post meanwhile. Spins, and only after a long wait yields: a yield is a system call, which on a
    /// virtual machine can take microseconds to return, and a part usually finishes within tens of microseconds.
    /// </summary>
    private void HelpUntilPartsDone(int generation, int parts)
    {
        Interlocked.Increment(ref _idleThreads);
        int spins = 0;
        while (Volatile.Read(ref _generation) == generation && Volatile.Read(ref _partsDone) != parts)
        {
            if (TryRunHelpPart()) spins = 0;
            else if (++spins < SpinIterations) Thread.SpinWait(8);
            else Thread.Yield();
        }
        Interlocked.Decrement(ref _idleThreads);
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
            HelpUntilPartsDone(seen, Volatile.Read(ref _parts));
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
