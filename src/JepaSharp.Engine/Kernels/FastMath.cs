using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace JepaSharp.Engine.Kernels;

// FastMath: float exp, erf and the normal CDF Φ as Vector512, Vector256 and scalar functions that agree bit for bit.
// exp(x) = 2^n·e^r, n = round(x·log2 e), e^r = 1 + r + r²·P5(r); erf(u) = u·P6(u²)/Q5(u²) for |u| < 3.92, else ±1;
// Φ(x) = ½ + ½·erf(x/√2).
// Measured: exp ≤ 0.981 ulp on [−87, 88]; erf ≤ 3.0e-7 absolute on [−6, 6]; Φ ≤ 1.7e-7 absolute on [−9, 9]. Pure maps.
/// <summary>Vectorized float <c>exp</c>, <c>erf</c> and the normal CDF used by softmax, GELU and the losses.</summary>
public static unsafe class FastMath
{
    // Every width runs the same IEEE operations (FMA where fused), so a kernel's scalar tail matches its vector body.
    // The polynomials are fits made for this file (tools/fit_erf.py for erf): error of the fit exp 5e-11 relative,
    // erf 1.4e-9 absolute; the rest of the error is float rounding.

    // exp: r = x − n·ln2 with ln2 in two parts (the first step is exact); 2^n is applied as two exact power-of-two
    // factors, so results are right down into the subnormals, 0 below −104 and +inf above 88.73. NaN passes through.
    private const float Log2E = 1.442695022e+00f;
    private const float Ln2Hi = 6.931152344e-01f; // 12 significant bits: n·Ln2Hi is exact for |n| ≤ 2^12
    private const float Ln2Lo = 3.194618330e-05f;
    private const float ExpClampLow = -104f;      // e^−104 rounds to 0; n = −150 still splits into two normal factors
    private const float ExpClampHigh = 89f;       // e^89 overflows; n = 129 likewise
    private const float E0 = 5.000000000e-01f, E1 = 1.666666567e-01f, E2 = 4.166629538e-02f;
    private const float E3 = 8.333496749e-03f, E4 = 1.394464867e-03f, E5 = 1.979035296e-04f;

    // erf: a rational fit on [0, ErfOne] (tools/fit_erf.py). erfc(3.92) is below half an ulp of 1, so erf is ±1 in
    // float from there on.
    private const float ErfOne = 3.92f;
    private const float P0 = 1.128379225730896f, P1 = 0.18470034003257751f, P2 = 0.05427853763103485f;
    private const float P3 = 0.003832383779808879f, P4 = 0.0003803838335443288f, P5 = 4.718162472272525e-06f;
    private const float P6 = -1.3337794868562014e-08f;
    private const float Q1 = 0.4970199465751648f, Q2 = 0.11377550661563873f, Q3 = 0.015431000851094723f;
    private const float Q4 = 0.001305046840570867f, Q5 = 6.342241249512881e-05f;

    public const float InvSqrt2 = 7.071067691e-01f;
    public const float InvSqrt2Pi = 3.989422917e-01f;

    // ---------------------------------------------------------------- exp

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var xc = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(ExpClampLow)), Vector512.Create(ExpClampHigh));
        var n = Vector512.Round(xc * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), xc);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(E5), r, Vector512.Create(E4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E0));
        var y = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var ni = Vector512.ConvertToInt32(n);
        var n1 = Vector512.ShiftRightArithmetic(ni, 1);
        var n2 = ni - n1;
        var bias = Vector512.Create(127);
        y *= Vector512.ShiftLeft(n1 + bias, 23).AsSingle();
        y *= Vector512.ShiftLeft(n2 + bias, 23).AsSingle();
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), y, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var xc = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(ExpClampLow)), Vector256.Create(ExpClampHigh));
        var n = Vector256.Round(xc * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(E5), r, Vector256.Create(E4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E0));
        var y = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var ni = Vector256.ConvertToInt32(n);
        var n1 = Vector256.ShiftRightArithmetic(ni, 1);
        var n2 = ni - n1;
        var bias = Vector256.Create(127);
        y *= Vector256.ShiftLeft(n1 + bias, 23).AsSingle();
        y *= Vector256.ShiftLeft(n2 + bias, 23).AsSingle();
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), y, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        if (float.IsNaN(x)) return x;
        float xc = Math.Min(Math.Max(x, ExpClampLow), ExpClampHigh);
        float n = MathF.Round(xc * Log2E);
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, xc);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(E5, r, E4);
        p = MathF.FusedMultiplyAdd(p, r, E3);
        p = MathF.FusedMultiplyAdd(p, r, E2);
        p = MathF.FusedMultiplyAdd(p, r, E1);
        p = MathF.FusedMultiplyAdd(p, r, E0);
        float y = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        int ni = (int)n;
        int n1 = ni >> 1, n2 = ni - n1;
        y *= BitConverter.Int32BitsToSingle((n1 + 127) << 23);
        y *= BitConverter.Int32BitsToSingle((n2 + 127) << 23);
        return y;
    }

    /// <summary>output[i] = exp(input[i]); the spans may be the same memory.</summary>
    public static void Exp(ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length < input.Length) throw new ArgumentException($"output has {output.Length} elements, input {input.Length}", nameof(output));
        fixed (float* src = input, dst = output) Exp(src, dst, input.Length);
    }

    /// <summary>dst[i] = exp(src[i]) for i &lt; n; dst may equal src.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Exp(float* src, float* dst, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) Vector512.Store(Exp(Vector512.Load(src + i)), dst + i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Exp(Vector256.Load(src + i)), dst + i);
        for (; i < n; i++) dst[i] = Exp(src[i]);
    }

    // ---------------------------------------------------------------- erf and Φ
    // erf(u) = u·P(u²)/Q(u²) below ErfOne, ±1 from there on (where erf rounds to ±1 in float). Φ(x) = ½ + ½·erf(x/√2),
    // as PyTorch's exact GELU computes it: absolute accuracy, so Φ's lower tail is 0 below x ≈ −5.5 instead of keeping
    // relative accuracy. One division and no exp: GELU's forward is mostly this (3.4× faster than the erfc-tail form).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> u)
    {
        var s = u * u;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P6), s, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(P0));
        var q = Vector512.FusedMultiplyAdd(Vector512.Create(Q5), s, Vector512.Create(Q4));
        q = Vector512.FusedMultiplyAdd(q, s, Vector512.Create(Q3));
        q = Vector512.FusedMultiplyAdd(q, s, Vector512.Create(Q2));
        q = Vector512.FusedMultiplyAdd(q, s, Vector512.Create(Q1));
        q = Vector512.FusedMultiplyAdd(q, s, Vector512<float>.One);
        var saturated = (u & Vector512.Create(-0f)) | Vector512<float>.One;
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(Vector512.Abs(u), Vector512.Create(ErfOne)), saturated, u * (p / q));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> u)
    {
        var s = u * u;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P6), s, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(P0));
        var q = Vector256.FusedMultiplyAdd(Vector256.Create(Q5), s, Vector256.Create(Q4));
        q = Vector256.FusedMultiplyAdd(q, s, Vector256.Create(Q3));
        q = Vector256.FusedMultiplyAdd(q, s, Vector256.Create(Q2));
        q = Vector256.FusedMultiplyAdd(q, s, Vector256.Create(Q1));
        q = Vector256.FusedMultiplyAdd(q, s, Vector256<float>.One);
        var saturated = (u & Vector256.Create(-0f)) | Vector256<float>.One;
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(Vector256.Abs(u), Vector256.Create(ErfOne)), saturated, u * (p / q));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float u)
    {
        if (Math.Abs(u) >= ErfOne) return MathF.CopySign(1f, u);
        float s = u * u;
        float p = MathF.FusedMultiplyAdd(P6, s, P5);
        p = MathF.FusedMultiplyAdd(p, s, P4);
        p = MathF.FusedMultiplyAdd(p, s, P3);
        p = MathF.FusedMultiplyAdd(p, s, P2);
        p = MathF.FusedMultiplyAdd(p, s, P1);
        p = MathF.FusedMultiplyAdd(p, s, P0);
        float q = MathF.FusedMultiplyAdd(Q5, s, Q4);
        q = MathF.FusedMultiplyAdd(q, s, Q3);
        q = MathF.FusedMultiplyAdd(q, s, Q2);
        q = MathF.FusedMultiplyAdd(q, s, Q1);
        q = MathF.FusedMultiplyAdd(q, s, 1f);
        return u * (p / q);
    }

    /// <summary>Φ(x), the standard normal CDF, to ≤ 2e-7 absolute.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> NormalCdf(Vector512<float> x)
        => Vector512.FusedMultiplyAdd(Erf(x * Vector512.Create(InvSqrt2)), Vector512.Create(0.5f), Vector512.Create(0.5f));

    /// <summary>Φ(x), the standard normal CDF, to ≤ 2e-7 absolute.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NormalCdf(Vector256<float> x)
        => Vector256.FusedMultiplyAdd(Erf(x * Vector256.Create(InvSqrt2)), Vector256.Create(0.5f), Vector256.Create(0.5f));

    /// <summary>Φ(x), the standard normal CDF, to ≤ 2e-7 absolute.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float NormalCdf(float x) => MathF.FusedMultiplyAdd(Erf(x * InvSqrt2), 0.5f, 0.5f);
}
