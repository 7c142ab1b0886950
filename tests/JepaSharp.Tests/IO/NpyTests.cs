using JepaSharp.Engine.IO;
using JepaSharp.Tests.Data;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.IO;

public class NpyTests
{
    [Fact]
    public void WritesTheSameBytesAsNumPy()
    {
        using var tmp = new TempFolder();
        string features = tmp.File("f.npy"), labels = tmp.File("l.npy");
        Npy.WriteFloat32(features, [0f, 0.25f, 0.5f, 0.75f, 1f, 1.25f], 2, 3);
        Npy.WriteInt64(labels, [7L, -1L, 3L], 3);
        // Both reference files were written by numpy.save (tools: see the fixture names).
        Assert.Equal(File.ReadAllBytes(Fixtures.Path("features_2x3.npy")), File.ReadAllBytes(features));
        Assert.Equal(File.ReadAllBytes(Fixtures.Path("labels_3.npy")), File.ReadAllBytes(labels));
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp-*"));
    }

    [Fact]
    public void ReadsBackShapeAndValues()
    {
        var (shape, data) = Npy.ReadFloat32(Fixtures.Path("features_2x3.npy"));
        Assert.Equal([2, 3], shape);
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f, 1f, 1.25f], data);
        var (lshape, ldata) = Npy.ReadInt64(Fixtures.Path("labels_3.npy"));
        Assert.Equal([3], lshape);
        Assert.Equal([7L, -1L, 3L], ldata);
    }

    [Fact]
    public void RejectsAShapeThatDoesNotFitTheData()
    {
        using var tmp = new TempFolder();
        var e = Assert.Throws<ArgumentException>(() => Npy.WriteFloat32(tmp.File("x.npy"), [1f, 2f, 3f], 2, 2));
        Assert.Contains("x.npy", e.Message);
        File.WriteAllBytes(tmp.File("bad.npy"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        Assert.Contains("bad.npy", Assert.Throws<InvalidDataException>(() => Npy.ReadFloat32(tmp.File("bad.npy"))).Message);
    }
}
