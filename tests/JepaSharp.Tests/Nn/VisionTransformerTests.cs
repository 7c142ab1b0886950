using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using JepaSharp.Nn;
using JepaSharp.Tests.Support;
using Xunit;

namespace JepaSharp.Tests.Nn;

public class VisionTransformerTests
{
    [Theory]
    [InlineData(16, 4)]
    [InlineData(96, 7)]
    public void SinCosTableMatchesTheOfficialOrientation(int dim, int grid)
    {
        using var f = Fixtures.Open("pos_embed.safetensors");
        var table = new float[grid * grid * dim];
        PositionEmbedding.SinCos2D(table, dim, grid, grid);
        TestData.AssertClose(f.ReadFloat32($"pos_embed.d{dim}_g{grid}"), table, 1e-6, 0, "pos_embed");
    }

    [Fact]
    public void VitTinyHasTheOfficialParameterNamesAndCount()
    {
        var vit = new VisionTransformer(new VitShape(224, 224, 3, 16, 192, 12, 3));
        using var set = vit.Materialize(new Random(0));
        var names = set.Slots.Select(s => s.Name).ToArray();
        // PyTorch lists a module's own parameters before its children's, so pos_embed leads the state dict.
        Assert.Equal(["pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias"], names[..3]);
        Assert.Contains("blocks.11.attn.qkv.weight", names);
        Assert.Contains("blocks.3.mlp.fc2.bias", names);
        Assert.Equal("norm.bias", names[^1]);
        Assert.False(set["pos_embed"].Trainable);
        // ijepa-recipe.md §2.1: vit_tiny at patch 16, 224 px, excluding pos_embed = 5.49 M.
        Assert.Equal(5.49, set.TrainableCount / 1e6, 2);
        Assert.False(set["blocks.0.norm1.weight"].Decay);
        Assert.False(set["blocks.0.attn.qkv.bias"].Decay);
        Assert.True(set["blocks.0.attn.qkv.weight"].Decay);
    }

    [Fact]
    public unsafe void KeptPatchesEmbedAsTheGatheredFullEmbedding()
    {
        // The context path embeds only the kept patches; it must give the full embedding's rows at those indices
        // (up to float rounding: the positions are added inside the GEMM), and the same weight gradients.
        var embed = new PatchEmbed(2, 16, 4);
        using var set = embed.Materialize(new Random(3));
        using var positionMemory = new JepaSharp.Engine.Memory.NativeBuffer(49 * 16);
        var positions = Tensor.Wrap(positionMemory.Pointer, new Shape(1, 49, 16));
        TestData.Uniform(49 * 16, 4).CopyTo(positions.Span);
        var images = TestData.Uniform(3 * 2 * 28 * 28, 5);
        int[] keep = [0, 5, 9, 48, 1, 2, 3, 4, 40, 30, 20, 10];
        var weights = TestData.Uniform(3 * 4 * 16, 6);
        (float[] Tokens, float[] WeightGrad) Run(bool gatherPatches)
        {
            set.ZeroGrad();
            using var g = new Graph();
            var x = g.Input(images, new Shape(3, 2, 28, 28));
            var tokens = gatherPatches
                ? embed.Forward(x, positions, keep, 4)
                : Ops.GatherTokens(Ops.AddBroadcast(embed.Forward(x), positions), keep, 4);
            g.Backward(Ops.Sum(Ops.Mul(tokens, g.Input(weights, tokens.Shape))));
            return (tokens.ToArray(), embed.Weight.GradSpan.ToArray());
        }
        var full = Run(false);
        var kept = Run(true);
        TestData.AssertClose(full.Tokens, kept.Tokens, 1e-6, 1e-6, "kept-patch tokens");
        TestData.AssertClose(full.WeightGrad, kept.WeightGrad, 1e-5, 1e-5, "patch weight gradient");
    }

    [Fact]
    public void OutputAtChosenTokensEqualsTheGatheredFullOutputBitForBit()
    {
        var vit = new VisionTransformer(new VitShape(28, 28, 1, 4, 64, 3, 2));
        using var set = vit.Materialize(new Random(2));
        using var graph = new Graph();
        var x = graph.Input(TestData.Uniform(3 * 28 * 28, 8), new Shape(3, 1, 28, 28));
        // Six rows over three images (row r reads image r mod 3), overlapping and repeated tokens included.
        int[] targets = [0, 1, 7, 8, 48, 47, 46, 40, 3, 3, 10, 11, 20, 21, 27, 28, 5, 6, 12, 13, 30, 31, 37, 38];
        float[] expected, actual;
        using (graph.NoGrad())
        {
            expected = Ops.GatherTokens(vit.Forward(x), targets, 4).ToArray();
            actual = vit.ForwardAt(x, targets, 4).ToArray();
        }
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void LastBlocksAtChosenTokensAreTheGatheredBlockOutputsBitForBit()
    {
        var vit = new VisionTransformer(new VitShape(28, 28, 1, 4, 64, 3, 2));
        using var set = vit.Materialize(new Random(3));
        using var graph = new Graph();
        var x = graph.Input(TestData.Uniform(2 * 28 * 28, 9), new Shape(2, 1, 28, 28));
        int[] targets = [0, 1, 7, 8, 48, 47, 46, 40];
        using (graph.NoGrad())
        {
            var tokens = Ops.AddBroadcast(vit.PatchEmbed.Forward(x), vit.PosEmbed);
            var expected = new float[3][];
            for (int i = 0; i < 3; i++)
            {
                tokens = vit.Blocks[i].Forward(tokens);
                expected[i] = Ops.GatherTokens(i == 2 ? vit.Norm.Forward(tokens) : tokens, targets, 4).ToArray();
            }
            var lastTwo = vit.ForwardAt(x, targets, 4, lastBlocks: 2);
            Assert.Equal(2, lastTwo.Length);
            Assert.Equal(expected[1], lastTwo[0].ToArray());
            Assert.Equal(expected[2], lastTwo[1].ToArray());
            Assert.Throws<ArgumentOutOfRangeException>(() => vit.ForwardAt(x, targets, 4, lastBlocks: 4));
        }
    }

    [Fact]
    public void SteadyStateTrainingStepAllocatesNoManagedMemory()
    {
        var vit = new VisionTransformer(new VitShape(28, 28, 1, 4, 32, 2, 2));
        using var set = vit.Materialize(new Random(0));
        using var graph = new Graph();
        var images = TestData.Uniform(4 * 28 * 28, 1);
        int[] keep = [0, 3, 5, 8, 13, 21, 34, 40, 1, 2, 4, 6, 7, 9, 10, 11];
        var shape = new Shape(4, 1, 28, 28);
        void Step()
        {
            graph.Reset();
            set.ZeroGrad();
            var x = graph.Input(images, shape);
            graph.Backward(Ops.Sum(vit.Forward(x, keep, 4)));
        }
        for (int i = 0; i < 3; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
