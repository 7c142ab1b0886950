using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.IO;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Parity;

/// <summary>Each op's forward and backward against the PyTorch fixture ops.safetensors.</summary>
public class OpParityTests
{
    private static Tensor In(Graph g, SafetensorsFile f, string key, bool grad = false)
        => g.Input(f.ReadFloat32(key), f.GetEntry(key).ToShape(), grad);

    /// <summary>Runs fn on the named inputs, backpropagates prefix+"dout", and checks prefix+"out" and prefix+"grad.&lt;input&gt;".</summary>
    private static void Check(string prefix, string[] inputs, Func<Tensor[], Tensor> fn, double atol = 1e-5, double rtol = 1e-4)
    {
        using var f = Fixtures.Open("ops.safetensors");
        using var g = new Graph();
        var ts = inputs.Select(name => In(g, f, prefix + name, grad: true)).ToArray();
        var y = fn(ts);
        g.Backward(Ops.Sum(Ops.Mul(y, In(g, f, prefix + "dout"))));
        TestData.AssertClose(f.ReadFloat32(prefix + "out"), y.Span, atol, rtol, prefix + "out");
        for (int i = 0; i < inputs.Length; i++)
            if (f.Contains(prefix + "grad." + inputs[i]))
                TestData.AssertClose(f.ReadFloat32(prefix + "grad." + inputs[i]), ts[i].GradSpan, atol, rtol, prefix + "grad." + inputs[i]);
    }

    [Theory]
    [InlineData("affine_eps1e-6", 1e-6f)]
    [InlineData("affine_eps1e-5", 1e-5f)]
    public void LayerNormAffine(string name, float eps)
        => Check($"layernorm.{name}.", ["x", "weight", "bias"], t => Ops.LayerNorm(t[0], t[1], t[2], eps), atol: 1e-4, rtol: 1e-4);

    [Theory]
    [InlineData("plain_eps1e-6", 1e-6f)]
    [InlineData("plain_eps1e-5", 1e-5f)]
    public void LayerNormWithoutAffine(string name, float eps)
        => Check($"layernorm.{name}.", ["x"], t => Ops.LayerNorm(t[0], null, null, eps), atol: 1e-4, rtol: 1e-4);

    [Fact]
    public void Gelu() => Check("gelu.", ["x"], t => Ops.Gelu(t[0]));

    [Fact]
    public void Softmax() => Check("softmax.", ["x"], t => Ops.Softmax(t[0]));

    [Theory]
    [InlineData("smooth_l1.beta1.", RegressionLoss.SmoothL1, 1f)]
    [InlineData("smooth_l1.beta0_5.", RegressionLoss.SmoothL1, 0.5f)]
    [InlineData("mse.", RegressionLoss.Mse, 1f)]
    [InlineData("l1.", RegressionLoss.L1, 1f)]
    public void RegressionLoss_(string prefix, RegressionLoss kind, float beta)
        => Check(prefix, ["pred", "target"], t => Ops.Loss(kind, t[0], t[1], beta));

    [Fact]
    public void CrossEntropy()
    {
        using var f = Fixtures.Open("ops.safetensors");
        var labels = f.ReadInt64("cross_entropy.labels").Select(l => (int)l).ToArray();
        Check("cross_entropy.", ["logits"], t => Ops.CrossEntropy(t[0], labels));
    }

    [Fact]
    public void AttentionCore()
    {
        using var f = Fixtures.Open("ops.safetensors");
        int heads = int.Parse(f.Metadata["attention.heads"]);
        Check("attention.", ["qkv"], t => Ops.Attention(t[0], heads));
    }

    [Fact]
    public void VarianceCovariance()
    {
        using var f = Fixtures.Open("ops.safetensors");
        float Meta(string key) => float.Parse(f.Metadata["variance_covariance." + key], System.Globalization.CultureInfo.InvariantCulture);
        Check("variance_covariance.", ["z"], t => Ops.VarianceCovariance(t[0], Meta("gamma"), Meta("var_weight"), Meta("cov_weight"), Meta("eps")));
    }

    [Fact]
    public void ViewInvariance()
    {
        using var f = Fixtures.Open("ops.safetensors");
        int views = int.Parse(f.Metadata["view_invariance.views"]);
        float weight = float.Parse(f.Metadata["view_invariance.weight"], System.Globalization.CultureInfo.InvariantCulture);
        Check("view_invariance.", ["m"], t => Ops.ViewInvariance(t[0], views, weight));
    }
}
