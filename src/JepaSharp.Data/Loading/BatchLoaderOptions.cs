namespace JepaSharp.Data.Loading;

public sealed record BatchLoaderOptions
{
    /// <summary>Dataset images per batch.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>
    /// Augmented views of each image: a batch holds BatchSize × Views images, view-major (slot v·n + i is view v of
    /// the batch's image i). View 0 is the single-view image; later views continue the image's random stream.
    /// </summary>
    public int Views { get; init; } = 1;

    /// <summary>Reshuffle the order every epoch from (Seed, epoch); false keeps dataset order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Skip the last partial batch of each epoch (the I-JEPA recipe's drop_last=True).</summary>
    public bool DropLast { get; init; } = true;

    /// <summary>Seeds both the epoch shuffles and the per-sample augmentation.</summary>
    public long Seed { get; init; }

    /// <summary>Background threads building batches; batch contents do not depend on it.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Batches built ahead of the consumer.</summary>
    public int PrefetchBatches { get; init; } = 3;

    /// <summary>The stream ends after epoch Epochs − 1; null streams forever.</summary>
    public int? Epochs { get; init; }

    /// <summary>The first batch delivered, e.g. a checkpoint's <see cref="Batch.NextPosition"/>.</summary>
    public LoaderPosition Start { get; init; }
}
