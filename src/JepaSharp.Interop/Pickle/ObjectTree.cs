using System.Globalization;

namespace JepaSharp.Interop.Pickle;

/// <summary>Walks an unpickled object tree (dicts, lists, tuples) down to its leaves.</summary>
public static class ObjectTree
{
    /// <summary>Nesting accepted below the root; state dicts are 3–6 levels deep, and the bound also stops reference cycles.</summary>
    public const int MaxDepth = 64;

    /// <summary>Every non-container value with its dotted path (dict keys and list indices joined by '.'), in file order.</summary>
    public static IEnumerable<(string Name, object? Value)> Leaves(object? root, string source)
    {
        var pending = new Stack<(string Name, object? Value, int Depth)>();
        pending.Push(("", root, 0));
        while (pending.Count > 0)
        {
            var (name, value, depth) = pending.Pop();
            var children = Children(value);
            if (children is null)
            {
                yield return (name, value);
                continue;
            }
            if (depth >= MaxDepth)
                throw new InvalidDataException($"'{source}': the object is nested deeper than {MaxDepth} levels at '{name}' (or refers to itself)");
            // Pushed in reverse so the walk yields in file order.
            for (int i = children.Count - 1; i >= 0; i--)
                pending.Push((name.Length == 0 ? children[i].Key : name + "." + children[i].Key, children[i].Value, depth + 1));
        }
    }

    private static List<(string Key, object? Value)>? Children(object? value) => value switch
    {
        PyDict dict => dict.Entries.Select(e => (Key(e.Key), e.Value)).ToList(),
        List<object?> list => list.Select((v, i) => (i.ToString(CultureInfo.InvariantCulture), v)).ToList(),
        PyTuple tuple => tuple.Items.Select((v, i) => (i.ToString(CultureInfo.InvariantCulture), v)).ToList(),
        _ => null,
    };

    private static string Key(object? key) => key switch
    {
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        null => "None",
        _ => PyValues.TypeName(key),
    };
}
