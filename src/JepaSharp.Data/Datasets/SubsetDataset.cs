namespace JepaSharp.Data.Datasets;

/// <summary>The first <c>count</c> images of another dataset (quick runs, tests, <c>data.train_subset</c>).</summary>
public sealed class SubsetDataset : ImageDataset
{
    private readonly IImageDataset _source;

    public SubsetDataset(IImageDataset source, int count)
    {
        if (count < 1 || count > source.Count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"a subset of {source.Name} needs between 1 and {source.Count} images");
        _source = source;
        Count = count;
    }

    public override string Name => $"{_source.Name} (first {Count})";
    public override int Count { get; }
    public override int Channels => _source.Channels;
    public override int Height => _source.Height;
    public override int Width => _source.Width;
    public override IReadOnlyList<string> ClassNames => _source.ClassNames;

    public override int Label(int index)
    {
        CheckIndex(index);
        return _source.Label(index);
    }

    protected override void ReadValidated(int index, Span<byte> hwc) => _source.ReadBytes(index, hwc);
}
