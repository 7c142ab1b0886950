using System.Runtime.InteropServices;
using JepaSharp.Engine.Threading;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Threading;

/// <summary>
/// <see cref="WorkerPool.Help"/>: a thread that has finished its own part of a call takes sub-parts of the parts still
/// running (made certain with <see cref="IdleHelper"/>).
/// </summary>
public unsafe class WorkerPoolHelpTests
{
    private struct RecordingJob : IParallelJob
    {
        public int* Runs, Threads;
        public int FailAt;

        public void Execute(int begin, int end, int part)
        {
            for (int i = begin; i < end; i++)
            {
                Interlocked.Increment(ref Runs[i]);
                Threads[i] = Environment.CurrentManagedThreadId;
                if (i == FailAt) throw new InvalidDataException($"sub-part {i} failed");
                Thread.Sleep(1);
            }
        }
    }

    [Fact]
    public void AnIdleThreadTakesSubPartsAndEachRunsOnce()
    {
        const int count = 48;
        var runs = new int[count];
        var threads = new int[count];
        int requester = 0;
        using var pool = new WorkerPool(2);
        IdleHelper.Run(pool, () =>
        {
            requester = Environment.CurrentManagedThreadId;
            fixed (int* r = runs, t = threads)
            {
                var job = new RecordingJob { Runs = r, Threads = t, FailAt = -1 };
                pool.Help(count, count, ref job);
            }
        });
        Assert.All(runs, n => Assert.Equal(1, n));
        Assert.Contains(threads, t => t != requester);
    }

    [Fact]
    public void AFailingSubPartReachesTheCaller()
    {
        const int count = 16;
        var runs = new int[count];
        var threads = new int[count];
        using var pool = new WorkerPool(2);
        var ex = Assert.Throws<InvalidDataException>(() => IdleHelper.Run(pool, () =>
        {
            fixed (int* r = runs, t = threads)
            {
                var job = new RecordingJob { Runs = r, Threads = t, FailAt = 5 };
                pool.Help(count, count, ref job);
            }
        }));
        Assert.Equal("sub-part 5 failed", ex.Message);
        Assert.All(runs, n => Assert.Equal(1, n)); // the others still ran, once each
    }

    [Fact]
    public void HelpIsOnlyForAPartOfARunningCall()
    {
        using var pool = new WorkerPool(2);
        var job = new RecordingJob();
        Assert.Throws<InvalidOperationException>(() => pool.Help(4, 4, ref job));
        Assert.Equal(0, pool.IdleThreads);
    }
}
