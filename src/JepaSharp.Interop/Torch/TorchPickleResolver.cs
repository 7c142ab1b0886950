using System.Numerics;
using System.Text;
using JepaSharp.Engine.IO;
using JepaSharp.Interop.Pickle;

namespace JepaSharp.Interop.Torch;

/// <summary>
/// The globals a PyTorch state dict needs, and nothing else: tensor rebuild functions, storage
/// types, OrderedDict, Parameter and a few plain-container helpers. Each admitted callable is
/// interpreted here (a rebuild call becomes a <see cref="TorchTensor"/>, OrderedDict() a
/// <see cref="PyDict"/>); no Python name is ever imported or executed.
/// </summary>
internal sealed class TorchPickleResolver : IPickleResolver
{
    // Bounds on hostile tensor geometry, so size and stride products cannot overflow 64 bits.
    private const long MaxElements = 1L << 48;
    private const int MaxRank = 16;

    private static readonly Dictionary<string, ElementType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ElementType.F32,
        ["DoubleStorage"] = ElementType.F64,
        ["HalfStorage"] = ElementType.F16,
        ["BFloat16Storage"] = ElementType.BF16,
        ["LongStorage"] = ElementType.I64,
        ["IntStorage"] = ElementType.I32,
        ["ShortStorage"] = ElementType.I16,
        ["CharStorage"] = ElementType.I8,
        ["ByteStorage"] = ElementType.U8,
        ["BoolStorage"] = ElementType.Bool,
    };

    private static readonly HashSet<string> Callables = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch._tensor._rebuild_from_type_v2",
        "torch.nn.parameter.Parameter",
        "torch.Size",
        "torch.device",
        "builtins.set",
        "builtins.frozenset",
        "__builtin__.set",
        "_codecs.encode",
    };

    // Types passed as arguments (to _rebuild_from_type_v2) but never called.
    private static readonly HashSet<string> TypeMarkers = new(StringComparer.Ordinal) { "torch.Tensor", "torch._tensor.Tensor" };

    private readonly string _source;
    private readonly Func<PyTuple, ElementType, TorchStorage> _storage;

    /// <param name="storage">Returns the storage a persistent id names (one object per key, so views share it).</param>
    public TorchPickleResolver(string source, Func<PyTuple, ElementType, TorchStorage> storage)
    {
        _source = source;
        _storage = storage;
    }

    /// <summary>The allowlist, for messages and documentation.</summary>
    public static IEnumerable<string> AllowedGlobals =>
        Callables.Concat(TypeMarkers).Concat(StorageTypes.Keys.Select(k => "torch." + k)).Order(StringComparer.Ordinal);

    public object ResolveGlobal(string module, string name)
    {
        string full = $"{module}.{name}";
        bool storage = module == "torch" && StorageTypes.ContainsKey(name);
        if (!storage && !Callables.Contains(full) && !TypeMarkers.Contains(full))
            throw RefusedGlobal.Create(_source, full,
                "which a state dict never needs; only tensor rebuild functions, storage types, OrderedDict and plain containers are allowed (nothing was executed)");
        return new PyGlobal(module, name);
    }

    public object? Call(object? callable, PyTuple args)
    {
        if (callable is not PyGlobal global)
            throw Invalid($"a call of a {PyValues.TypeName(callable)}, which is not a function");
        switch (global.FullName)
        {
            case "collections.OrderedDict":
                var dict = new PyDict();
                if (args.Count > 0) FillDict(dict, args[0]);
                return dict;
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                if (args.Count < 4) throw Invalid($"{global} with {args.Count} arguments (storage, offset, size, stride expected)");
                return RebuildTensor(args[0], args[1], args[2], args[3]);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
            case "torch.nn.parameter.Parameter":
                if (args.Count < 1 || args[0] is not TorchTensor data) throw Invalid($"{global} without a tensor argument");
                return data;
            case "torch._tensor._rebuild_from_type_v2":
                // (func, type, args, state): the tensor is func(*args); type and state only decorate it.
                if (args.Count < 3 || args[2] is not PyTuple inner) throw Invalid($"{global} with malformed arguments");
                if (args[1] is not PyGlobal type || !(TypeMarkers.Contains(type.FullName) || type.FullName == "torch.nn.parameter.Parameter"))
                    throw Invalid($"{global} rebuilding a {PyValues.TypeName(args[1])}, not a tensor or parameter");
                return Call(args[0], inner);
            case "torch.Size":
                return args.Count == 1 && args[0] is PyTuple size ? size : args;
            case "torch.device":
                return args.Count >= 1 && args[0] is string device ? device : throw Invalid("torch.device without a name");
            case "builtins.set":
            case "builtins.frozenset":
            case "__builtin__.set":
                return args.Count == 0 ? new List<object?>() : args[0] as List<object?> ?? throw Invalid($"{global} of a {PyValues.TypeName(args[0])}");
            case "_codecs.encode":
                // Protocol 2 pickles bytes as _codecs.encode(text, "latin1").
                if (args.Count != 2 || args[0] is not string text || args[1] is not ("latin1" or "latin-1"))
                    throw Invalid("_codecs.encode other than (str, 'latin1')");
                return Encoding.Latin1.GetBytes(text);
            default:
                throw Invalid($"a call of '{global}', which is a type marker, not something a state dict calls");
        }
    }

    public object? PersistentLoad(object? id)
    {
        // ('storage', storage type, key, location, numel[, view metadata])
        if (id is not PyTuple t || t.Count < 5 || t[0] is not "storage")
            throw Invalid($"persistent id {Describe(id)} is not a ('storage', type, key, location, numel) record");
        if (t[1] is not PyGlobal type || type.Module != "torch" || !StorageTypes.TryGetValue(type.Name, out var elementType))
            throw Invalid($"persistent id names storage type {Describe(t[1])}, which is not a known tensor storage");
        if (t.Count > 5 && t[5] is not null)
            throw Invalid("storage views of the pre-1.0 format (view metadata) are not supported");
        return _storage(t, elementType);
    }

    public object? Build(object? target, object? state)
    {
        switch (target, state)
        {
            case (_, null):
                return target;
            case (PyDict dict, PyDict items):
                foreach (var (key, value) in items.Entries) dict.Set(key, value);
                return dict;
            case (TorchTensor, PyDict { Count: 0 }):
                return target;
            case (TorchTensor, PyTuple):
                // A Parameter's (slots, dict) state; attributes do not change the values.
                return target;
            default:
                throw Invalid($"BUILD of a {PyValues.TypeName(target)} with a {PyValues.TypeName(state)} state");
        }
    }

    private TorchTensor RebuildTensor(object? storageArg, object? offsetArg, object? sizeArg, object? strideArg)
    {
        if (storageArg is not TorchStorage storage) throw Invalid($"tensor rebuilt from a {PyValues.TypeName(storageArg)}, not a storage");
        long offset = NonNegative(offsetArg, "storage offset");
        var shape = Dimensions(sizeArg, "size");
        var strides = Dimensions(strideArg, "stride");
        if (shape.Length != strides.Length) throw Invalid($"tensor with {shape.Length} sizes but {strides.Length} strides");
        long numel = 1;
        foreach (long d in shape)
        {
            if (d > int.MaxValue) throw Invalid($"tensor dimension {d} is beyond the supported {int.MaxValue}");
            numel *= d;
            if (numel > MaxElements) throw Invalid($"tensor of more than {MaxElements} elements");
        }
        foreach (long s in strides)
            if (s > MaxElements) throw Invalid($"tensor stride {s} is beyond {MaxElements}");
        if (offset > MaxElements) throw Invalid($"storage offset {offset} is beyond {MaxElements}");
        return new TorchTensor(storage, offset, shape.Select(d => (int)d).ToArray(), strides);
    }

    private long[] Dimensions(object? value, string what)
    {
        if (value is not PyTuple tuple) throw Invalid($"tensor {what} is a {PyValues.TypeName(value)}, not a tuple");
        if (tuple.Count > MaxRank) throw Invalid($"tensor {what} has {tuple.Count} dimensions (at most {MaxRank})");
        var result = new long[tuple.Count];
        for (int i = 0; i < result.Length; i++) result[i] = NonNegative(tuple[i], what);
        return result;
    }

    private long NonNegative(object? value, string what) => value switch
    {
        long v and >= 0 => v,
        _ => throw Invalid($"tensor {what} {Describe(value)} is not a non-negative integer"),
    };

    private void FillDict(PyDict dict, object? pairs)
    {
        if (pairs is not List<object?> list) throw Invalid($"OrderedDict built from a {PyValues.TypeName(pairs)}");
        foreach (var item in list)
        {
            if (item is not PyTuple { Count: 2 } pair) throw Invalid("OrderedDict built from something other than (key, value) pairs");
            dict.Set(pair[0], pair[1]);
        }
    }

    private static string Describe(object? value) => value switch
    {
        string s => $"'{s}'",
        long or BigInteger or double or bool => value.ToString()!,
        _ => PyValues.TypeName(value),
    };

    private InvalidDataException Invalid(string problem) => new($"{_source}: {problem}");
}
