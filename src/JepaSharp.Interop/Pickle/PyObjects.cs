using System.Numerics;

namespace JepaSharp.Interop.Pickle;

// The values a restricted unpickle produces. Python's scalars map onto C# ones: None → null,
// bool, int → long (or BigInteger beyond 64 bits), float → double, str → string,
// bytes → byte[], list/set → List<object?>; tuples, dicts and admitted globals get the types below.

/// <summary>An immutable Python tuple.</summary>
public sealed class PyTuple
{
    public static readonly PyTuple Empty = new([]);

    private readonly object?[] _items;

    public PyTuple(object?[] items) => _items = items;

    public int Count => _items.Length;

    public object? this[int index] => _items[index];

    public IReadOnlyList<object?> Items => _items;

    public override string ToString() => $"tuple({Count})";
}

/// <summary>A Python dict or OrderedDict: insertion-ordered; string and integer keys are indexed.</summary>
public sealed class PyDict
{
    private readonly List<KeyValuePair<object?, object?>> _entries = [];
    private readonly Dictionary<string, int> _byString = new(StringComparer.Ordinal);
    private readonly Dictionary<long, int> _byInteger = [];

    public int Count => _entries.Count;

    public IReadOnlyList<KeyValuePair<object?, object?>> Entries => _entries;

    /// <summary>Sets a key as Python does: a repeated key keeps its first position and takes the new value.</summary>
    public void Set(object? key, object? value)
    {
        int? existing = key switch
        {
            string s => _byString.TryGetValue(s, out int i) ? i : null,
            long l => _byInteger.TryGetValue(l, out int i) ? i : null,
            _ => null,
        };
        if (existing is { } at)
        {
            _entries[at] = new(key, value);
            return;
        }
        if (key is string str) _byString[str] = _entries.Count;
        else if (key is long number) _byInteger[number] = _entries.Count;
        _entries.Add(new(key, value));
    }

    public bool TryGetValue(string key, out object? value)
    {
        if (_byString.TryGetValue(key, out int i))
        {
            value = _entries[i].Value;
            return true;
        }
        value = null;
        return false;
    }

    public override string ToString() => $"dict({Count})";
}

/// <summary>A module-level name the resolver admitted (a storage type, a rebuild function, OrderedDict…).</summary>
public sealed record PyGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";

    public override string ToString() => FullName;
}

/// <summary>Describes pickle values in messages (type names as Python prints them).</summary>
public static class PyValues
{
    public static string TypeName(object? value) => value switch
    {
        null => "None",
        bool => "bool",
        long or BigInteger => "int",
        double => "float",
        string => "str",
        byte[] => "bytes",
        PyTuple => "tuple",
        List<object?> => "list",
        PyDict => "dict",
        PyGlobal g => g.FullName,
        _ => value.GetType().Name,
    };
}
