using System.Runtime.CompilerServices;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Threading;

namespace JepaSharp.Engine.Optim;

/// <summary>One trainable parameter's range of the flat buffers, in an unmanaged form a parallel job can hold.</summary>
internal struct Segment
{
    public long Offset;
    public long Length;
    public bool Decay;
}

/// <summary>
/// The trainable slots of a <see cref="ParameterSet"/> as a pinned, offset-ordered array, built
/// once per set and cached, so optimizer steps and gradient norms allocate nothing per call.
/// Jobs split the flat buffer by element index and visit the segments overlapping their range.
/// </summary>
internal sealed unsafe class TrainableSegments
{
    /// <summary>Elements per work item of the elementwise passes (a multiple of 16 keeps splits on cache lines).</summary>
    public const int BlockFloats = 1024;

    /// <summary>Below this many floats a pass runs on the calling thread: waking the workers would cost more than it saves.</summary>
    public const long MinParallelFloats = 32 * 1024;

    private static readonly ConditionalWeakTable<ParameterSet, TrainableSegments> Cache = new();

    private readonly Segment[] _segments;

    public Segment* Pointer { get; }
    public int Count => _segments.Length;

    /// <summary>Length of the flat buffers, padding included.</summary>
    public long Length { get; }

    private TrainableSegments(ParameterSet ps)
    {
        var trainable = ps.Slots.Where(s => s.Trainable && s.Length > 0).OrderBy(s => s.Offset).ToList();
        _segments = GC.AllocateArray<Segment>(trainable.Count, pinned: true);
        for (int i = 0; i < trainable.Count; i++)
            _segments[i] = new Segment { Offset = trainable[i].Offset, Length = trainable[i].Length, Decay = trainable[i].Decay };
        Pointer = trainable.Count == 0 ? null : (Segment*)Unsafe.AsPointer(ref _segments[0]);
        Length = ps.Length;
    }

    public static TrainableSegments Of(ParameterSet ps) => Cache.GetValue(ps, static p => new TrainableSegments(p));

    /// <summary>Index of the first segment that ends after <paramref name="position"/>.</summary>
    public static int FirstEndingAfter(Segment* segments, int count, long position)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (segments[mid].Offset + segments[mid].Length <= position) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Number of <see cref="BlockFloats"/> work items covering <paramref name="length"/> floats.</summary>
    public static int Blocks(long length) => checked((int)((length + BlockFloats - 1) / BlockFloats));

    /// <summary>
    /// Runs <paramref name="job"/> over <paramref name="count"/> work items covering
    /// <paramref name="length"/> floats, serially when the pass is small. Callers make every item's
    /// result independent of which thread runs it, so the choice never changes the output.
    /// </summary>
    public static void Run<TJob>(WorkerPool? pool, int count, long length, ref TJob job) where TJob : unmanaged, IParallelJob
    {
        if (count <= 0) return;
        if (length < MinParallelFloats) job.Execute(0, count, 0);
        else (pool ?? WorkerPool.Shared).For(count, ref job);
    }
}
