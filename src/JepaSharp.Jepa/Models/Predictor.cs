using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;
using JepaSharp.Nn;

namespace JepaSharp.Jepa.Models;

/// <summary>Architecture of the narrow ViT predictor.</summary>
public sealed record PredictorShape(int GridHeight, int GridWidth, int EncoderDim, int Dim, int Depth, int Heads, double MlpRatio = 4.0)
{
    public int Tokens => GridHeight * GridWidth;
}

/// <summary>
/// I-JEPA's predictor (official VisionTransformerPredictor): embeds context tokens to the narrow
/// width, adds their positions, appends one query per target position (the shared
/// <c>mask_token</c> plus that position's embedding), runs the blocks over [context | queries]
/// with full attention, and projects the queries back to the encoder width. Each target block is
/// predicted in its own batch row, so target blocks never see each other's queries.
/// </summary>
public sealed class Predictor : Module
{
    public PredictorShape Shape { get; }
    public Linear Embed { get; }
    public Tensor MaskToken { get; }
    public Tensor PosEmbed { get; }
    public IReadOnlyList<Block> Blocks { get; }
    public LayerNorm Norm { get; }
    public Linear Proj { get; }

    public Predictor(PredictorShape shape)
    {
        if (shape.Dim % shape.Heads != 0) throw new ArgumentException($"predictor width {shape.Dim} is not divisible by {shape.Heads} heads");
        Shape = shape;
        Embed = Child("predictor_embed", new Linear(shape.EncoderDim, shape.Dim));
        MaskToken = Parameter("mask_token", new Shape(1, 1, shape.Dim));
        PosEmbed = Parameter("predictor_pos_embed", new Shape(1, shape.Tokens, shape.Dim), trainable: false);
        var blocks = new Block[shape.Depth];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = Child($"predictor_blocks.{i}", new Block(shape.Dim, shape.Heads, shape.MlpRatio));
        Blocks = blocks;
        Norm = Child("predictor_norm", new LayerNorm(shape.Dim));
        Proj = Child("predictor_proj", new Linear(shape.Dim, shape.EncoderDim));
    }

    /// <summary>
    /// context [B_ctx, K_ctx, D] (the encoder's output for <paramref name="contextIndices"/>,
    /// [B_ctx, K_ctx] row-major) → predictions [R, K_tgt, D] for <paramref name="targetIndices"/>
    /// ([R, K_tgt], R a multiple of B_ctx; row r pairs with context row r mod B_ctx).
    /// </summary>
    public Tensor Forward(Tensor context, ReadOnlySpan<int> contextIndices, ReadOnlySpan<int> targetIndices, int keepTarget)
    {
        int contextRows = context.Shape[0], keepContext = context.Shape[1];
        var graph = context.Graph ?? throw new InvalidOperationException("predictor: context must be an activation of a graph");
        var pos = graph.Bind(PosEmbed);

        var x = Ops.Add(Embed.Forward(context), Ops.GatherTokens(pos, contextIndices, keepContext));
        var queries = Ops.AddBroadcast(Ops.GatherTokens(pos, targetIndices, keepTarget), MaskToken);
        int rows = queries.Shape[0];
        if (rows % contextRows != 0)
            throw new ArgumentException($"predictor: {rows} target rows are not a multiple of {contextRows} context rows");

        x = Ops.ConcatTokens(rows == contextRows ? x : Ops.TileBatch(x, rows), queries);
        for (int i = 0; i < Blocks.Count - 1; i++) x = Blocks[i].Forward(x);
        // Only the queries' outputs are read, so the last block runs its projection and MLP on them alone.
        x = Blocks[^1].ForwardAt(x, QueryIndices(graph, rows, keepContext, keepTarget), keepTarget);
        return Norm.ForwardInto(Proj, x);
    }

    /// <summary>Token indices keepContext..keepContext+keepTarget−1 for each of <paramref name="rows"/> rows, in step scratch.</summary>
    private static unsafe ReadOnlySpan<int> QueryIndices(JepaSharp.Engine.Autograd.Graph graph, int rows, int keepContext, int keepTarget)
    {
        var indices = new Span<int>(graph.ScratchInts((long)rows * keepTarget), rows * keepTarget);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < keepTarget; j++) indices[r * keepTarget + j] = keepContext + j;
        return indices;
    }

    protected override void ResetParameters(Random rng)
    {
        Init.TruncNormal(MaskToken.Span, rng, 0.02);
        PositionEmbedding.SinCos2D(PosEmbed.Span, Shape.Dim, Shape.GridHeight, Shape.GridWidth);
    }
}
