using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;
using Xunit;

namespace JepaSharp.Tests.Parameters;

/// <summary>Flat parameter sets: gradient memory only for trainable sets, and sets that share another's values.</summary>
public unsafe class ParameterSetTests
{
    private static (string, Tensor, bool)[] Declare(bool trainable = true, int rows = 5)
        => [("w", Tensor.Declare(new Shape(rows, 7)), trainable), ("b", Tensor.Declare(new Shape(7)), trainable), ("fixed", Tensor.Declare(new Shape(3)), false)];

    [Fact]
    public void ASetWithoutTrainableParametersHasNoGradientMemory()
    {
        using var frozen = new ParameterSet(Declare(trainable: false));
        using var trained = new ParameterSet(Declare());
        Assert.Equal(0, frozen.Grads.Length);
        Assert.Equal(trained.Length, trained.Grads.Length);
        Assert.All(frozen.Slots, s => Assert.False(s.Tensor.HasGrad, s.Name));
        frozen.ZeroGrad();
    }

    [Fact]
    public void ASharingSetReadsTheSameValuesAndKeepsItsOwnGradients()
    {
        var owner = new ParameterSet(Declare());
        using var sharing = ParameterSet.SharingValues(Declare(), owner);
        owner["w"].Tensor.Span[3] = 2.5f;
        Assert.Equal(2.5f, sharing["w"].Tensor.Span[3]);
        Assert.True(sharing["w"].Tensor.Data == owner["w"].Tensor.Data);
        Assert.True(sharing.Grads.Pointer != owner.Grads.Pointer);
        sharing["b"].Tensor.Grad[1] = 4f;
        Assert.Equal(0f, owner["b"].Tensor.Grad[1]);
        Assert.False(sharing["fixed"].Tensor.HasGrad);

        // Disposing the sharing set leaves the owner's values alone.
        sharing.Dispose();
        Assert.Equal(2.5f, owner["w"].Tensor.Span[3]);
        owner.Dispose();
    }

    [Fact]
    public void ASharingSetOfAnotherLayoutIsRefused()
    {
        using var owner = new ParameterSet(Declare());
        var e = Assert.Throws<ArgumentException>(() => ParameterSet.SharingValues(Declare(rows: 6), owner));
        Assert.Contains("differ", e.Message);
        var renamed = Declare();
        renamed[1].Item1 = "bias";
        e = Assert.Throws<ArgumentException>(() => ParameterSet.SharingValues(renamed, owner));
        Assert.Contains("'bias'", e.Message);
    }
}
