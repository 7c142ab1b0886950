using System.Buffers;
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.IO;

// The safetensors layout: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON mapping tensor
// names to {"dtype", "shape", "data_offsets": [begin, end)} (plus an optional "__metadata__"
// object of strings), then the data buffer that the offsets index. This is the format PyTorch and
// the Hugging Face tools exchange weights in, so checkpoints and fixtures need no converter.

/// <summary>One tensor in a safetensors header.</summary>
public sealed class SafetensorsEntry
{
    internal SafetensorsEntry(string name, string dtype, ElementType type, int elementSize, int[] shape, long numel, long begin, long end)
    {
        Name = name;
        DType = dtype;
        ElementType = type;
        ElementSize = elementSize;
        Shape = shape;
        Numel = numel;
        Begin = begin;
        End = end;
    }

    public string Name { get; }

    /// <summary>The dtype as the file spells it: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, …</summary>
    public string DType { get; }

    /// <summary>The dimensions; empty for a scalar. Reads use <see cref="Numel"/>, so changing this array changes nothing.</summary>
    public int[] Shape { get; }

    public long Numel { get; }

    public int ElementSize { get; }

    /// <summary>Start of the tensor's bytes, relative to the data buffer (after the header).</summary>
    public long Begin { get; }

    /// <summary>End (exclusive) of the tensor's bytes, relative to the data buffer.</summary>
    public long End { get; }

    public long ByteLength => End - Begin;

    public ElementType ElementType { get; }

    /// <summary>The engine's shape; fails for ranks above <see cref="Tensors.Shape.MaxRank"/>.</summary>
    public Shape ToShape()
    {
        if (Shape.Length > Tensors.Shape.MaxRank)
            throw new InvalidOperationException($"tensor '{Name}' has rank {Shape.Length}; engine shapes hold at most {Tensors.Shape.MaxRank} dimensions");
        return new Shape(Shape);
    }

    public override string ToString() => $"'{Name}' {DType}{FormatShape(Shape)}";

    internal static string FormatShape(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}

/// <summary>
/// A safetensors file opened for reading. The header is parsed and fully validated on
/// <see cref="Open"/>; tensor data stays in a read-only memory map and is converted only when a
/// tensor is read, so opening a multi-gigabyte checkpoint costs its header, not its size.
/// Reads may run concurrently; none may outlive <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>The largest header accepted, as in the reference implementation: a bound on what a corrupt length can make us allocate.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";

    // Conversions run in bounded chunks so byte counts stay within a span's int length even for
    // tensors whose bytes exceed 2 GiB (F64/I64 tensors near the float[] size limit).
    private const int ChunkElements = 1 << 20;

    private readonly MappedFile _file;
    private byte* _data;
    private bool _disposed;

    /// <summary>The path the file was opened with (used in every error message).</summary>
    public string Path { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    /// <summary>The "__metadata__" strings; empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Bytes of the data buffer (the file minus the length prefix and header).</summary>
    public long DataLength { get; }

    private SafetensorsFile(string path, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata,
        long dataLength, MappedFile file, byte* data)
    {
        Path = path;
        Entries = entries.AsReadOnly();
        Metadata = metadata.AsReadOnly();
        DataLength = dataLength;
        _file = file;
        _data = data;
    }

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = new MappedFile(path);
        try
        {
            long fileLength = file.Length;
            if (fileLength < 8)
                throw Invalid(path, $"the file is {fileLength} bytes, too short for the 8-byte header length");
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(0, 8));
            if (headerLength > MaxHeaderLength)
                throw Invalid(path, $"header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes");
            if ((long)headerLength > fileLength - 8)
                throw Invalid(path, $"header length {headerLength} runs past the end of the file ({fileLength} bytes)");
            long dataLength = fileLength - 8 - (long)headerLength;
            var (entries, metadata) = ParseHeader(path, file.Span(8, (int)headerLength), dataLength);
            return new SafetensorsFile(path, entries, metadata, dataLength, file, file.Pointer + 8 + (long)headerLength);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => Entries.ContainsKey(name);

    /// <summary>The entry named <paramref name="name"/>; throws <see cref="KeyNotFoundException"/> naming the file and the tensor.</summary>
    public SafetensorsEntry GetEntry(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Entries.TryGetValue(name, out var entry)
            ? entry
            : throw new KeyNotFoundException($"safetensors file '{Path}' has no tensor named '{name}'");
    }

    /// <summary>Reads a tensor of any float, integer or bool dtype, converted to float32.</summary>
    public float[] ReadFloat32(string name)
    {
        var entry = GetEntry(name);
        if (entry.Numel > Array.MaxLength)
            throw new InvalidOperationException($"tensor '{name}' in '{Path}' has {entry.Numel} elements, more than a float array holds; use ReadInto on native memory in parts");
        var result = new float[entry.Numel];
        ReadInto(name, result);
        return result;
    }

    /// <summary>Reads a tensor converted to float32 into <paramref name="destination"/>, whose length must equal the tensor's element count.</summary>
    public void ReadInto(string name, Span<float> destination)
    {
        var entry = GetEntry(name);
        if (destination.Length != entry.Numel)
            throw new ArgumentException($"tensor '{name}' in '{Path}' has {entry.Numel} elements (shape {SafetensorsEntry.FormatShape(entry.Shape)}), but the destination holds {destination.Length}", nameof(destination));
        byte* source = DataPointer(entry);
        PageHints.WillRead(source, entry.ByteLength);
        for (int done = 0; done < destination.Length; done += ChunkElements)
        {
            int count = Math.Min(ChunkElements, destination.Length - done);
            var bytes = new ReadOnlySpan<byte>(source + (long)done * entry.ElementSize, count * entry.ElementSize);
            ElementTypes.ToFloat32(entry.ElementType, bytes, destination.Slice(done, count));
        }
    }

    /// <summary>Reads a tensor of an integer or bool dtype as int64 (step counters, RNG state, labels).</summary>
    public long[] ReadInt64(string name)
    {
        var entry = GetEntry(name);
        if (!ElementTypes.IsInteger(entry.ElementType))
            throw new InvalidOperationException($"tensor '{name}' in '{Path}' is {entry.DType}, not an integer type; read it with ReadFloat32");
        if (entry.Numel > Array.MaxLength)
            throw new InvalidOperationException($"tensor '{name}' in '{Path}' has {entry.Numel} elements, more than an array holds");
        var result = new long[entry.Numel];
        byte* source = DataPointer(entry);
        for (int done = 0; done < result.Length; done += ChunkElements)
        {
            int count = Math.Min(ChunkElements, result.Length - done);
            var bytes = new ReadOnlySpan<byte>(source + (long)done * entry.ElementSize, count * entry.ElementSize);
            if (!ElementTypes.ToInt64(entry.ElementType, bytes, result.AsSpan(done, count), out int bad))
                throw new OverflowException($"tensor '{name}' in '{Path}' holds U64 value {BinaryPrimitives.ReadUInt64LittleEndian(bytes[(bad * 8)..])} at element {done + bad}, beyond the int64 range");
        }
        return result;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _data = null;
        _file.Dispose();
    }

    private byte* DataPointer(SafetensorsEntry entry)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _data + entry.Begin;
    }

    private static InvalidDataException Invalid(string path, string problem, Exception? inner = null)
        => new($"invalid safetensors file '{path}': {problem}", inner);

    // --- header validation ---

    private static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(string path, ReadOnlySpan<byte> header, long dataLength)
    {
        // JsonDocument validates structure but transcodes strings lazily, so bad UTF-8 would
        // surface later as an InvalidOperationException; the format requires UTF-8 throughout.
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw Invalid(path, "the header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException e)
        {
            throw Invalid(path, $"the header is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Invalid(path, $"the header is a JSON {Describe(root.ValueKind)}, not an object");

            var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            // JsonDocument keeps duplicate properties, so walking them all catches duplicate keys.
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (sawMetadata) throw Invalid(path, $"duplicate key '{MetadataKey}' in the header");
                    sawMetadata = true;
                    ParseMetadata(path, property.Value, metadata);
                }
                else
                {
                    if (entries.ContainsKey(property.Name))
                        throw Invalid(path, $"duplicate tensor name '{property.Name}' in the header");
                    entries.Add(property.Name, ParseEntry(path, property.Name, property.Value, dataLength));
                }
            }
            CheckCoverage(path, entries.Values, dataLength);
            return (entries, metadata);
        }
    }

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"'{MetadataKey}' is a JSON {Describe(value.ValueKind)}, not an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Invalid(path, $"metadata value '{item.Name}' is a JSON {Describe(item.Value.ValueKind)}, not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Invalid(path, $"duplicate metadata key '{item.Name}'");
        }
    }

    private static SafetensorsEntry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(path, $"tensor '{name}' is described by a JSON {Describe(value.ValueKind)}, not an object");
        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        // Other fields are ignored, as the reference implementation does; repeated ones are not.
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype": SetOnce(ref dtypeElement, field); break;
                case "shape": SetOnce(ref shapeElement, field); break;
                case "data_offsets": SetOnce(ref offsetsElement, field); break;
            }
        }

        if (dtypeElement is not { ValueKind: JsonValueKind.String } dtypeValue)
            throw Invalid(path, $"tensor '{name}' has no string field 'dtype'");
        string dtype = dtypeValue.GetString()!;
        if (!ElementTypes.TryParse(dtype, out var type, out int elementSize))
            throw Invalid(path, $"tensor '{name}' has unknown dtype '{dtype}'");

        if (shapeElement is not { ValueKind: JsonValueKind.Array } shapeValue)
            throw Invalid(path, $"tensor '{name}' has no array field 'shape'");
        var shape = new int[shapeValue.GetArrayLength()];
        long numel = 1;
        int axis = 0;
        foreach (var dim in shapeValue.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d))
                throw Invalid(path, $"tensor '{name}' has a shape entry {dim.GetRawText()} that is not an integer");
            if (d < 0)
                throw Invalid(path, $"tensor '{name}' has negative dimension {d} in its shape");
            if (d > int.MaxValue)
                throw Invalid(path, $"tensor '{name}' has dimension {d}, beyond the supported {int.MaxValue}");
            shape[axis++] = (int)d;
            if (numel > 0 && d > long.MaxValue / elementSize / numel)
                throw Invalid(path, $"tensor '{name}' has a shape whose byte size overflows 64 bits");
            numel *= d;
        }

        if (offsetsElement is not { ValueKind: JsonValueKind.Array } offsetsValue || offsetsValue.GetArrayLength() != 2)
            throw Invalid(path, $"tensor '{name}' has no field 'data_offsets' holding two integers");
        long begin = ReadOffset(path, name, offsetsValue[0]);
        long end = ReadOffset(path, name, offsetsValue[1]);
        if (begin > end)
            throw Invalid(path, $"tensor '{name}' has data_offsets [{begin}, {end}) that end before they begin");
        long needed = numel * elementSize;
        if (end - begin != needed)
            throw Invalid(path, $"tensor '{name}' has data_offsets [{begin}, {end}) spanning {end - begin} bytes, but dtype {dtype} with shape {SafetensorsEntry.FormatShape(shape)} needs {needed}");
        if (end > dataLength)
            throw Invalid(path, $"tensor '{name}' has data_offsets [{begin}, {end}) beyond the end of the {dataLength}-byte data buffer");
        return new SafetensorsEntry(name, dtype, type, elementSize, shape, numel, begin, end);

        void SetOnce(ref JsonElement? slot, JsonProperty field)
        {
            if (slot is not null) throw Invalid(path, $"tensor '{name}' has a repeated field '{field.Name}'");
            slot = field.Value;
        }
    }

    private static long ReadOffset(string path, string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long value) || value < 0)
            throw Invalid(path, $"tensor '{name}' has data offset {element.GetRawText()}, not a non-negative 64-bit integer");
        return value;
    }

    // Tensors must tile the data buffer exactly: no overlaps (two names aliasing bytes) and no
    // unclaimed bytes (a sign of truncation or of a header that lost an entry).
    private static void CheckCoverage(string path, IEnumerable<SafetensorsEntry> entries, long dataLength)
    {
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long covered = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in sorted)
        {
            if (e.Begin < covered)
                throw Invalid(path, $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}) and '{e.Name}' [{e.Begin}, {e.End}) overlap in the data buffer");
            if (e.Begin > covered)
                throw Invalid(path, $"bytes [{covered}, {e.Begin}) of the data buffer belong to no tensor");
            covered = e.End;
            previous = e;
        }
        if (covered != dataLength)
            throw Invalid(path, $"bytes [{covered}, {dataLength}) of the data buffer belong to no tensor");
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}

/// <summary>
/// Collects tensors and metadata, then writes them as a safetensors file (F32 and I64) with
/// <see cref="Save"/>. The write is atomic: readers of <c>path</c> see the old file or the new
/// one, never a torn mix, even if the process dies mid-write.
/// </summary>
public sealed unsafe class SafetensorsWriter
{
    private const string MetadataKey = "__metadata__";

    // Bounded writes keep spans within int lengths for tensors larger than 2 GiB.
    private const int ChunkBytes = 1 << 26;

    private readonly List<Item> _items = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    private sealed record Item(string Name, string DType, int[] Shape, long ByteLength, Array? Managed, nint Native);

    /// <summary>Runs after the temporary file is complete and flushed, before it replaces the target: lets tests fail a save at its last moment.</summary>
    internal Action<string>? BeforeCommit { get; set; }

    public int Count => _items.Count;

    /// <summary>Adds an F32 tensor, copying <paramref name="data"/>.</summary>
    public SafetensorsWriter Add(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> data)
    {
        var dims = CheckNew(name, shape, data.Length);
        return Append(new Item(name, "F32", dims, (long)data.Length * sizeof(float), data.ToArray(), 0));
    }

    /// <summary>Adds an F32 tensor, copying <paramref name="data"/>.</summary>
    public SafetensorsWriter Add(string name, Shape shape, ReadOnlySpan<float> data) => Add(name, shape.ToArray(), data);

    /// <summary>Adds an I64 tensor (step counters, RNG state), copying <paramref name="data"/>.</summary>
    public SafetensorsWriter Add(string name, ReadOnlySpan<int> shape, ReadOnlySpan<long> data)
    {
        var dims = CheckNew(name, shape, data.Length);
        return Append(new Item(name, "I64", dims, (long)data.Length * sizeof(long), data.ToArray(), 0));
    }

    /// <summary>Adds an I64 tensor (step counters, RNG state), copying <paramref name="data"/>.</summary>
    public SafetensorsWriter Add(string name, Shape shape, ReadOnlySpan<long> data) => Add(name, shape.ToArray(), data);

    /// <summary>
    /// Adds an F32 tensor by reference to its native memory, without copying: checkpoints of a
    /// large model then cost no second copy. The tensor's data must stay valid and unchanged
    /// until <see cref="Save"/> returns.
    /// </summary>
    public SafetensorsWriter Add(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var dims = CheckNew(name, tensor.Shape.ToArray(), tensor.Numel);
        if (tensor.Data == null && tensor.Numel > 0)
            throw new ArgumentException($"tensor '{name}' {tensor.Describe()} has no memory (declared but never allocated)", nameof(tensor));
        return Append(new Item(name, "F32", dims, (long)tensor.Numel * sizeof(float), null, (nint)tensor.Data));
    }

    public SafetensorsWriter AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!_metadata.TryAdd(key, value)) throw new ArgumentException($"duplicate metadata key '{key}'", nameof(key));
        return this;
    }

    /// <summary>Writes F32 tensors and optional metadata to <paramref name="path"/> in one call.</summary>
    public static void Write(string path, IEnumerable<(string Name, Shape Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var writer = new SafetensorsWriter();
        foreach (var (name, shape, data) in tensors) writer.Add(name, shape, data);
        if (metadata is not null)
            foreach (var (key, value) in metadata) writer.AddMetadata(key, value);
        writer.Save(path);
    }

    /// <summary>
    /// Writes the file: first to <c>path.tmp-&lt;random&gt;</c> in the same directory, flushed to
    /// disk, then renamed over <paramref name="path"/> (a rename within one file system is atomic).
    /// On failure the temporary file is removed and any existing <paramref name="path"/> is untouched.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; writing from a big-endian host is not implemented");
        byte[] header = BuildHeader();
        string target = System.IO.Path.GetFullPath(path);
        string temporary = $"{target}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (var item in _items) WriteData(stream, item);
                // Flush(true) reaches the disk before the rename publishes the file, so a crash
                // cannot leave a complete-looking name over incomplete contents.
                stream.Flush(flushToDisk: true);
            }
            BeforeCommit?.Invoke(temporary);
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // The original failure matters more than a leftover temporary file.
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }

    private int[] CheckNew(string name, ReadOnlySpan<int> shape, long length)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved for metadata and cannot name a tensor", nameof(name));
        if (_names.Contains(name)) throw new ArgumentException($"duplicate tensor name '{name}'", nameof(name));
        long numel = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}' has negative dimension {d} in shape {SafetensorsEntry.FormatShape(shape)}", nameof(shape));
            numel *= d;
        }
        if (numel != length)
            throw new ArgumentException($"tensor '{name}' has shape {SafetensorsEntry.FormatShape(shape)} ({numel} elements) but {length} values", nameof(shape));
        return shape.ToArray();
    }

    private SafetensorsWriter Append(Item item)
    {
        _names.Add(item.Name);
        _items.Add(item);
        return this;
    }

    private byte[] BuildHeader()
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Names are not embedded in HTML, so only JSON's own escaping is needed; headers stay readable.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in _metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var item in _items)
            {
                json.WriteStartObject(item.Name);
                json.WriteString("dtype", item.DType);
                json.WriteStartArray("shape");
                foreach (int d in item.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + item.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += item.ByteLength;
            }
            json.WriteEndObject();
        }
        // Space padding to a multiple of 8 keeps the data buffer 8-byte aligned in the file, so
        // a memory-mapped reader sees aligned F32/I64 data.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteData(FileStream stream, Item item)
    {
        switch (item.Managed)
        {
            case float[] f:
                for (int done = 0; done < f.Length; done += ChunkBytes / sizeof(float))
                    stream.Write(MemoryMarshal.AsBytes(f.AsSpan(done, Math.Min(ChunkBytes / sizeof(float), f.Length - done))));
                break;
            case long[] l:
                for (int done = 0; done < l.Length; done += ChunkBytes / sizeof(long))
                    stream.Write(MemoryMarshal.AsBytes(l.AsSpan(done, Math.Min(ChunkBytes / sizeof(long), l.Length - done))));
                break;
            default:
                for (long done = 0; done < item.ByteLength; done += ChunkBytes)
                    stream.Write(new ReadOnlySpan<byte>((byte*)item.Native + done, (int)Math.Min(ChunkBytes, item.ByteLength - done)));
                break;
        }
    }
}
