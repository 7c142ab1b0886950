using System.Diagnostics;
using JepaSharp.Data.Datasets;
using JepaSharp.Data.Loading;
using JepaSharp.Data.Transforms;
using Xunit;

namespace JepaSharp.Tests.Data;

public class BatchLoaderTests
{
    /// <summary>Image i is 2×3 gray with every pixel i mod 256 (plus its column, to see flips); label i mod 3.</summary>
    private sealed class Numbered(int count, int failAt = -1, int delayMs = 0) : ImageDataset
    {
        public int Reads;
        public override string Name => "numbered";
        public override int Count => count;
        public override int Channels => 1;
        public override int Height => 2;
        public override int Width => 3;
        public override IReadOnlyList<string> ClassNames => ["a", "b", "c"];
        public override int Label(int index) => index % 3;

        protected override void ReadValidated(int index, Span<byte> hwc)
        {
            Interlocked.Increment(ref Reads);
            if (index == failAt) throw new InvalidDataException($"image {index} of numbered is corrupt");
            if (delayMs > 0) Thread.Sleep(delayMs);
            for (int p = 0; p < 6; p++) hwc[p] = (byte)(index + p % 3);
        }
    }

    private static readonly ImagePipeline Raw = ImagePipeline.NormalizeOnly(Normalization.None);

    private static List<(LoaderPosition Position, int[] Indices, int[] Labels, float[] Images)> Take(BatchLoader loader, int batches)
    {
        var result = new List<(LoaderPosition, int[], int[], float[])>();
        for (int i = 0; i < batches; i++)
        {
            var batch = loader.Next();
            result.Add((batch.Position, batch.Indices.ToArray(), batch.Labels.ToArray(), batch.Images.ToArray()));
        }
        return result;
    }

    [Fact]
    public void OrderIsAReshuffledPermutationFixedBySeedAndEpoch()
    {
        var data = new Numbered(50);
        var options = new BatchLoaderOptions { BatchSize = 8, Seed = 3 };
        using var first = new BatchLoader(data, Raw, options);
        using var second = new BatchLoader(data, Raw, options);
        Assert.Equal(6, first.BatchesPerEpoch);
        var a = Take(first, 12);
        var b = Take(second, 12);
        Assert.Equal(a.Select(x => x.Indices), b.Select(x => x.Indices));

        var epoch0 = a.Take(6).SelectMany(x => x.Indices).ToArray();
        var epoch1 = a.Skip(6).SelectMany(x => x.Indices).ToArray();
        Assert.Equal(48, epoch0.Distinct().Count());
        Assert.NotEqual(epoch0, epoch1);
        Assert.Equal(new LoaderPosition(1, 0), a[6].Position);

        using var reseeded = new BatchLoader(data, Raw, options with { Seed = 4 });
        Assert.NotEqual(a[0].Indices, reseeded.Next().Indices.ToArray());

        foreach (var (_, indices, labels, images) in a)
            for (int k = 0; k < indices.Length; k++)
            {
                Assert.Equal(indices[k] % 3, labels[k]);
                Assert.Equal((byte)(indices[k] + 1) / 255f, images[k * 6 + 1]);
            }
    }

    [Fact]
    public void DropLastControlsTheFinalPartialBatch()
    {
        var data = new Numbered(10);
        using var dropping = new BatchLoader(data, Raw, new BatchLoaderOptions { BatchSize = 4, Shuffle = false, Epochs = 1 });
        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7]], dropping.RemainingBatchesOfEpoch().Select(b => b.Indices.ToArray()).ToArray());
        Assert.False(dropping.TryNext(out _));
        Assert.Throws<InvalidOperationException>(() => dropping.Next());

        using var keeping = new BatchLoader(data, Raw, new BatchLoaderOptions { BatchSize = 4, Shuffle = false, DropLast = false, Epochs = 2 });
        var batches = Take(keeping, 6);
        Assert.Equal([4, 4, 2, 4, 4, 2], batches.Select(b => b.Indices.Length));
        Assert.Equal([8, 9], batches[2].Indices);
        Assert.Equal(2 * 6, batches[2].Images.Length);
        Assert.False(keeping.TryNext(out _));

        Assert.Throws<ArgumentException>(() => new BatchLoader(data, Raw, new BatchLoaderOptions { BatchSize = 11 }));
    }

    [Fact]
    public void ResumingAtAPositionRepeatsTheSameBatches()
    {
        var data = new Numbered(40);
        var pipeline = ImagePipeline.Train(2, Normalization.None, flipProbability: 0.5);
        var options = new BatchLoaderOptions { BatchSize = 6, Seed = 9 };
        using var full = new BatchLoader(data, pipeline, options);
        var reference = Take(full, 14);
        using var resumed = new BatchLoader(data, pipeline, options with { Start = new LoaderPosition(1, 2) });
        var tail = Take(resumed, 6);
        for (int i = 0; i < 6; i++)
        {
            var expected = reference[6 + 2 + i];
            Assert.Equal(expected.Position, tail[i].Position);
            Assert.Equal(expected.Indices, tail[i].Indices);
            Assert.Equal(expected.Images, tail[i].Images);
        }
        Assert.Throws<ArgumentException>(() => new BatchLoader(data, pipeline, options with { Start = new LoaderPosition(0, 6) }));
    }

    [Fact]
    public void NextPositionPointsAfterTheBatch()
    {
        using var loader = new BatchLoader(new Numbered(9), Raw, new BatchLoaderOptions { BatchSize = 3 });
        Assert.Equal(new LoaderPosition(0, 1), loader.Next().NextPosition);
        loader.Next();
        var last = loader.Next();
        Assert.True(last.IsLastOfEpoch);
        Assert.Equal(new LoaderPosition(1, 0), last.NextPosition);
    }

    [Fact]
    public void ViewsRepeatEachImageViewMajorWithTheSingleViewBatchAsViewZero()
    {
        var data = new Numbered(40);
        var pipeline = ImagePipeline.Train(2, Normalization.None, flipProbability: 0.5);
        var options = new BatchLoaderOptions { BatchSize = 4, Seed = 2 };
        using var single = new BatchLoader(data, pipeline, options);
        using var paired = new BatchLoader(data, pipeline, options with { Views = 2 });
        Assert.Equal(single.BatchesPerEpoch, paired.BatchesPerEpoch);
        const int floats = 4; // one 2×2 crop
        bool viewsDiffer = false;
        for (int b = 0; b < 10; b++)
        {
            var one = Take(single, 1)[0];
            var two = Take(paired, 1)[0];
            Assert.Equal(8, two.Indices.Length);
            Assert.Equal(one.Indices, two.Indices[..4]);
            Assert.Equal(one.Indices, two.Indices[4..]);
            Assert.Equal(one.Labels, two.Labels[4..]);
            Assert.Equal(one.Images, two.Images[..(4 * floats)]);
            viewsDiffer |= !two.Images.AsSpan(0, 4 * floats).SequenceEqual(two.Images.AsSpan(4 * floats));
        }
        Assert.True(viewsDiffer, "the second view repeated the first crop everywhere");
    }

    [Fact]
    public void BatchesDoNotDependOnTheWorkerCount()
    {
        var data = new Numbered(64);
        var pipeline = ImagePipeline.Train(2, Normalization.None, flipProbability: 0.5);
        var options = new BatchLoaderOptions { BatchSize = 5, Seed = 1, PrefetchBatches = 2 };
        using var single = new BatchLoader(data, pipeline, options);
        using var several = new BatchLoader(data, pipeline, options with { Workers = 3 });
        var a = Take(single, 30);
        var b = Take(several, 30);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Indices, b[i].Indices);
            Assert.Equal(a[i].Images, b[i].Images);
        }
    }

    [Fact]
    public void WorkerExceptionsReachTheConsumerInOrder()
    {
        var data = new Numbered(20, failAt: 9);
        using var loader = new BatchLoader(data, Raw, new BatchLoaderOptions { BatchSize = 4, Shuffle = false, Workers = 2 });
        Assert.Equal([0, 1, 2, 3], loader.Next().Indices.ToArray());
        Assert.Equal([4, 5, 6, 7], loader.Next().Indices.ToArray());
        var error = Assert.Throws<InvalidDataException>(() => loader.Next());
        Assert.Equal("image 9 of numbered is corrupt", error.Message);
        Assert.Throws<InvalidDataException>(() => loader.Next());
    }

    [Fact]
    public void DisposeMidEpochStopsPromptlyAndWakesAWaitingConsumer()
    {
        var data = new Numbered(1000, delayMs: 20);
        var loader = new BatchLoader(data, Raw, new BatchLoaderOptions { BatchSize = 100, Workers = 2 });
        Exception? consumerError = null;
        var consumer = new Thread(() =>
        {
            try
            {
                loader.Next();
            }
            catch (Exception e)
            {
                consumerError = e;
            }
        });
        consumer.Start();
        Thread.Sleep(100);
        var timer = Stopwatch.StartNew();
        loader.Dispose();
        Assert.True(consumer.Join(TimeSpan.FromSeconds(5)), "the consumer stayed blocked after Dispose");
        Assert.True(timer.Elapsed < TimeSpan.FromSeconds(2), $"Dispose took {timer.Elapsed}");
        Assert.IsType<ObjectDisposedException>(consumerError);
        int reads = data.Reads;
        Thread.Sleep(60);
        Assert.Equal(reads, data.Reads);
        loader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.Next());
    }

    [Fact]
    public unsafe void BatchBuffersAreReusedWithoutConsumerAllocations()
    {
        using var loader = new BatchLoader(new Numbered(256), Raw, new BatchLoaderOptions { BatchSize = 16, PrefetchBatches = 2 });
        var seen = new HashSet<Batch>();
        for (int i = 0; i < 10; i++) seen.Add(loader.Next());
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) loader.Next();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(3, seen.Count);
        var tensor = loader.Next().ToTensor();
        Assert.Equal(0, (long)tensor.Data % 64);
        Assert.Equal("[16, 1, 2, 3]", tensor.Shape.ToString());
    }
}
