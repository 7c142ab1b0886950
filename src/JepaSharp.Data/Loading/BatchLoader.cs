using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using JepaSharp.Data.Datasets;
using JepaSharp.Data.Transforms;

namespace JepaSharp.Data.Loading;

/// <summary>
/// Streams batches of transformed images, epoch after epoch, built on background threads into a
/// fixed pool of batch buffers (no large allocations after start-up). Batch b of epoch e is the
/// same whatever the thread count or start position: the order comes from (seed, e) and each
/// image's augmentation from (seed, e, dataset index). An exception on a worker is rethrown by
/// the call that would have returned its batch.
/// </summary>
public sealed class BatchLoader : IDisposable
{
    private enum SlotState
    {
        Free,
        Filling,
        Ready,
        Faulted,
        Held,
    }

    private sealed class Slot(Batch batch, long sequence)
    {
        public readonly Batch Batch = batch;
        public long Sequence = sequence;
        public SlotState State;
        public ExceptionDispatchInfo? Error;
    }

    private readonly IImageDataset _dataset;
    private readonly ImageTransform _transform;
    private readonly Slot[] _slots;
    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private readonly long _firstBatch;
    private readonly long? _sequenceCount;
    private long _nextSequence;
    private long _faultSequence = long.MaxValue;
    private Slot? _held;
    private ExceptionDispatchInfo? _fault;
    private volatile bool _disposed;

    public BatchLoaderOptions Options { get; }
    public int BatchesPerEpoch { get; }
    public int Channels => _transform.InputChannels;
    public int Height => _transform.OutputHeight;
    public int Width => _transform.OutputWidth;

    public BatchLoader(IImageDataset dataset, ImagePipeline pipeline, BatchLoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize <= 0) throw new ArgumentException($"batch size must be positive, got {options.BatchSize}");
        if (options.Views <= 0) throw new ArgumentException($"a batch needs at least one view per image, got {options.Views}");
        if (options.Workers <= 0) throw new ArgumentException($"a loader needs at least one worker, got {options.Workers}");
        if (options.PrefetchBatches <= 0) throw new ArgumentException($"prefetch must be at least one batch, got {options.PrefetchBatches}");
        if (dataset.Count == 0) throw new ArgumentException($"{dataset.Name} is empty");
        BatchesPerEpoch = options.DropLast ? dataset.Count / options.BatchSize : (dataset.Count + options.BatchSize - 1) / options.BatchSize;
        if (BatchesPerEpoch == 0)
            throw new ArgumentException($"{dataset.Name} has {dataset.Count} images, fewer than one batch of {options.BatchSize} (drop_last leaves nothing)");
        var start = options.Start;
        if (start.Epoch < 0 || start.Batch < 0 || start.Batch >= BatchesPerEpoch)
            throw new ArgumentException($"start position ({start}) is outside epochs of {BatchesPerEpoch} batches");
        if (options.Epochs is { } epochs && start.Epoch >= epochs)
            throw new ArgumentException($"start position ({start}) is past the last of {epochs} epochs");

        _dataset = dataset;
        _transform = pipeline.Bind(dataset.Channels, dataset.Height, dataset.Width);
        Options = options;
        _firstBatch = (long)start.Epoch * BatchesPerEpoch + start.Batch;
        _sequenceCount = options.Epochs is { } total ? (long)total * BatchesPerEpoch - _firstBatch : null;

        // One slot more than the prefetch depth (or the workers), for the batch the consumer holds.
        int slotCount = Math.Max(options.PrefetchBatches, options.Workers) + 1;
        _slots = new Slot[slotCount];
        for (int i = 0; i < slotCount; i++)
            _slots[i] = new Slot(new Batch(options.BatchSize * options.Views, Channels, Height, Width), i);

        _workers = new Thread[options.Workers];
        for (int w = 0; w < _workers.Length; w++)
        {
            int worker = w;
            _workers[w] = new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"jepa-loader-{w}" };
        }
        foreach (var thread in _workers) thread.Start();
    }

    /// <summary>The next batch; throws <see cref="InvalidOperationException"/> when a bounded stream has ended.</summary>
    public Batch Next() => TryNext(out var batch)
        ? batch
        : throw new InvalidOperationException($"the loader has delivered all {Options.Epochs} epochs");

    /// <summary>The next batch, or false when a bounded stream (<see cref="BatchLoaderOptions.Epochs"/>) has ended.</summary>
    public bool TryNext([NotNullWhen(true)] out Batch? batch)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _fault?.Throw();
            if (_held is { } held)
            {
                held.State = SlotState.Free;
                held.Sequence += _slots.Length;
                _held = null;
                Monitor.PulseAll(_gate);
            }
            if (_nextSequence >= _sequenceCount)
            {
                batch = null;
                return false;
            }
            var slot = _slots[_nextSequence % _slots.Length];
            while (slot.Sequence != _nextSequence || slot.State is not (SlotState.Ready or SlotState.Faulted))
            {
                Monitor.Wait(_gate);
                ObjectDisposedException.ThrowIf(_disposed, this);
            }
            if (slot.State == SlotState.Faulted)
            {
                _fault = slot.Error;
                _fault!.Throw();
            }
            slot.State = SlotState.Held;
            _held = slot;
            _nextSequence++;
            batch = slot.Batch;
            return true;
        }
    }

    /// <summary>The batches left in the current epoch (all of the next epoch when the last call ended one).</summary>
    public IEnumerable<Batch> RemainingBatchesOfEpoch()
    {
        while (TryNext(out var batch))
        {
            yield return batch;
            if (batch.IsLastOfEpoch) yield break;
        }
    }

    private void WorkerLoop(int worker)
    {
        var pixels = new byte[_dataset.Height * _dataset.Width * _dataset.Channels];
        var order = new int[_dataset.Count];
        int orderEpoch = -1;
        for (long sequence = worker; _sequenceCount is null || sequence < _sequenceCount; sequence += _workers.Length)
        {
            var slot = _slots[sequence % _slots.Length];
            lock (_gate)
            {
                while (slot.Sequence != sequence || slot.State != SlotState.Free)
                {
                    if (_disposed || sequence > _faultSequence) return;
                    Monitor.Wait(_gate);
                }
                if (_disposed || sequence > _faultSequence) return;
                slot.State = SlotState.Filling;
            }
            try
            {
                if (!Fill(slot.Batch, _firstBatch + sequence, pixels, order, ref orderEpoch)) return;
                lock (_gate)
                {
                    slot.State = SlotState.Ready;
                    Monitor.PulseAll(_gate);
                }
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    slot.Error = ExceptionDispatchInfo.Capture(e);
                    slot.State = SlotState.Faulted;
                    _faultSequence = Math.Min(_faultSequence, sequence);
                    Monitor.PulseAll(_gate);
                }
                return;
            }
        }
    }

    /// <summary>Builds global batch <paramref name="globalBatch"/>; false when disposal interrupted it.</summary>
    private bool Fill(Batch batch, long globalBatch, byte[] pixels, int[] order, ref int orderEpoch)
    {
        int epoch = (int)(globalBatch / BatchesPerEpoch);
        int index = (int)(globalBatch % BatchesPerEpoch);
        if (orderEpoch != epoch)
        {
            for (int i = 0; i < order.Length; i++) order[i] = i;
            if (Options.Shuffle) SampleRandom.ForShuffle(Options.Seed, epoch).Shuffle(order);
            orderEpoch = epoch;
        }
        int first = index * Options.BatchSize;
        int count = Math.Min(Options.BatchSize, order.Length - first);
        var labels = batch.LabelStorage;
        var indices = batch.IndexStorage;
        for (int k = 0; k < count; k++)
        {
            if (_disposed) return false;
            int item = order[first + k];
            _dataset.ReadBytes(item, pixels);
            var random = SampleRandom.ForSample(Options.Seed, epoch, item);
            for (int view = 0; view < Options.Views; view++)
            {
                int slot = view * count + k;
                _transform.Apply(pixels, batch.ImageSlot(slot), ref random);
                labels[slot] = _dataset.Label(item);
                indices[slot] = item;
            }
        }
        batch.MarkFilled(epoch, index, count * Options.Views, index == BatchesPerEpoch - 1);
        return true;
    }

    /// <summary>Stops the workers (mid-batch if need be) and frees the batch buffers; batches already returned become invalid.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var thread in _workers) thread.Join();
        foreach (var slot in _slots) slot.Batch.Free();
    }
}
