using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Nn;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Parity;

/// <summary>One pre-norm ViT block against PyTorch (tools/make_fixtures.py): output and every gradient within 1e-4.</summary>
public class BlockParityTests
{
    [Fact]
    public void ForwardAndAllGradientsMatchPyTorch()
    {
        using var f = Fixtures.Open("vit_block.safetensors");
        int dim = int.Parse(f.Metadata["dim"]), heads = int.Parse(f.Metadata["heads"]);
        var block = new Block(dim, heads);
        using var parameters = block.Materialize(new Random(0));
        foreach (var slot in parameters.Slots) f.ReadInto(slot.Name, slot.Tensor.Span);

        using var graph = new Graph();
        var shape = f.GetEntry("x").ToShape();
        var x = graph.Input(f.ReadFloat32("x"), shape, requiresGrad: true);
        var y = block.Forward(x);
        graph.Backward(Ops.Sum(Ops.Mul(y, graph.Input(f.ReadFloat32("dout"), shape))));

        TestData.AssertClose(f.ReadFloat32("out"), y.Span, 1e-4, 0, "out");
        TestData.AssertClose(f.ReadFloat32("grad.x"), x.GradSpan, 1e-4, 0, "grad.x");
        Assert.Equal(12, parameters.Slots.Count);
        foreach (var slot in parameters.Slots)
            TestData.AssertClose(f.ReadFloat32("grad." + slot.Name), slot.Tensor.GradSpan, 1e-4, 0, "grad." + slot.Name);
    }
}
