using System.Buffers.Binary;
using System.Text;
using JepaSharp.Interop.Export;
using JepaSharp.Interop.Pickle;

namespace JepaSharp.Tests.Interop;

/// <summary>Hand-built pickles and archives for the security tests.</summary>
public sealed class PickleBytes
{
    private readonly List<byte> _bytes = [(byte)PickleOpcode.Proto, 2];

    public PickleBytes Op(PickleOpcode op)
    {
        _bytes.Add((byte)op);
        return this;
    }

    public PickleBytes Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleBytes Global(string module, string name) => Op(PickleOpcode.Global).Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleBytes Text(string s)
    {
        var utf8 = Encoding.UTF8.GetBytes(s);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
        return Op(PickleOpcode.BinUnicode).Raw(length).Raw(utf8);
    }

    public PickleBytes Int(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return Op(PickleOpcode.BinInt).Raw(bytes);
    }

    public byte[] Stop() => [.. _bytes, (byte)PickleOpcode.Stop];

    public byte[] Build() => [.. _bytes];
}

public static class CraftedArchive
{
    /// <summary>A torch-style ZIP (archive/data.pkl + records) in a temporary file.</summary>
    public static string Write(string directory, byte[] pickle, params (string Key, byte[] Data)[] records)
    {
        string path = Path.Combine(directory, $"crafted-{Guid.NewGuid():N}.pth");
        using var zip = new ZipWriter(new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite));
        zip.Add("archive/data.pkl", pickle);
        foreach (var (key, data) in records) zip.Add($"archive/data/{key}", data);
        zip.Add("archive/version", "3\n"u8);
        zip.Finish();
        return path;
    }

    /// <summary>A pickle of {"w": tensor} viewing float storage "0" of <paramref name="storageNumel"/> elements.</summary>
    public static byte[] OneTensor(int storageNumel, int offset, int[] size, int[] stride)
    {
        var p = new PickleBytes().Op(PickleOpcode.EmptyDict).Text("w").Global("torch._utils", "_rebuild_tensor_v2").Op(PickleOpcode.Mark)
            .Op(PickleOpcode.Mark).Text("storage").Global("torch", "FloatStorage").Text("0").Text("cpu").Int(storageNumel).Op(PickleOpcode.Tuple)
            .Op(PickleOpcode.BinPersId).Int(offset).Op(PickleOpcode.Mark);
        foreach (int d in size) p.Int(d);
        p.Op(PickleOpcode.Tuple).Op(PickleOpcode.Mark);
        foreach (int s in stride) p.Int(s);
        p.Op(PickleOpcode.Tuple).Op(PickleOpcode.NewFalse).Global("collections", "OrderedDict").Op(PickleOpcode.EmptyTuple).Op(PickleOpcode.Reduce)
            .Op(PickleOpcode.Tuple).Op(PickleOpcode.Reduce).Op(PickleOpcode.SetItem);
        return p.Stop();
    }
}
