using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace JepaSharp.Interop.Pickle;

/// <summary>
/// What a pickle may name and call. The unpickler never imports or runs anything itself: every
/// GLOBAL/STACK_GLOBAL/INST goes through <see cref="ResolveGlobal"/> (which refuses names outside
/// its allowlist) and every REDUCE/NEWOBJ/OBJ/INST call through <see cref="Call"/>, which builds
/// a plain value from the arguments.
/// </summary>
public interface IPickleResolver
{
    /// <summary>An admitted global (typically a <see cref="PyGlobal"/>); throws <see cref="RefusedGlobal"/>'s exception otherwise.</summary>
    object ResolveGlobal(string module, string name);

    /// <summary>The value of <c>callable(*args)</c> for an admitted callable; throws <see cref="InvalidDataException"/> otherwise.</summary>
    object? Call(object? callable, PyTuple args);

    /// <summary>The object a persistent id names (PyTorch: a storage record).</summary>
    object? PersistentLoad(object? id);

    /// <summary>Applies BUILD's state to an object and returns the result.</summary>
    object? Build(object? target, object? state);
}

/// <summary>The refusal of a global outside the allowlist (InvalidDataException is sealed, so this builds one).</summary>
public static class RefusedGlobal
{
    /// <summary>"refusing to load: the pickle uses 'os.system', …": names the global; nothing was imported or run.</summary>
    public static InvalidDataException Create(string source, string globalName, string reason)
        => new($"{source}: refusing to load: the pickle uses '{globalName}', {reason}");
}

/// <summary>Bounds that keep hostile input from exhausting memory or the call stack.</summary>
public sealed record UnpicklerLimits
{
    /// <summary>Open MARKs at once (nesting of tuples/lists/dicts built with marks).</summary>
    public int MaxMarkDepth { get; init; } = 1000;
    /// <summary>Values on the stack at once.</summary>
    public int MaxStack { get; init; } = 1_000_000;
    /// <summary>Memo entries.</summary>
    public int MaxMemo { get; init; } = 10_000_000;
    /// <summary>Bytes of one LONG4 integer.</summary>
    public int MaxIntegerBytes { get; init; } = 1024;
    /// <summary>Characters of a GLOBAL/INST module or name line.</summary>
    public int MaxLineLength { get; init; } = 1024;
}

/// <summary>
/// A restricted pickle virtual machine (protocols 2–5 plus GLOBAL/INST): reads the opcode stream
/// and builds plain values (see <see cref="PyTuple"/>, <see cref="PyDict"/>), delegating every
/// name lookup and call to an <see cref="IPickleResolver"/>. Malformed, truncated or oversized
/// input fails with an <see cref="InvalidDataException"/> naming the source and byte offset.
/// </summary>
public sealed class Unpickler
{
    private readonly ReadOnlyMemory<byte> _data;
    private readonly string _source;
    private readonly IPickleResolver _resolver;
    private readonly UnpicklerLimits _limits;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;
    private int _opcodeAt;

    public Unpickler(ReadOnlyMemory<byte> data, string source, IPickleResolver resolver, UnpicklerLimits? limits = null)
    {
        _data = data;
        _source = source;
        _resolver = resolver;
        _limits = limits ?? new UnpicklerLimits();
    }

    /// <summary>The offset just past the last STOP read: where a following pickle starts.</summary>
    public int Position => _position;

    /// <summary>Reads one pickle (up to its STOP) starting at <see cref="Position"/> and returns its value.</summary>
    public object? Load()
    {
        _stack.Clear();
        _marks.Clear();
        _memo.Clear();
        while (true)
        {
            _opcodeAt = _position;
            var op = (PickleOpcode)ReadByte();
            if (op == PickleOpcode.Stop)
            {
                if (_stack.Count != 1 || _marks.Count != 0)
                    throw Fail($"STOP with {_stack.Count} values on the stack and {_marks.Count} open marks (expected exactly one value)");
                return _stack[0];
            }
            Execute(op);
            if (_stack.Count > _limits.MaxStack) throw Fail($"more than {_limits.MaxStack} values on the stack");
        }
    }

    private void Execute(PickleOpcode op)
    {
        switch (op)
        {
            case PickleOpcode.Proto:
                int version = ReadByte();
                if (version > 5) throw Fail($"pickle protocol {version} is newer than the supported 5");
                break;
            case PickleOpcode.Frame:
                long frame = ReadUInt64();
                if (frame > Remaining) throw Fail($"FRAME declares {frame} bytes but only {Remaining} remain");
                break;
            case PickleOpcode.Mark:
                if (_marks.Count >= _limits.MaxMarkDepth) throw Fail($"structures nested deeper than {_limits.MaxMarkDepth} marks");
                _marks.Add(_stack.Count);
                break;
            case PickleOpcode.Pop:
                if (_marks.Count > 0 && _marks[^1] == _stack.Count) _marks.RemoveAt(_marks.Count - 1);
                else Pop();
                break;
            case PickleOpcode.PopMark:
                PopMark();
                break;
            case PickleOpcode.Dup:
                Push(Peek());
                break;
            case PickleOpcode.None:
                Push(null);
                break;
            case PickleOpcode.NewTrue:
                Push(true);
                break;
            case PickleOpcode.NewFalse:
                Push(false);
                break;
            case PickleOpcode.BinInt:
                Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                break;
            case PickleOpcode.BinInt1:
                Push((long)ReadByte());
                break;
            case PickleOpcode.BinInt2:
                Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                break;
            case PickleOpcode.Long1:
                Push(ReadLong(ReadByte()));
                break;
            case PickleOpcode.Long4:
                int longLength = BinaryPrimitives.ReadInt32LittleEndian(Take(4));
                if (longLength < 0 || longLength > _limits.MaxIntegerBytes) throw Fail($"LONG4 declares a {longLength}-byte integer (limit {_limits.MaxIntegerBytes})");
                Push(ReadLong(longLength));
                break;
            case PickleOpcode.BinFloat:
                // The one big-endian field of the format.
                Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8)));
                break;
            case PickleOpcode.ShortBinUnicode:
                Push(ReadUtf8(ReadByte()));
                break;
            case PickleOpcode.BinUnicode:
                Push(ReadUtf8(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                break;
            case PickleOpcode.BinUnicode8:
                Push(ReadUtf8(ReadUInt64()));
                break;
            case PickleOpcode.ShortBinString:
                Push(Encoding.Latin1.GetString(Take(CheckLength(ReadByte()))));
                break;
            case PickleOpcode.BinString:
                Push(Encoding.Latin1.GetString(Take(CheckLength(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))));
                break;
            case PickleOpcode.ShortBinBytes:
                Push(Take(CheckLength(ReadByte())).ToArray());
                break;
            case PickleOpcode.BinBytes:
                Push(Take(CheckLength(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray());
                break;
            case PickleOpcode.BinBytes8:
            case PickleOpcode.ByteArray8:
                Push(Take(CheckLength(ReadUInt64())).ToArray());
                break;
            case PickleOpcode.EmptyTuple:
                Push(PyTuple.Empty);
                break;
            case PickleOpcode.Tuple:
                Push(new PyTuple(PopMark()));
                break;
            case PickleOpcode.Tuple1:
                Push(new PyTuple([Pop()]));
                break;
            case PickleOpcode.Tuple2:
            {
                var b = Pop();
                var a = Pop();
                Push(new PyTuple([a, b]));
                break;
            }
            case PickleOpcode.Tuple3:
            {
                var c = Pop();
                var b = Pop();
                var a = Pop();
                Push(new PyTuple([a, b, c]));
                break;
            }
            case PickleOpcode.EmptyList:
            case PickleOpcode.EmptySet:
                Push(new List<object?>());
                break;
            case PickleOpcode.List:
            case PickleOpcode.FrozenSet:
                Push(new List<object?>(PopMark()));
                break;
            case PickleOpcode.Append:
            {
                var item = Pop();
                Expect<List<object?>>(Peek(), "APPEND").Add(item);
                break;
            }
            case PickleOpcode.Appends:
            case PickleOpcode.AddItems:
            {
                var items = PopMark();
                Expect<List<object?>>(Peek(), op == PickleOpcode.Appends ? "APPENDS" : "ADDITEMS").AddRange(items);
                break;
            }
            case PickleOpcode.EmptyDict:
                Push(new PyDict());
                break;
            case PickleOpcode.Dict:
            {
                var dict = new PyDict();
                SetItems(dict, PopMark());
                Push(dict);
                break;
            }
            case PickleOpcode.SetItem:
            {
                var value = Pop();
                var key = Pop();
                Expect<PyDict>(Peek(), "SETITEM").Set(key, value);
                break;
            }
            case PickleOpcode.SetItems:
            {
                var items = PopMark();
                SetItems(Expect<PyDict>(Peek(), "SETITEMS"), items);
                break;
            }
            case PickleOpcode.BinPut:
                Memoize(ReadByte());
                break;
            case PickleOpcode.LongBinPut:
                Memoize(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)));
                break;
            case PickleOpcode.Memoize:
                Memoize(_memo.Count);
                break;
            case PickleOpcode.BinGet:
                Push(Recall(ReadByte()));
                break;
            case PickleOpcode.LongBinGet:
                Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                break;
            case PickleOpcode.Global:
            {
                string module = ReadLine(), name = ReadLine();
                Push(_resolver.ResolveGlobal(module, name));
                break;
            }
            case PickleOpcode.StackGlobal:
            {
                var name = Pop();
                var module = Pop();
                if (module is not string m || name is not string n)
                    throw Fail($"STACK_GLOBAL needs two strings, got {PyValues.TypeName(module)} and {PyValues.TypeName(name)}");
                Push(_resolver.ResolveGlobal(m, n));
                break;
            }
            case PickleOpcode.Inst:
            {
                string module = ReadLine(), name = ReadLine();
                var cls = _resolver.ResolveGlobal(module, name);
                Push(_resolver.Call(cls, new PyTuple(PopMark())));
                break;
            }
            case PickleOpcode.Obj:
            {
                var items = PopMark();
                if (items.Length == 0) throw Fail("OBJ without a class");
                Push(_resolver.Call(items[0], new PyTuple(items[1..])));
                break;
            }
            case PickleOpcode.Reduce:
            case PickleOpcode.NewObj:
            {
                var args = Pop();
                var callable = Pop();
                Push(_resolver.Call(callable, Expect<PyTuple>(args, op == PickleOpcode.Reduce ? "REDUCE" : "NEWOBJ")));
                break;
            }
            case PickleOpcode.NewObjEx:
            {
                var kwargs = Pop();
                var args = Pop();
                var cls = Pop();
                if (Expect<PyDict>(kwargs, "NEWOBJ_EX").Count != 0) throw Fail("NEWOBJ_EX with keyword arguments");
                Push(_resolver.Call(cls, Expect<PyTuple>(args, "NEWOBJ_EX")));
                break;
            }
            case PickleOpcode.Build:
            {
                var state = Pop();
                var target = Pop();
                Push(_resolver.Build(target, state));
                break;
            }
            case PickleOpcode.BinPersId:
                Push(_resolver.PersistentLoad(Pop()));
                break;
            case PickleOpcode.Ext1:
            case PickleOpcode.Ext2:
            case PickleOpcode.Ext4:
                throw RefusedGlobal.Create(Where, $"copyreg extension code ({op})", "a global looked up in the extension registry, which a state dict never needs");
            default:
                throw Fail(Enum.IsDefined(op)
                    ? $"opcode {op} (0x{(byte)op:X2}) is not supported (text-protocol and out-of-band opcodes never occur in PyTorch checkpoints)"
                    : $"unknown pickle opcode 0x{(byte)op:X2}");
        }
    }

    private string Where => $"{_source}: pickle byte {_opcodeAt}";

    private InvalidDataException Fail(string problem) => new($"{Where}: {problem}");

    private int Remaining => _data.Length - _position;

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) throw Fail(_stack.Count == 0 ? "stack underflow" : "stack underflow (value expected above the last MARK)");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) throw Fail("stack underflow");
        return _stack[^1];
    }

    private object?[] PopMark()
    {
        if (_marks.Count == 0) throw Fail("no MARK to pop to");
        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(mark, _stack.Count - mark).ToArray();
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void SetItems(PyDict dict, object?[] items)
    {
        if (items.Length % 2 != 0) throw Fail($"odd number of items ({items.Length}) for a dict");
        for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
    }

    private T Expect<T>(object? value, string opcode) where T : class
        => value as T ?? throw Fail($"{opcode} applied to a {PyValues.TypeName(value)}");

    private void Memoize(long index)
    {
        if (_memo.Count >= _limits.MaxMemo && !_memo.ContainsKey(index)) throw Fail($"more than {_limits.MaxMemo} memo entries");
        _memo[index] = Peek();
    }

    private object? Recall(long index)
        => _memo.TryGetValue(index, out var value) ? value : throw Fail($"memo entry {index} was never stored");

    private byte ReadByte() => Take(1)[0];

    // 64-bit lengths beyond long.MaxValue saturate; they fail the remaining-bytes check anyway.
    private long ReadUInt64() => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)), long.MaxValue);

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
            throw Fail(_position >= _data.Length ? "truncated: the pickle ends before its STOP" : $"truncated: {count} bytes needed but only {Remaining} remain");
        var span = _data.Span.Slice(_position, count);
        _position += count;
        return span;
    }

    private int CheckLength(long declared)
    {
        if (declared < 0 || declared > Remaining) throw Fail($"declares a {declared}-byte value but only {Remaining} bytes remain");
        return (int)declared;
    }

    private string ReadUtf8(long declared)
    {
        var bytes = Take(CheckLength(declared));
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Fail("a string is not valid UTF-8");
        }
    }

    private object ReadLong(int length)
    {
        var bytes = Take(CheckLength(length));
        if (length == 0) return 0L;
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private string ReadLine()
    {
        var span = _data.Span[_position..];
        int end = span[..Math.Min(span.Length, _limits.MaxLineLength + 1)].IndexOf((byte)'\n');
        if (end < 0)
            throw Fail(span.Length <= _limits.MaxLineLength ? "truncated: a GLOBAL name has no end of line" : $"a GLOBAL name is longer than {_limits.MaxLineLength} bytes");
        string line = Encoding.UTF8.GetString(span[..end]);
        _position += end + 1;
        return line;
    }
}
