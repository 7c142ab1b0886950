using JepaSharp.Engine.Ops;
using JepaSharp.Engine.Tensors;

namespace JepaSharp.Nn;

/// <summary>y = x·Wᵀ + b with W [out, in] (parameters <c>weight</c>, <c>bias</c>).</summary>
public sealed class Linear : Module
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public double InitStd { get; init; } = 0.02;

    public Linear(int inFeatures, int outFeatures, bool bias = true)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = Parameter("weight", new Shape(outFeatures, inFeatures));
        Bias = bias ? Parameter("bias", new Shape(outFeatures)) : null;
    }

    public Tensor Forward(Tensor x) => Ops.Linear(x, Weight, Bias);

    protected override void ResetParameters(Random rng)
    {
        Init.TruncNormal(Weight.Span, rng, InitStd);
        Bias?.Span.Clear();
    }
}

/// <summary>LayerNorm over the last axis, with affine <c>weight</c>/<c>bias</c> (I-JEPA uses eps 1e-6).</summary>
public sealed class LayerNorm : Module
{
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public float Eps { get; }

    public LayerNorm(int dim, float eps = 1e-6f)
    {
        Eps = eps;
        Weight = Parameter("weight", new Shape(dim));
        Bias = Parameter("bias", new Shape(dim));
    }

    public Tensor Forward(Tensor x) => Ops.LayerNorm(x, Weight, Bias, Eps);

    /// <summary>next(norm(x)) in one op that keeps no normalised copy of x for backward (see <see cref="Ops.NormLinear"/>).</summary>
    public Tensor ForwardInto(Linear next, Tensor x) => Ops.NormLinear(x, Weight, Bias, Eps, next.Weight, next.Bias);

    protected override void ResetParameters(Random rng)
    {
        Weight.Span.Fill(1f);
        Bias.Span.Clear();
    }
}

/// <summary>fc1 → exact GELU → fc2.</summary>
public sealed class Mlp : Module
{
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }

    public Mlp(int dim, int hidden)
    {
        Fc1 = Child("fc1", new Linear(dim, hidden));
        Fc2 = Child("fc2", new Linear(hidden, dim));
    }

    public Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>residual + mlp(x) when a residual is given (the block's skip connection, fused into fc2).</summary>
    public Tensor Forward(Tensor x, Tensor? residual) => FromHidden(Fc1.Forward(x), residual);

    /// <summary>fc2(GELU(hidden)) (+ residual), for callers that computed fc1's output themselves.</summary>
    public Tensor FromHidden(Tensor hidden, Tensor? residual) => Ops.GeluLinear(hidden, Fc2.Weight, Fc2.Bias, residual);
}

/// <summary>Multi-head self-attention: one <c>qkv</c> Linear (D → 3D), the fused attention core, <c>proj</c> (D → D).</summary>
public sealed class Attention : Module
{
    public Linear Qkv { get; }
    public Linear Proj { get; }
    public int Heads { get; }

    public Attention(int dim, int heads, bool qkvBias = true)
    {
        if (heads <= 0 || dim % heads != 0) throw new ArgumentException($"attention: dim {dim} is not divisible by heads {heads}");
        Heads = heads;
        Qkv = Child("qkv", new Linear(dim, 3 * dim, qkvBias));
        Proj = Child("proj", new Linear(dim, dim));
    }

    public Tensor Forward(Tensor x) => Forward(x, Span<float>.Empty);

    /// <summary>
    /// Forward that also writes the attention probabilities [B, heads, T, T] into <paramref name="probabilities"/>
    /// (left alone when empty), recomputed from the same qkv with <see cref="AttentionProbabilities"/>; with a
    /// residual, returns residual + attn(x) (the block's skip connection, fused into proj).
    /// </summary>
    public Tensor Forward(Tensor x, Span<float> probabilities, Tensor? residual = null) => FromQkv(Qkv.Forward(x), probabilities, residual);

    /// <summary>The attention core and proj over a ready qkv projection [B, T, 3D] (see <see cref="Forward(Tensor, Span{float}, Tensor?)"/>).</summary>
    public Tensor FromQkv(Tensor qkv, Span<float> probabilities, Tensor? residual)
    {
        if (!probabilities.IsEmpty) AttentionProbabilities.Compute(qkv, Heads, probabilities);
        return Ops.AttentionLinear(qkv, Heads, Proj.Weight, Proj.Bias, residual);
    }
}

/// <summary>Pre-norm transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)).</summary>
public sealed class Block : Module
{
    public LayerNorm Norm1 { get; }
    public Attention Attn { get; }
    public LayerNorm Norm2 { get; }
    public Mlp Mlp { get; }

    public Block(int dim, int heads, double mlpRatio = 4.0, bool qkvBias = true, float eps = 1e-6f)
    {
        Norm1 = Child("norm1", new LayerNorm(dim, eps));
        Attn = Child("attn", new Attention(dim, heads, qkvBias));
        Norm2 = Child("norm2", new LayerNorm(dim, eps));
        Mlp = Child("mlp", new Mlp(dim, (int)(dim * mlpRatio)));
    }

    /// <summary>
    /// When set, the attention half runs as one op that keeps only the block's input and recomputes qkv in backward
    /// (<see cref="Ops.NormAttentionLinear"/>): a third less activation memory per block for one more qkv product,
    /// with the same values and gradients bit for bit.
    /// </summary>
    public bool RecomputeQkv { get; set; }

    public Tensor Forward(Tensor x) => Forward(x, Span<float>.Empty);

    /// <summary>Forward that also writes the block's attention probabilities [B, heads, T, T] (see <see cref="Attention.Forward(Tensor, Span{float})"/>).</summary>
    public Tensor Forward(Tensor x, Span<float> attentionProbabilities)
    {
        if (x.Graph is { GradEnabled: false } && attentionProbabilities.IsEmpty) return Ops.TransformerBlock(x, _parameters ??= Parameters());
        x = RecomputeQkv && attentionProbabilities.IsEmpty
            ? Ops.NormAttentionLinear(x, Norm1.Weight, Norm1.Bias, Norm1.Eps, Attn.Qkv.Weight, Attn.Qkv.Bias, Attn.Heads, Attn.Proj.Weight, Attn.Proj.Bias)
            : Attn.FromQkv(Norm1.ForwardInto(Attn.Qkv, x), attentionProbabilities, residual: x);
        return Mlp.FromHidden(Norm2.ForwardInto(Mlp.Fc1, x), residual: x);
    }

    private BlockParameters? _parameters;

    private BlockParameters Parameters() => new(Norm1.Weight, Norm1.Bias, Norm1.Eps, Attn.Qkv.Weight, Attn.Qkv.Bias, Attn.Heads, Attn.Proj.Weight,
        Attn.Proj.Bias, Norm2.Weight, Norm2.Bias, Norm2.Eps, Mlp.Fc1.Weight, Mlp.Fc1.Bias, Mlp.Fc2.Weight, Mlp.Fc2.Bias);

    /// <summary>
    /// The block's output at the tokens <paramref name="indices"/> only ([R, keep] rows as in Ops.GatherTokens): every
    /// token still serves as a key and value, but the output projection and the MLP run on the gathered rows. Equals
    /// gathering <see cref="Forward(Tensor)"/>'s output, bit for bit (each row's products do not depend on the others).
    /// </summary>
    public Tensor ForwardAt(Tensor x, ReadOnlySpan<int> indices, int keep)
    {
        var attention = Ops.GatherTokens(Ops.Attention(Norm1.ForwardInto(Attn.Qkv, x), Attn.Heads), indices, keep);
        x = Ops.Linear(attention, Attn.Proj.Weight, Attn.Proj.Bias, residual: Ops.GatherTokens(x, indices, keep));
        return Mlp.FromHidden(Norm2.ForwardInto(Mlp.Fc1, x), residual: x);
    }
}
