namespace JepaSharp.Engine.Kernels.Gemm;

/// <summary>
/// A function a GEMM applies to the rows of an untransposed A as it uses them (see <see cref="Sgemm.Run"/>): each block
/// of rows is transformed into a cache-sized scratch just before its products, so the transformed A is never written
/// to memory. The product equals, bit for bit, the product of a transformed copy of A.
/// </summary>
public readonly unsafe struct RowTransform
{
    internal RowTransformKind Kind { get; }
    internal float* NormWeight { get; }
    internal float* NormBias { get; }
    internal float* Mean { get; }
    internal float* Rstd { get; }
    internal float Eps { get; }

    private RowTransform(RowTransformKind kind, float* normWeight = null, float* normBias = null, float eps = 0f, float* mean = null, float* rstd = null)
    {
        Kind = kind;
        NormWeight = normWeight;
        NormBias = normBias;
        Eps = eps;
        Mean = mean;
        Rstd = rstd;
    }

    /// <summary>Exact GELU of every element (<see cref="GeluKernels"/>).</summary>
    public static RowTransform Gelu => new(RowTransformKind.Gelu);

    /// <summary>
    /// LayerNorm of every whole row (<see cref="LayerNormKernels.Forward"/>): γ, β [K] (null for none); <paramref name="mean"/>
    /// and <paramref name="rstd"/> [M] receive the row statistics when not null.
    /// </summary>
    public static RowTransform LayerNorm(float* weight, float* bias, float eps, float* mean, float* rstd)
        => new(RowTransformKind.LayerNorm, weight, bias, eps, mean, rstd);
}

internal enum RowTransformKind { None, Gelu, LayerNorm }
