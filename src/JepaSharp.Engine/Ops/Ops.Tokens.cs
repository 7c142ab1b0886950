using JepaSharp.Engine.Autograd;
using JepaSharp.Engine.Kernels;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Engine.Ops;

public static unsafe partial class Ops
{
    /// <summary>
    /// Keeps the tokens named by <paramref name="indices"/> ([R, K] row-major, R a multiple of x's
    /// batch B; output row r reads batch r mod B): x [B, T, C] → [R, K, C]. This is I-JEPA's
    /// apply_masks when the index rows of several masks are stacked.
    /// </summary>
    public static Tensor GatherTokens(Tensor x, ReadOnlySpan<int> indices, int keep)
    {
        const string op = "gather_tokens";
        RequireRank(op, x, 3, "input");
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2];
        if (keep <= 0 || indices.Length % keep != 0 || (indices.Length / keep) % b != 0)
            throw ShapeError(op, $"{indices.Length} indices do not form [R, {keep}] rows with R a multiple of the batch {b} of {x.Shape}");
        int rows = indices.Length / keep;
        var g = GraphOf(op, x);
        int* idx = g.ScratchInts(indices.Length);
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)t) throw new ArgumentOutOfRangeException(nameof(indices), $"{op}: index {indices[i]} at position {i} is outside [0, {t}) for input {x.Shape}");
            idx[i] = indices[i];
        }
        var y = g.NewTensor(new Shape(rows, keep, c));
        TokenKernels.Gather(y.Data, x.Data, idx, rows, b, t, keep, c);
        if (g.NeedsGrad(x))
        {
            g.Record(y, GatherBackward.Instance, x);
            y.Saved0 = idx;
        }
        return y;
    }

    private sealed class GatherBackward : OpBackward
    {
        public static readonly GatherBackward Instance = new();
        public override string Name => "gather_tokens";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor x = y.Src0!;
            TokenKernels.ScatterAdd(g.GradOf(x), y.Grad, (int*)y.Saved0, y.Shape[0], x.Shape[0], x.Shape[1], y.Shape[1], y.Shape[2]);
        }
    }

    /// <summary>Places x [B, K, C] at token positions <paramref name="indices"/> [B, K] of a zero [B, tokens, C] tensor (duplicates add).</summary>
    public static Tensor ScatterTokens(Tensor x, ReadOnlySpan<int> indices, int tokens)
    {
        const string op = "scatter_tokens";
        RequireRank(op, x, 3, "input");
        int b = x.Shape[0], k = x.Shape[1], c = x.Shape[2];
        if (indices.Length != b * k) throw ShapeError(op, $"{indices.Length} indices for input {x.Shape} (need {b * k})");
        var g = GraphOf(op, x);
        int* idx = g.ScratchInts(indices.Length);
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)tokens) throw new ArgumentOutOfRangeException(nameof(indices), $"{op}: index {indices[i]} at position {i} is outside [0, {tokens})");
            idx[i] = indices[i];
        }
        var y = g.NewTensor(new Shape(b, tokens, c), zero: true);
        TokenKernels.ScatterAdd(y.Data, x.Data, idx, b, b, tokens, k, c);
        if (g.NeedsGrad(x))
        {
            g.Record(y, ScatterBackward.Instance, x);
            y.Saved0 = idx;
        }
        return y;
    }

    private sealed class ScatterBackward : OpBackward
    {
        public static readonly ScatterBackward Instance = new();
        public override string Name => "scatter_tokens";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor x = y.Src0!;
            int b = x.Shape[0], k = x.Shape[1], c = x.Shape[2];
            float* dx = g.GradOf(x);
            // The adjoint of scatter is a gather of the output gradient, accumulated.
            float* rows = g.Scratch((long)b * k * c);
            TokenKernels.Gather(rows, y.Grad, (int*)y.Saved0, b, b, y.Shape[1], k, c);
            ElementwiseKernels.AddScaled(dx, rows, 1f, b * k * c);
        }
    }

    /// <summary>Concatenates [B, Ta, C] and [B, Tb, C] along the token axis.</summary>
    public static Tensor ConcatTokens(Tensor a, Tensor b)
    {
        const string op = "concat_tokens";
        RequireRank(op, a, 3, "first input");
        RequireRank(op, b, 3, "second input");
        if (a.Shape[0] != b.Shape[0] || a.Shape[2] != b.Shape[2])
            throw ShapeError(op, $"{a.Shape} and {b.Shape} differ outside the token axis");
        int batch = a.Shape[0], ta = a.Shape[1], tb = b.Shape[1], c = a.Shape[2];
        var g = GraphOf(op, a, b);
        var y = g.NewTensor(new Shape(batch, ta + tb, c));
        for (int i = 0; i < batch; i++)
        {
            new ReadOnlySpan<float>(a.Data + (long)i * ta * c, ta * c).CopyTo(new Span<float>(y.Data + (long)i * (ta + tb) * c, ta * c));
            new ReadOnlySpan<float>(b.Data + (long)i * tb * c, tb * c).CopyTo(new Span<float>(y.Data + ((long)i * (ta + tb) + ta) * c, tb * c));
        }
        if (g.NeedsGrad(a, b)) g.Record(y, ConcatBackward.Instance, a, b);
        return y;
    }

    private sealed class ConcatBackward : OpBackward
    {
        public static readonly ConcatBackward Instance = new();
        public override string Name => "concat_tokens";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor a = y.Src0!, b = y.Src1!;
            int batch = a.Shape[0], ta = a.Shape[1], tb = b.Shape[1], c = a.Shape[2];
            float* da = g.GradOf(a), db = g.GradOf(b);
            for (int i = 0; i < batch; i++)
            {
                float* row = y.Grad + (long)i * (ta + tb) * c;
                if (da != null) ElementwiseKernels.AddScaled(da + (long)i * ta * c, row, 1f, ta * c);
                if (db != null) ElementwiseKernels.AddScaled(db + (long)i * tb * c, row + (long)ta * c, 1f, tb * c);
            }
        }
    }

    /// <summary>Repeats the batch: x [B, ...] → [rows, ...] with row r = x[r mod B] (rows a multiple of B), i.e. [x; x; …].</summary>
    public static Tensor TileBatch(Tensor x, int rows)
    {
        const string op = "tile_batch";
        int b = x.Shape[0];
        if (rows <= 0 || rows % b != 0) throw ShapeError(op, $"{rows} rows is not a positive multiple of the batch of {x.Shape}");
        var g = GraphOf(op, x);
        var y = g.NewTensor(x.Shape.With(0, rows));
        int n = x.Numel;
        for (int r = 0; r < rows / b; r++) x.Span.CopyTo(new Span<float>(y.Data + (long)r * n, n));
        if (g.NeedsGrad(x)) g.Record(y, TileBatchBackward.Instance, x);
        return y;
    }

    private sealed class TileBatchBackward : OpBackward
    {
        public static readonly TileBatchBackward Instance = new();
        public override string Name => "tile_batch";

        internal override void Backward(Tensor y, Graph g)
        {
            float* dx = g.GradOf(y.Src0);
            int n = y.Src0!.Numel;
            for (int r = 0; r < y.Numel / n; r++) ElementwiseKernels.AddScaled(dx, y.Grad + (long)r * n, 1f, n);
        }
    }

    /// <summary>Tokens [start, start + count) of every row: x [B, T, C] → [B, count, C].</summary>
    public static Tensor SliceTokens(Tensor x, int start, int count)
    {
        const string op = "slice_tokens";
        RequireRank(op, x, 3, "input");
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2];
        if (start < 0 || count <= 0 || start + count > t) throw ShapeError(op, $"tokens [{start}, {start + count}) outside {x.Shape}");
        var g = GraphOf(op, x);
        var y = g.NewTensor(new Shape(b, count, c));
        for (int i = 0; i < b; i++)
            new ReadOnlySpan<float>(x.Data + ((long)i * t + start) * c, count * c).CopyTo(new Span<float>(y.Data + (long)i * count * c, count * c));
        if (g.NeedsGrad(x))
        {
            g.Record(y, SliceTokensBackward.Instance, x);
            y.Arg0 = start;
        }
        return y;
    }

    private sealed class SliceTokensBackward : OpBackward
    {
        public static readonly SliceTokensBackward Instance = new();
        public override string Name => "slice_tokens";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor x = y.Src0!;
            int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2], count = y.Shape[1];
            float* dx = g.GradOf(x);
            for (int i = 0; i < b; i++)
                ElementwiseKernels.AddScaled(dx + ((long)i * t + y.Arg0) * c, y.Grad + (long)i * count * c, 1f, count * c);
        }
    }

    /// <summary>Average over the token axis: [B, T, C] → [B, C].</summary>
    public static Tensor MeanTokens(Tensor x)
    {
        const string op = "mean_tokens";
        RequireRank(op, x, 3, "input");
        var g = GraphOf(op, x);
        var y = g.NewTensor(new Shape(x.Shape[0], x.Shape[2]));
        TokenKernels.MeanTokens(y.Data, x.Data, x.Shape[0], x.Shape[1], x.Shape[2]);
        if (g.NeedsGrad(x)) g.Record(y, MeanTokensBackward.Instance, x);
        return y;
    }

    private sealed class MeanTokensBackward : OpBackward
    {
        public static readonly MeanTokensBackward Instance = new();
        public override string Name => "mean_tokens";

        internal override void Backward(Tensor y, Graph g)
        {
            Tensor x = y.Src0!;
            TokenKernels.MeanTokensBackward(g.GradOf(x), y.Grad, x.Shape[0], x.Shape[1], x.Shape[2]);
        }
    }

    /// <summary>The same data under another shape with the same element count.</summary>
    public static Tensor Reshape(Tensor x, Shape shape) => View(GraphOf("reshape", x), x, shape);

    /// <summary>
    /// A pooled alias of x's memory. When x already owns its gradient buffer (a parameter) the
    /// alias shares it and needs no backward; otherwise the gradient is passed back by an op.
    /// </summary>
    private static Tensor View(Graph g, Tensor x, Shape shape)
    {
        if (shape.Numel != x.Numel) throw ShapeError("reshape", $"cannot view {x.Shape} ({x.Numel} elements) as {shape} ({shape.Numel})");
        var y = g.NewAlias(shape, x.Data);
        if (x.Grad != null || !g.NeedsGrad(x))
        {
            y.Grad = x.Grad;
            y.RequiresGrad = x.RequiresGrad && g.GradEnabled;
            y.Name = x.Name;
        }
        else
        {
            g.Record(y, ReshapeBackward.Instance, x);
        }
        return y;
    }

    private sealed class ReshapeBackward : OpBackward
    {
        public static readonly ReshapeBackward Instance = new();
        public override string Name => "reshape";

        internal override void Backward(Tensor y, Graph g)
        {
            if (!g.TryShareGrad(y.Src0, y.Grad)) ElementwiseKernels.AddScaled(g.GradOf(y.Src0), y.Grad, 1f, y.Numel);
        }
    }

    /// <summary>
    /// Patch embedding (Conv2d with kernel = stride = patch): images [B, Cin, H, W] with weight
    /// [D, Cin, p, p] and bias [D] → tokens [B, (H/p)·(W/p), D], token n = row·(W/p) + column.
    /// </summary>
    public static Tensor PatchEmbed(Tensor images, Tensor weight, Tensor bias)
    {
        const string op = "patch_embed";
        RequireRank(op, weight, 4, "weight");
        var patches = Patches(images, weight.Shape[2]);
        if (weight.Shape[1] != images.Shape[1] || weight.Shape[3] != weight.Shape[2])
            throw ShapeError(op, $"weight {weight.Shape} does not match images {images.Shape} (expects [D, {images.Shape[1]}, p, p])");
        return Linear(patches, PatchWeight(patches.Graph!, weight), bias);
    }

    /// <summary>A patch embedding's weight [D, Cin, p, p] as the [D, Cin·p·p] matrix that multiplies <see cref="Patches"/>.</summary>
    public static Tensor PatchWeight(Graph g, Tensor weight)
    {
        RequireRank("patch_embed", weight, 4, "weight");
        return View(g, weight, new Shape(weight.Shape[0], weight.Shape[1] * weight.Shape[2] * weight.Shape[3]));
    }

    /// <summary>
    /// The non-overlapping p×p patches of images [B, Cin, H, W] as rows [B, (H/p)·(W/p), Cin·p·p] (im2col), each laid
    /// out (channel, row, column) like a Conv2d weight, so a patch embedding is <see cref="Linear"/> over them.
    /// </summary>
    public static Tensor Patches(Tensor images, int patchSize)
    {
        const string op = "patches";
        RequireRank(op, images, 4, "images");
        int b = images.Shape[0], cin = images.Shape[1], h = images.Shape[2], w = images.Shape[3], p = patchSize;
        if (p <= 0 || h % p != 0 || w % p != 0)
            throw ShapeError(op, $"image size {h}x{w} is not a multiple of the patch size {p}");
        var g = GraphOf(op, images);
        var cols = g.NewTensor(new Shape(b, (h / p) * (w / p), cin * p * p));
        TokenKernels.Im2col(cols.Data, images.Data, b, cin, h, w, p);
        if (g.NeedsGrad(images))
        {
            g.Record(cols, Im2colBackward.Instance, images);
            cols.Arg0 = p;
        }
        return cols;
    }

    private sealed class Im2colBackward : OpBackward
    {
        public static readonly Im2colBackward Instance = new();
        public override string Name => "im2col";

        internal override void Backward(Tensor cols, Graph g)
        {
            Tensor img = cols.Src0!;
            TokenKernels.Col2imAdd(g.GradOf(img), cols.Grad, img.Shape[0], img.Shape[1], img.Shape[2], img.Shape[3], cols.Arg0);
        }
    }
}
