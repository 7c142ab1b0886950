using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using JepaSharp.Engine.IO;
using JepaSharp.Interop.Pickle;

namespace JepaSharp.Interop.Torch;

/// <summary>Which container torch.save used.</summary>
public enum TorchFormat
{
    /// <summary>The ZIP container (default since PyTorch 1.6): data.pkl plus one record per storage.</summary>
    Zip,
    /// <summary>The pre-1.6 stream (or <c>_use_new_zipfile_serialization=False</c>): pickles followed by raw storages.</summary>
    Legacy,
}

/// <summary>
/// A file written by <c>torch.save</c>, opened without Python: the object tree is rebuilt by the
/// restricted <see cref="Unpickler"/> (only state-dict globals are admitted) and each tensor is a
/// lazy view into the memory-mapped file, read and converted only when asked for.
/// </summary>
public sealed class TorchCheckpoint : IDisposable
{
    /// <summary>The largest data.pkl accepted (a ViT-g training checkpoint's is about 1 MB).</summary>
    public const long MaxPickleBytes = 1L << 30;

    // The legacy format's first pickle: torch.serialization's MAGIC_NUMBER.
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("1950a86a20f9469cfc6c", NumberStyles.HexNumber);
    private const long LegacyProtocol = 1001;

    private readonly MappedFile _file;

    private TorchCheckpoint(MappedFile file, TorchFormat format, object? root)
    {
        _file = file;
        Format = format;
        Root = root;
    }

    public string Path => _file.Path;
    public TorchFormat Format { get; }

    /// <summary>The unpickled object: dicts, lists, scalars and <see cref="TorchTensor"/> leaves.</summary>
    public object? Root { get; }

    /// <summary>True when the file starts like a torch.save output (a ZIP archive or the legacy magic pickle).</summary>
    public static bool LooksLikeCheckpoint(ReadOnlySpan<byte> head) =>
        head.StartsWith("PK\x03\x04"u8) || head.StartsWith((ReadOnlySpan<byte>)[0x80, 0x02, 0x8A, 0x0A]);

    public static TorchCheckpoint Open(string path, UnpicklerLimits? limits = null)
    {
        var file = new MappedFile(path);
        try
        {
            var head = file.Span(0, (int)Math.Min(4, file.Length));
            if (head.StartsWith("PK\x03\x04"u8)) return OpenZip(file, limits);
            if (head.Length >= 2 && head[0] == 0x80) return OpenLegacy(file, limits);
            throw new InvalidDataException($"'{path}' is not a PyTorch checkpoint: it is neither a ZIP archive nor a legacy torch.save stream");
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static TorchCheckpoint OpenZip(MappedFile file, UnpicklerLimits? limits)
    {
        var entries = ZipDirectory.Read(file);
        // The archive's folder is the saved file's stem ("archive" for buffers); take it from
        // the data.pkl entry as PyTorch does.
        var pickleEntry = entries.Values.FirstOrDefault(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal) && e.Name.IndexOf('/') == e.Name.Length - 9)
                          ?? throw new InvalidDataException($"'{file.Path}' is a ZIP archive without a data.pkl record, so not a torch.save checkpoint");
        string prefix = pickleEntry.Name[..^"data.pkl".Length];
        if (pickleEntry.Size > MaxPickleBytes) throw new InvalidDataException($"'{file.Path}': data.pkl is {pickleEntry.Size} bytes, more than the {MaxPickleBytes} accepted");
        var pickle = file.Memory(pickleEntry.DataOffset, (int)pickleEntry.Size);
        uint crc = Crc32.Compute(pickle.Span);
        if (crc != pickleEntry.Crc32)
            throw new InvalidDataException($"'{file.Path}': data.pkl fails its CRC check (stored {pickleEntry.Crc32:X8}, computed {crc:X8}): the file is corrupt");

        var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        var resolver = new TorchPickleResolver($"'{file.Path}' (data.pkl)", (id, type) =>
        {
            var storage = SharedStorage(file, storages, id, type);
            if (storage.FileOffset < 0)
            {
                string record = prefix + "data/" + storage.Key;
                if (!entries.TryGetValue(record, out var entry))
                    throw new InvalidDataException($"'{file.Path}': the pickle refers to storage '{storage.Key}' but the archive has no record '{record}'");
                storage.Locate(entry.DataOffset, entry.Size);
            }
            return storage;
        });
        var root = new Unpickler(pickle, $"'{file.Path}' (data.pkl)", resolver, limits).Load();
        return Validated(new TorchCheckpoint(file, TorchFormat.Zip, root));
    }

    // Legacy layout: magic, protocol, sys_info, the object, the sorted storage keys, then per key
    // an int64 element count and the raw elements.
    private static TorchCheckpoint OpenLegacy(MappedFile file, UnpicklerLimits? limits)
    {
        var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        string source = $"'{file.Path}' (legacy format)";
        var resolver = new TorchPickleResolver(source, (id, type) => SharedStorage(file, storages, id, type));
        var unpickler = new Unpickler(file.Memory(0, (int)Math.Min(file.Length, int.MaxValue)), source, resolver, limits);
        if (unpickler.Load() is not BigInteger magic || magic != LegacyMagic)
            throw new InvalidDataException($"'{file.Path}' is not a PyTorch checkpoint: it starts with a pickle but not torch.save's magic number");
        if (unpickler.Load() is not long protocol || protocol != LegacyProtocol)
            throw new InvalidDataException($"{source}: unsupported serialization protocol (expected {LegacyProtocol})");
        if (unpickler.Load() is not PyDict info || !info.TryGetValue("little_endian", out var little) || little is not true)
            throw new InvalidDataException($"{source}: the file was written on a big-endian machine or lacks its system-info record");
        var root = unpickler.Load();
        if (unpickler.Load() is not List<object?> keys)
            throw new InvalidDataException($"{source}: the storage key list is missing after the object");

        long position = unpickler.Position;
        foreach (var keyObject in keys)
        {
            string key = keyObject as string ?? throw new InvalidDataException($"{source}: storage key {PyValues.TypeName(keyObject)} is not a string");
            if (!storages.TryGetValue(key, out var storage))
                throw new InvalidDataException($"{source}: the key list names storage '{key}', which no tensor uses (its element size is unknown)");
            long count = BinaryPrimitives.ReadInt64LittleEndian(file.Span(position, 8));
            if (count < 0 || count > long.MaxValue / 8) throw new InvalidDataException($"{source}: storage '{key}' at byte {position} declares {count} elements");
            storage.Locate(position + 8, Math.Min(count, storage.Numel) * storage.ElementSize);
            position += 8 + count * storage.ElementSize;
            file.CheckRange(0, position);
        }
        return Validated(new TorchCheckpoint(file, TorchFormat.Legacy, root));
    }

    private static TorchStorage SharedStorage(MappedFile file, Dictionary<string, TorchStorage> storages, PyTuple id, ElementType type)
    {
        string key = id[2] switch
        {
            string s => s,
            long l => l.ToString(CultureInfo.InvariantCulture),
            var other => throw new InvalidDataException($"'{file.Path}': storage key is a {PyValues.TypeName(other)}"),
        };
        if (id[4] is not long numel || numel < 0) throw new InvalidDataException($"'{file.Path}': storage '{key}' has no valid element count");
        if (storages.TryGetValue(key, out var existing))
        {
            if (existing.ElementType != type || existing.Numel != numel)
                throw new InvalidDataException($"'{file.Path}': storage '{key}' is declared twice with different types or sizes");
            return existing;
        }
        if (!ElementTypes.TryParse(DTypeName(type), out _, out int size)) throw new InvalidOperationException($"no element size for {type}");
        if (numel > long.MaxValue / size) throw new InvalidDataException($"'{file.Path}': storage '{key}' declares {numel} elements");
        var storage = new TorchStorage(key, type, size, numel, file);
        storages.Add(key, storage);
        return storage;
    }

    /// <summary>The safetensors spelling of an element type (F32, BF16, I64…), used in listings.</summary>
    public static string DTypeName(ElementType type) => type switch
    {
        ElementType.Bool => "BOOL",
        ElementType.F8E4M3 => "F8_E4M3",
        ElementType.F8E5M2 => "F8_E5M2",
        _ => type.ToString().ToUpperInvariant(),
    };

    private static TorchCheckpoint Validated(TorchCheckpoint checkpoint)
    {
        foreach (var (name, tensor) in checkpoint.Tensors()) tensor.Validate(name);
        return checkpoint;
    }

    /// <summary>Every tensor in the object tree with its dotted path ("encoder.module.blocks.0.attn.qkv.weight", "opt.state.3.exp_avg").</summary>
    public IEnumerable<(string Name, TorchTensor Tensor)> Tensors() =>
        ObjectTree.Leaves(Root, Path).Where(l => l.Value is TorchTensor).Select(l => (l.Name, (TorchTensor)l.Value!));

    public void Dispose() => _file.Dispose();
}
