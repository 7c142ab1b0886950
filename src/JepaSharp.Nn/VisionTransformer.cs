using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Nn;

/// <summary>Conv2d patchifier with kernel = stride = patch (parameters <c>proj.weight</c> [D, C, p, p], <c>proj.bias</c>).</summary>
public sealed class PatchEmbed : Module
{
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public int PatchSize { get; }

    public PatchEmbed(int channels, int dim, int patchSize)
    {
        PatchSize = patchSize;
        Weight = Parameter("proj.weight", new Shape(dim, channels, patchSize, patchSize));
        Bias = Parameter("proj.bias", new Shape(dim));
    }

    public Tensor Forward(Tensor images) => Ops.PatchEmbed(images, Weight, Bias);

    /// <summary>
    /// The embeddings of the kept patches only, each plus its position (<paramref name="positions"/> [1, N, D]):
    /// patches are gathered before the projection, so dropped ones cost neither compute nor memory.
    /// Index layout as in Ops.GatherTokens.
    /// </summary>
    public Tensor Forward(Tensor images, Tensor positions, ReadOnlySpan<int> keepIndices, int keep)
    {
        var graph = images.Graph ?? throw new InvalidOperationException("patch embedding: images must be a graph input");
        var patches = Ops.GatherTokens(Ops.Patches(images, PatchSize), keepIndices, keep);
        return Ops.Linear(patches, Ops.PatchWeight(graph, graph.Bind(Weight)), Bias, residual: Ops.GatherTokens(graph.Bind(positions), keepIndices, keep));
    }

    protected override void ResetParameters(Random rng)
    {
        Init.TruncNormal(Weight.Span, rng, 0.02);
        Bias.Span.Clear();
    }
}

/// <summary>Architecture of a ViT encoder.</summary>
public sealed record VitShape(int ImageHeight, int ImageWidth, int Channels, int PatchSize, int Dim, int Depth, int Heads, double MlpRatio = 4.0)
{
    public int GridHeight => ImageHeight / PatchSize;
    public int GridWidth => ImageWidth / PatchSize;
    public int Tokens => GridHeight * GridWidth;

    public void Validate()
    {
        if (ImageHeight % PatchSize != 0 || ImageWidth % PatchSize != 0)
            throw new ArgumentException($"image size {ImageHeight}x{ImageWidth} is not a multiple of patch size {PatchSize}");
        if (Dim % Heads != 0) throw new ArgumentException($"width {Dim} is not divisible by {Heads} heads");
        if (Dim % 4 != 0) throw new ArgumentException($"width {Dim} must be divisible by 4 for the 2-D sin-cos position table");
    }
}

/// <summary>
/// I-JEPA's context/target encoder: patch embedding + fixed sin-cos positions (<c>pos_embed</c>,
/// saved but not trained), pre-norm blocks, a final per-token LayerNorm (<c>norm</c>). No class
/// token, no pooling. With token indices it keeps only those tokens after adding positions.
/// </summary>
public sealed class VisionTransformer : Module
{
    public VitShape Shape { get; }
    public PatchEmbed PatchEmbed { get; }
    public Tensor PosEmbed { get; }
    public IReadOnlyList<Block> Blocks { get; }
    public LayerNorm Norm { get; }

    public VisionTransformer(VitShape shape)
    {
        shape.Validate();
        Shape = shape;
        PatchEmbed = Child("patch_embed", new PatchEmbed(shape.Channels, shape.Dim, shape.PatchSize));
        PosEmbed = Parameter("pos_embed", new Shape(1, shape.Tokens, shape.Dim), trainable: false);
        var blocks = new Block[shape.Depth];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = Child($"blocks.{i}", new Block(shape.Dim, shape.Heads, shape.MlpRatio));
        Blocks = blocks;
        Norm = Child("norm", new LayerNorm(shape.Dim));
    }

    /// <summary>images [B, C, H, W] → tokens [B, N, D], or [R, K, D] for stacked index rows (see Ops.GatherTokens).</summary>
    public Tensor Forward(Tensor images, ReadOnlySpan<int> keepIndices = default, int keep = 0)
    {
        var graph = images.Graph ?? throw new InvalidOperationException("vision transformer: images must be a graph input");
        var x = keepIndices.IsEmpty ? Embed(images) : PatchEmbed.Forward(images, PosEmbed, keepIndices, keep);
        for (int i = 0; i < Blocks.Count; i++) x = ForwardBlock(graph, i, x);
        return Norm.Forward(x);
    }

    /// <summary>
    /// The normed output tokens at <paramref name="indices"/> ([R, keep] rows as in Ops.GatherTokens): Forward(images)
    /// gathered, bit for bit, with the last block's projection and MLP run only on the gathered tokens. The target
    /// encoder needs no more: its features are read at the target blocks alone.
    /// </summary>
    public Tensor ForwardAt(Tensor images, ReadOnlySpan<int> indices, int keep) => ForwardAtCollecting(images, indices, keep, []);

    /// <summary>
    /// The outputs of the last <paramref name="lastBlocks"/> blocks at <paramref name="indices"/>, earliest first: earlier
    /// blocks before any norm, the last one after <c>norm</c> (as <see cref="PooledFeatures"/>), each [R, keep, D].
    /// </summary>
    public Tensor[] ForwardAt(Tensor images, ReadOnlySpan<int> indices, int keep, int lastBlocks)
    {
        if (lastBlocks < 1 || lastBlocks > Blocks.Count)
            throw new ArgumentOutOfRangeException(nameof(lastBlocks), lastBlocks, $"the encoder has {Blocks.Count} blocks");
        var outputs = new Tensor[lastBlocks];
        outputs[^1] = ForwardAtCollecting(images, indices, keep, outputs.AsSpan(0, lastBlocks - 1));
        return outputs;
    }

    /// <summary>The normed output at <paramref name="indices"/>; <paramref name="earlier"/> receives the blocks just before the last, gathered there.</summary>
    private Tensor ForwardAtCollecting(Tensor images, ReadOnlySpan<int> indices, int keep, Span<Tensor> earlier)
    {
        var graph = images.Graph ?? throw new InvalidOperationException("vision transformer: images must be a graph input");
        var x = Embed(images);
        for (int i = 0; i < Blocks.Count - 1; i++)
        {
            x = ForwardBlock(graph, i, x);
            int slot = i - (Blocks.Count - 1 - earlier.Length);
            if (slot >= 0) earlier[slot] = Ops.GatherTokens(x, indices, keep);
        }
        return Norm.Forward(Blocks[^1].ForwardAt(x, indices, keep));
    }

    /// <summary>
    /// Average-pooled tokens for evaluation: the final (normed) output, or with
    /// <paramref name="lastBlocks"/> = k the concatenation over the last k blocks' pooled outputs
    /// (earlier blocks before any norm, the last one after <c>norm</c>) → [B, k·D].
    /// </summary>
    public Tensor PooledFeatures(Tensor images, int lastBlocks = 1)
    {
        if (lastBlocks < 1 || lastBlocks > Blocks.Count)
            throw new ArgumentOutOfRangeException(nameof(lastBlocks), lastBlocks, $"the encoder has {Blocks.Count} blocks");
        var x = Embed(images);
        Tensor? pooled = null;
        for (int i = 0; i < Blocks.Count; i++)
        {
            x = ForwardBlock(images.Graph!, i, x);
            if (i < Blocks.Count - lastBlocks) continue;
            var tokens = i == Blocks.Count - 1 ? Norm.Forward(x) : x;
            var mean = Ops.Reshape(Ops.MeanTokens(tokens), new Shape(tokens.Shape[0], 1, Shape.Dim));
            pooled = pooled is null ? mean : Ops.ConcatTokens(pooled, mean);
        }
        return Ops.Reshape(pooled!, new Shape(images.Shape[0], lastBlocks * Shape.Dim));
    }

    /// <summary>
    /// Inspection pass without gradients: the normal forward's tokens [B, N, D] and, per block, the attention
    /// probabilities [B, heads, N, N] (softmax(q·kᵀ/√d), see <see cref="AttentionProbabilities"/>).
    /// </summary>
    public Tensor ForwardWithAttention(Tensor images, out AttentionMaps attention)
    {
        var graph = images.Graph ?? throw new InvalidOperationException("vision transformer: images must be a graph input");
        int batch = images.Shape[0];
        var maps = new float[Blocks.Count][];
        using (graph.NoGrad())
        {
            var x = Embed(images);
            for (int i = 0; i < Blocks.Count; i++)
            {
                maps[i] = new float[(long)batch * Shape.Heads * Shape.Tokens * Shape.Tokens];
                x = ForwardBlock(graph, i, x, maps[i]);
            }
            attention = new AttentionMaps(maps, batch, Shape.Heads, Shape.Tokens);
            return Norm.Forward(x);
        }
    }

    /// <summary>Patch embeddings plus positions of every token, [B, N, D].</summary>
    private Tensor Embed(Tensor images) => Ops.AddBroadcast(PatchEmbed.Forward(images), PosEmbed);

    /// <summary>One block; without gradients only its output stays (one fused op, or its intermediates freed when it writes attention maps).</summary>
    private Tensor ForwardBlock(JepaSharp.Engine.Autograd.Graph graph, int index, Tensor x, Span<float> attention = default)
    {
        if (graph.GradEnabled || attention.IsEmpty) return Blocks[index].Forward(x, attention);
        var mark = graph.Checkpoint();
        return graph.Compact(Blocks[index].Forward(x, attention), mark);
    }

    protected override void ResetParameters(Random rng)
        => PositionEmbedding.SinCos2D(PosEmbed.Span, Shape.Dim, Shape.GridHeight, Shape.GridWidth);
}

/// <summary>
/// The attention probabilities <see cref="VisionTransformer.ForwardWithAttention"/> saw: per block, [B, Heads, N, N]
/// row-major (query rows, key columns; every row sums to 1).
/// </summary>
public sealed record AttentionMaps(IReadOnlyList<float[]> Probabilities, int Batch, int Heads, int Tokens)
{
    /// <summary>Row <paramref name="query"/> of block <paramref name="block"/>, head <paramref name="head"/>, image <paramref name="image"/>.</summary>
    public ReadOnlySpan<float> Row(int block, int image, int head, int query)
        => Probabilities[block].AsSpan((int)((((long)image * Heads + head) * Tokens + query) * Tokens), Tokens);
}
