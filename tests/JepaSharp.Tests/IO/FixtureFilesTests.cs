using JepaSharp.Engine.IO;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.IO;

/// <summary>
/// Checks that the committed PyTorch fixtures load and hold what tools/make_fixtures.py documents,
/// so a regenerated or truncated file fails here rather than as a puzzling parity failure.
/// </summary>
public sealed class FixtureFilesTests
{
    private static void AssertContents(SafetensorsFile file, IReadOnlyList<(string Name, int[] Shape)> expected, Func<string, string> dtypeOf)
    {
        Assert.Equal(expected.Select(e => e.Name).Order(StringComparer.Ordinal), file.Entries.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, shape) in expected)
        {
            var entry = file.GetEntry(name);
            Assert.True(shape.AsSpan().SequenceEqual(entry.Shape), $"{name}: shape {FormatShape(entry)} expected [{string.Join(", ", shape)}]");
            Assert.Equal(dtypeOf(name), entry.DType);
            var values = file.ReadFloat32(name);
            Assert.True(values.All(float.IsFinite), $"{name} holds a non-finite value");
        }
    }

    private static string FormatShape(SafetensorsEntry entry) => "[" + string.Join(", ", entry.Shape) + "]";

    private static readonly int[] Scalar = [];

    [Fact]
    public void VitBlockHoldsInputsOutputsParametersAndTheirGradients()
    {
        using var file = Fixtures.Open("vit_block.safetensors");
        (string, int[])[] parameters =
        [
            ("norm1.weight", [64]), ("norm1.bias", [64]),
            ("attn.qkv.weight", [192, 64]), ("attn.qkv.bias", [192]),
            ("attn.proj.weight", [64, 64]), ("attn.proj.bias", [64]),
            ("norm2.weight", [64]), ("norm2.bias", [64]),
            ("mlp.fc1.weight", [256, 64]), ("mlp.fc1.bias", [256]),
            ("mlp.fc2.weight", [64, 256]), ("mlp.fc2.bias", [64]),
        ];
        var expected = new List<(string, int[])> { ("x", [2, 10, 64]), ("dout", [2, 10, 64]), ("out", [2, 10, 64]), ("grad.x", [2, 10, 64]) };
        expected.AddRange(parameters);
        expected.AddRange(parameters.Select(p => ("grad." + p.Item1, p.Item2)));
        AssertContents(file, expected, _ => "F32");

        Assert.Equal("64", file.Metadata["dim"]);
        Assert.Equal("4", file.Metadata["heads"]);
        Assert.Equal("1e-06", file.Metadata["eps"]);
        Assert.Equal("4", file.Metadata["mlp_ratio"]);
        Assert.True(file.Metadata.ContainsKey("torch"));

        // Every parameter gradient must carry signal, or a parity test on it proves nothing.
        foreach (var (name, _) in parameters)
            Assert.True(file.ReadFloat32("grad." + name).Any(g => MathF.Abs(g) > 1e-3f), $"grad.{name} is (nearly) all zero");
    }

    [Fact]
    public void OpsHoldEveryCase()
    {
        using var file = Fixtures.Open("ops.safetensors");
        var expected = new List<(string, int[])>();
        void Case(string prefix, (string, int[])[] inputs, int[] outShape, string[] differentiable)
        {
            expected.AddRange(inputs.Select(i => ($"{prefix}.{i.Item1}", i.Item2)));
            expected.Add(($"{prefix}.dout", outShape));
            expected.Add(($"{prefix}.out", outShape));
            expected.AddRange(inputs.Where(i => differentiable.Contains(i.Item1)).Select(i => ($"{prefix}.grad.{i.Item1}", i.Item2)));
        }

        foreach (string eps in new[] { "1e-6", "1e-5" })
        {
            Case($"layernorm.affine_eps{eps}", [("x", [5, 33]), ("weight", [33]), ("bias", [33])], [5, 33], ["x", "weight", "bias"]);
            Case($"layernorm.plain_eps{eps}", [("x", [5, 33])], [5, 33], ["x"]);
        }
        Case("gelu", [("x", [7, 19])], [7, 19], ["x"]);
        Case("softmax", [("x", [6, 17])], [6, 17], ["x"]);
        foreach (string loss in new[] { "smooth_l1.beta1", "smooth_l1.beta0_5", "mse", "l1" })
            Case(loss, [("pred", [4, 9]), ("target", [4, 9])], Scalar, ["pred", "target"]);
        Case("cross_entropy", [("logits", [8, 10]), ("labels", [8])], Scalar, ["logits"]);
        Case("attention", [("qkv", [2, 7, 48])], [2, 7, 16], ["qkv"]);
        Case("variance_covariance", [("z", [3, 5, 6])], Scalar, ["z"]);
        Case("view_invariance", [("m", [12, 5])], Scalar, ["m"]);
        AssertContents(file, expected, name => name == "cross_entropy.labels" ? "I64" : "F32");

        Assert.Equal("1e-06", file.Metadata["layernorm.affine_eps1e-6.eps"]);
        Assert.Equal("1e-05", file.Metadata["layernorm.plain_eps1e-5.eps"]);
        Assert.Equal("0.5", file.Metadata["smooth_l1.beta0_5.beta"]);
        Assert.Equal("2", file.Metadata["attention.heads"]);
        Assert.Equal("8", file.Metadata["attention.head_dim"]);
        Assert.All(file.ReadInt64("cross_entropy.labels"), label => Assert.InRange(label, 0, 9));
    }

    [Fact]
    public void AdamWHoldsThreeStepsForBothParameterGroups()
    {
        using var file = Fixtures.Open("adamw.safetensors");
        var expected = new List<(string, int[])>();
        foreach (var (name, shape) in new (string, int[])[] { ("weight", [5, 7]), ("bias", [7]) })
        {
            expected.Add(($"{name}.init", shape));
            for (int k = 1; k <= 3; k++)
            {
                expected.Add(($"{name}.grad.{k}", shape));
                expected.Add(($"{name}.step.{k}", shape));
            }
            expected.Add(($"{name}.exp_avg", shape));
            expected.Add(($"{name}.exp_avg_sq", shape));
        }
        AssertContents(file, expected, _ => "F32");

        Assert.Equal("0.001", file.Metadata["lr"]);
        Assert.Equal("0.9", file.Metadata["beta1"]);
        Assert.Equal("0.999", file.Metadata["beta2"]);
        Assert.Equal("1e-08", file.Metadata["eps"]);
        Assert.Equal("0.05", file.Metadata["weight_decay.weight"]);
        Assert.Equal("0.0", file.Metadata["weight_decay.bias"]);
        Assert.Equal("3", file.Metadata["steps"]);
    }

    [Fact]
    public void DtypesHoldOneTensorPerType()
    {
        using var file = Fixtures.Open("dtypes.safetensors");
        var dtypes = new Dictionary<string, (string DType, int[] Shape)>
        {
            ["f16"] = ("F16", [2, 4]), ["f16_empty"] = ("F16", [0, 3]), ["bf16"] = ("BF16", [2, 3]), ["f64"] = ("F64", [4]),
            ["i64"] = ("I64", [5]), ["i64_scalar"] = ("I64", Scalar), ["i32"] = ("I32", [3]), ["i16"] = ("I16", [3]),
            ["i8"] = ("I8", [3]), ["u8"] = ("U8", [3]), ["bool"] = ("BOOL", [4]),
        };
        Assert.Equal(dtypes.Keys.Order(StringComparer.Ordinal), file.Entries.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, (dtype, shape)) in dtypes)
        {
            Assert.Equal(dtype, file.GetEntry(name).DType);
            Assert.Equal(shape, file.GetEntry(name).Shape);
        }
    }

    [Fact]
    public void AMissingFixtureFailsWithAHint()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Fixtures.Path("no_such_fixture.safetensors"));
        Assert.Contains("make_fixtures.py", e.Message);
    }
}
