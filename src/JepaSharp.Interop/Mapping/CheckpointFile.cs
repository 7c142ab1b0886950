using System.Buffers.Binary;
using JepaSharp.Engine.IO;
using JepaSharp.Interop.Pickle;
using JepaSharp.Interop.Torch;
using JepaSharp.Jepa.Training;

namespace JepaSharp.Interop.Mapping;

public enum CheckpointContainer
{
    Safetensors,
    TorchZip,
    TorchLegacy,
}

/// <summary>One stored tensor of any container, read lazily and converted to float32 on demand.</summary>
public sealed class SourceTensor
{
    private readonly Action<Span<float>> _read;

    internal SourceTensor(string name, ElementType type, int[] shape, Action<Span<float>> read)
    {
        Name = name;
        ElementType = type;
        Shape = shape;
        long numel = 1;
        foreach (int d in shape) numel *= d;
        Numel = numel;
        _read = read;
    }

    public string Name { get; }
    public ElementType ElementType { get; }
    public string DType => TorchCheckpoint.DTypeName(ElementType);
    public int[] Shape { get; }
    public long Numel { get; }

    /// <summary>The values as float32, row-major, into a destination of exactly <see cref="Numel"/> elements.</summary>
    public void ReadFloat32(Span<float> destination) => _read(destination);

    public float[] ReadFloat32()
    {
        var values = new float[Numel];
        _read(values);
        return values;
    }
}

/// <summary>
/// A weights file of any supported container — safetensors, torch.save ZIP or legacy — seen as a
/// flat, ordered list of named tensors plus the non-tensor values (epoch, lr…). Dotted names
/// follow the object tree, so an official checkpoint's tensors read
/// "encoder.module.blocks.0.attn.qkv.weight". A directory resolves to a JepaSharp checkpoint's
/// model.safetensors. Data stays memory-mapped until read.
/// </summary>
public sealed class CheckpointFile : IDisposable
{
    private readonly IDisposable _owner;
    private readonly Dictionary<string, SourceTensor> _byName;

    private CheckpointFile(string path, CheckpointContainer container, List<SourceTensor> tensors, List<(string, object?)> values,
        IReadOnlyDictionary<string, string> metadata, IDisposable owner)
    {
        Path = path;
        Container = container;
        Tensors = tensors;
        Values = values;
        Metadata = metadata;
        _owner = owner;
        _byName = new Dictionary<string, SourceTensor>(StringComparer.Ordinal);
        foreach (var t in tensors)
            if (!_byName.TryAdd(t.Name, t)) throw new InvalidDataException($"'{path}': two tensors are both named '{t.Name}'");
    }

    public string Path { get; }
    public CheckpointContainer Container { get; }
    public IReadOnlyList<SourceTensor> Tensors { get; }
    /// <summary>Non-tensor leaves of a PyTorch object (epoch, loss, optimizer hyper-parameters…), in file order.</summary>
    public IReadOnlyList<(string Name, object? Value)> Values { get; }
    /// <summary>A safetensors file's "__metadata__" strings; empty for PyTorch files.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public bool TryGet(string name, out SourceTensor tensor) => _byName.TryGetValue(name, out tensor!);

    public static CheckpointFile Open(string path, UnpicklerLimits? limits = null)
    {
        string file = Directory.Exists(path) ? TrainedModel.ResolveWeights(path) : path;
        if (!File.Exists(file)) throw new FileNotFoundException($"checkpoint '{path}' does not exist", path);
        Span<byte> head = stackalloc byte[8];
        int read;
        using (var stream = File.OpenRead(file)) read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..read];
        if (TorchCheckpoint.LooksLikeCheckpoint(head) || head.StartsWith((ReadOnlySpan<byte>)[0x80])) return FromTorch(file, limits);
        if (read == 8 && BinaryPrimitives.ReadUInt64LittleEndian(head) is > 1 and <= (ulong)SafetensorsFile.MaxHeaderLength) return FromSafetensors(file);
        throw new InvalidDataException($"'{file}' is neither a safetensors file nor a PyTorch checkpoint (it starts with bytes {Convert.ToHexString(head)})");
    }

    private static CheckpointFile FromSafetensors(string path)
    {
        var file = SafetensorsFile.Open(path);
        var tensors = file.Entries.Values.Select(e => new SourceTensor(e.Name, e.ElementType, e.Shape, d => file.ReadInto(e.Name, d))).ToList();
        return new CheckpointFile(path, CheckpointContainer.Safetensors, tensors, [], file.Metadata, file);
    }

    private static CheckpointFile FromTorch(string path, UnpicklerLimits? limits)
    {
        var checkpoint = TorchCheckpoint.Open(path, limits);
        try
        {
            var tensors = new List<SourceTensor>();
            var values = new List<(string, object?)>();
            foreach (var (name, value) in ObjectTree.Leaves(checkpoint.Root, path))
            {
                if (value is TorchTensor t) tensors.Add(new SourceTensor(name, t.ElementType, t.Shape, t.ReadFloat32));
                else values.Add((name, value));
            }
            var container = checkpoint.Format == TorchFormat.Zip ? CheckpointContainer.TorchZip : CheckpointContainer.TorchLegacy;
            return new CheckpointFile(path, container, tensors, values, new Dictionary<string, string>(), checkpoint);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    public void Dispose() => _owner.Dispose();
}
