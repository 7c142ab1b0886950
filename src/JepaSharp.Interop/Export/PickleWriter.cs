using System.Buffers.Binary;
using System.Text;
using JepaSharp.Interop.Pickle;

namespace JepaSharp.Interop.Export;

/// <summary>A tensor to pickle as a view of one float32 storage record (<c>data/&lt;key&gt;</c>).</summary>
public sealed record PickledTensor(string StorageKey, int[] Shape);

/// <summary>
/// Writes the pickle (protocol 2) of a PyTorch checkpoint's object tree, as torch.save does:
/// dicts, OrderedDicts (<see cref="PyDict"/>), strings, integers, floats, bools, None, tuples
/// and <see cref="PickledTensor"/> leaves, each pickled as
/// <c>torch._utils._rebuild_tensor_v2(persistent storage, 0, size, contiguous stride, False, OrderedDict())</c>.
/// </summary>
public sealed class PickleWriter
{
    private readonly MemoryStream _out = new();

    public static byte[] Serialize(object? root)
    {
        var writer = new PickleWriter();
        writer.Op(PickleOpcode.Proto);
        writer._out.WriteByte(2);
        writer.Write(root);
        writer.Op(PickleOpcode.Stop);
        return writer._out.ToArray();
    }

    private void Write(object? value)
    {
        switch (value)
        {
            case null:
                Op(PickleOpcode.None);
                break;
            case bool b:
                Op(b ? PickleOpcode.NewTrue : PickleOpcode.NewFalse);
                break;
            case int i:
                Write((long)i);
                break;
            case long l:
                WriteInteger(l);
                break;
            case double d:
                Op(PickleOpcode.BinFloat);
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteDoubleBigEndian(bytes, d);
                _out.Write(bytes);
                break;
            case string s:
                WriteString(s);
                break;
            case PyTuple tuple:
                Op(PickleOpcode.Mark);
                foreach (var item in tuple.Items) Write(item);
                Op(PickleOpcode.Tuple);
                break;
            case PyDict dict:
                WriteGlobal("collections", "OrderedDict");
                Op(PickleOpcode.EmptyTuple);
                Op(PickleOpcode.Reduce);
                WriteItems(dict);
                break;
            case PickledTensor tensor:
                WriteTensor(tensor);
                break;
            default:
                throw new ArgumentException($"cannot pickle a {PyValues.TypeName(value)}");
        }
    }

    private void WriteItems(PyDict dict)
    {
        if (dict.Count == 0) return;
        Op(PickleOpcode.Mark);
        foreach (var (key, value) in dict.Entries)
        {
            Write(key);
            Write(value);
        }
        Op(PickleOpcode.SetItems);
    }

    private void WriteTensor(PickledTensor tensor)
    {
        WriteGlobal("torch._utils", "_rebuild_tensor_v2");
        Op(PickleOpcode.Mark);
        long numel = 1;
        foreach (int d in tensor.Shape) numel *= d;
        Write(new PyTuple(["storage", null, tensor.StorageKey, "cpu", numel]), storageType: true);
        Op(PickleOpcode.BinPersId);
        WriteInteger(0);
        var strides = new object?[tensor.Shape.Length];
        long stride = 1;
        for (int axis = tensor.Shape.Length - 1; axis >= 0; axis--)
        {
            strides[axis] = stride;
            stride *= tensor.Shape[axis];
        }
        Write(new PyTuple(tensor.Shape.Select(d => (object?)(long)d).ToArray()));
        Write(new PyTuple(strides));
        Op(PickleOpcode.NewFalse);
        Write(new PyDict());
        Op(PickleOpcode.Tuple);
        Op(PickleOpcode.Reduce);
    }

    // The persistent id tuple, with torch.FloatStorage in the slot left null above.
    private void Write(PyTuple id, bool storageType)
    {
        Op(PickleOpcode.Mark);
        for (int i = 0; i < id.Count; i++)
        {
            if (storageType && i == 1) WriteGlobal("torch", "FloatStorage");
            else Write(id[i]);
        }
        Op(PickleOpcode.Tuple);
    }

    private void WriteInteger(long value)
    {
        if (value is >= 0 and < 256)
        {
            Op(PickleOpcode.BinInt1);
            _out.WriteByte((byte)value);
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            Op(PickleOpcode.BinInt);
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
            _out.Write(bytes);
        }
        else
        {
            Op(PickleOpcode.Long1);
            _out.WriteByte(8);
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
            _out.Write(bytes);
        }
    }

    private void WriteString(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Op(PickleOpcode.BinUnicode);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        _out.Write(length);
        _out.Write(bytes);
    }

    private void WriteGlobal(string module, string name)
    {
        Op(PickleOpcode.Global);
        _out.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    }

    private void Op(PickleOpcode op) => _out.WriteByte((byte)op);
}
