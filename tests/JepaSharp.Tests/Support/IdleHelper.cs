using System.Runtime.InteropServices;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Tests.Support;

/// <summary>
/// Runs code as a part of a pool call while another thread of the pool waits to help: part 1 of a two-part call returns
/// at once, and part 0 waits until that thread idles before running the code.
/// </summary>
public static class IdleHelper
{
    /// <summary>Runs <paramref name="slowPart"/> as part 0 of a two-part call on <paramref name="pool"/>, once part 1's thread waits to help.</summary>
    public static void Run(WorkerPool pool, Action slowPart)
    {
        var handle = GCHandle.Alloc(slowPart);
        try
        {
            var job = new SlowFirstPart { Pool = GCHandle.ToIntPtr(GCHandle.Alloc(pool)), Action = GCHandle.ToIntPtr(handle) };
            try
            {
                pool.For(2, ref job);
            }
            finally
            {
                GCHandle.FromIntPtr(job.Pool).Free();
            }
        }
        finally
        {
            handle.Free();
        }
    }

    private struct SlowFirstPart : IParallelJob
    {
        public nint Pool, Action;

        public void Execute(int begin, int end, int part)
        {
            if (part != 0) return;
            var pool = (WorkerPool)GCHandle.FromIntPtr(Pool).Target!;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (pool.IdleThreads == 0)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the other part's thread never became idle");
                Thread.Yield();
            }
            ((Action)GCHandle.FromIntPtr(Action).Target!)();
        }
    }
}
