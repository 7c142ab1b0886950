using JepaSharp.Engine.Optim;
using JepaSharp.Engine.Parameters;
using JepaSharp.Engine.Tensors;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Parity;

/// <summary>Three AdamW steps against torch.optim.AdamW with I-JEPA's two groups (decayed weight, undecayed bias).</summary>
public class AdamWParityTests
{
    [Fact]
    public void ThreeStepsMatchTorchWithDecayGroups()
    {
        using var f = Fixtures.Open("adamw.safetensors");
        var weight = Tensor.Declare(f.GetEntry("weight.init").ToShape());
        var bias = Tensor.Declare(f.GetEntry("bias.init").ToShape());
        using var set = new ParameterSet([("weight", weight, true), ("bias", bias, true)]);
        Assert.True(set["weight"].Decay);
        Assert.False(set["bias"].Decay);
        f.ReadInto("weight.init", weight.Span);
        f.ReadInto("bias.init", bias.Span);
        double lr = double.Parse(f.Metadata["lr"], System.Globalization.CultureInfo.InvariantCulture);
        double wd = double.Parse(f.Metadata["weight_decay.weight"], System.Globalization.CultureInfo.InvariantCulture);
        using var opt = new AdamW(set);
        int steps = int.Parse(f.Metadata["steps"]);
        for (int s = 1; s <= steps; s++)
        {
            f.ReadInto($"weight.grad.{s}", weight.GradSpan);
            f.ReadInto($"bias.grad.{s}", bias.GradSpan);
            opt.Step(lr, wd);
            TestData.AssertClose(f.ReadFloat32($"weight.step.{s}"), weight.Span, 1e-6, 1e-5, $"weight after step {s}");
            TestData.AssertClose(f.ReadFloat32($"bias.step.{s}"), bias.Span, 1e-6, 1e-5, $"bias after step {s}");
        }
        TestData.AssertClose(f.ReadFloat32("weight.exp_avg"), opt.ExpAvg.AsSpan(set["weight"].Offset, weight.Numel), 1e-7, 1e-5, "exp_avg");
        TestData.AssertClose(f.ReadFloat32("weight.exp_avg_sq"), opt.ExpAvgSq.AsSpan(set["weight"].Offset, weight.Numel), 1e-9, 1e-5, "exp_avg_sq");
    }
}
