using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace JepaSharp.Engine.Kernels;

// FastMath: float exp, erf and the normal CDF Φ as Vector512, Vector256 and scalar functions that agree bit for bit.
// exp(x) = 2^n·e^r, n = round(x·log2 e), e^r = 1 + r + r²·P5(r); erf(x) = x + x·S5(x²) for |x| ≤ 0.921875, else
// ±(1 − e^(−x²)·t·T7(t)) with t = 1/(1 + |x|/2); Φ(x) = ½·erfc(−x/√2) takes its tails from that erfc directly.
// Measured: exp ≤ 0.981 ulp on [−87, 88]; erf ≤ 8.0e-8 absolute on [−6, 6]; Φ ≤ 3.7e-7 relative on [−8, 8]. Pure maps.
/// <summary>Vectorized float <c>exp</c>, <c>erf</c> and the normal CDF used by softmax, GELU and the losses.</summary>
public static unsafe class FastMath
{
    // Every width runs the same IEEE operations (FMA where fused), so a kernel's scalar tail matches its vector body.
    // The polynomials are minimax fits made for this file (relative error of the fit: exp 5e-11, erf-small 1.6e-8,
    // erfc-scaled 1.7e-8); the rest of the error is float rounding.

    // exp: r = x − n·ln2 with ln2 in two parts (the first step is exact); 2^n is applied as two exact power-of-two
    // factors, so results are right down into the subnormals, 0 below −104 and +inf above 88.73. NaN passes through.
    private const float Log2E = 1.442695022e+00f;
    private const float Ln2Hi = 6.931152344e-01f; // 12 significant bits: n·Ln2Hi is exact for |n| ≤ 2^12
    private const float Ln2Lo = 3.194618330e-05f;
    private const float ExpClampLow = -104f;      // e^−104 rounds to 0; n = −150 still splits into two normal factors
    private const float ExpClampHigh = 89f;       // e^89 overflows; n = 129 likewise
    private const float E0 = 5.000000000e-01f, E1 = 1.666666567e-01f, E2 = 4.166629538e-02f;
    private const float E3 = 8.333496749e-03f, E4 = 1.394464867e-03f, E5 = 1.979035296e-04f;

    // erf, |x| ≤ ErfSplit: erf(x) = x + x·S(x²)
    private const float ErfSplit = 0.921875f;
    private const float S0 = 1.283791512e-01f, S1 = -3.761249483e-01f, S2 = 1.128181592e-01f;
    private const float S3 = -2.676661499e-02f, S4 = 4.993179813e-03f, S5 = -5.990851787e-04f;

    // erfc, a > ErfSplit: erfc(a) = e^(−a²)·t·T(t), t = 1/(1 + a/2), fitted on [ErfSplit, ErfcClamp]
    private const float ErfcClamp = 10.5f; // e^(−a²) is 0 beyond 10.3, so the clamp only keeps T in its range
    private const float T0 = 2.821004093e-01f, T1 = 2.819942534e-01f, T2 = 2.473860085e-01f, T3 = 1.766934544e-01f;
    private const float T4 = 6.692925841e-02f, T5 = 7.276590168e-02f, T6 = -2.177749723e-01f, T7 = 9.041334689e-02f;

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

    // ---------------------------------------------------------------- erf

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfSmall(Vector512<float> x, Vector512<float> s)
    {
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(S5), s, Vector512.Create(S4));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(S3));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(S2));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(S1));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(S0));
        return Vector512.FusedMultiplyAdd(p, x, x);
    }

    /// <summary>erfc(a)·e^(a²) for a ≥ <see cref="ErfSplit"/> (a ≥ 0; clamped to the fitted range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfcScaled(Vector512<float> a)
    {
        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(Vector512.Create(0.5f), Vector512.MinNative(a, Vector512.Create(ErfcClamp)), Vector512<float>.One);
        var q = Vector512.FusedMultiplyAdd(Vector512.Create(T7), t, Vector512.Create(T6));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(T5));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(T4));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(T3));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(T2));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(T1));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(T0));
        return t * q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfSmall(Vector256<float> x, Vector256<float> s)
    {
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(S5), s, Vector256.Create(S4));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(S3));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(S2));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(S1));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(S0));
        return Vector256.FusedMultiplyAdd(p, x, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfcScaled(Vector256<float> a)
    {
        var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(Vector256.Create(0.5f), Vector256.MinNative(a, Vector256.Create(ErfcClamp)), Vector256<float>.One);
        var q = Vector256.FusedMultiplyAdd(Vector256.Create(T7), t, Vector256.Create(T6));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(T5));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(T4));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(T3));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(T2));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(T1));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(T0));
        return t * q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfSmall(float x, float s)
    {
        float p = MathF.FusedMultiplyAdd(S5, s, S4);
        p = MathF.FusedMultiplyAdd(p, s, S3);
        p = MathF.FusedMultiplyAdd(p, s, S2);
        p = MathF.FusedMultiplyAdd(p, s, S1);
        p = MathF.FusedMultiplyAdd(p, s, S0);
        return MathF.FusedMultiplyAdd(p, x, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfcScaled(float a)
    {
        float t = 1f / MathF.FusedMultiplyAdd(0.5f, Math.Min(a, ErfcClamp), 1f);
        float q = MathF.FusedMultiplyAdd(T7, t, T6);
        q = MathF.FusedMultiplyAdd(q, t, T5);
        q = MathF.FusedMultiplyAdd(q, t, T4);
        q = MathF.FusedMultiplyAdd(q, t, T3);
        q = MathF.FusedMultiplyAdd(q, t, T2);
        q = MathF.FusedMultiplyAdd(q, t, T1);
        q = MathF.FusedMultiplyAdd(q, t, T0);
        return t * q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> x)
    {
        var s = x * x;
        var a = Vector512.Abs(x);
        var small = ErfSmall(x, s);
        var erfc = Exp(-s) * ErfcScaled(a);
        var large = (Vector512<float>.One - erfc) | (x & Vector512.Create(-0f));
        return Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512.Create(ErfSplit)), large, small);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        var s = x * x;
        var a = Vector256.Abs(x);
        var small = ErfSmall(x, s);
        var erfc = Exp(-s) * ErfcScaled(a);
        var large = (Vector256<float>.One - erfc) | (x & Vector256.Create(-0f));
        return Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256.Create(ErfSplit)), large, small);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x)
    {
        float s = x * x;
        float a = Math.Abs(x);
        if (!(a > ErfSplit)) return ErfSmall(x, s);
        float erfc = Exp(-s) * ErfcScaled(a);
        return MathF.CopySign(1f - erfc, x);
    }

    // ---------------------------------------------------------------- normal CDF

    // Φ(x) = ½(1 + erf(u)), u = x/√2. In the tails Φ comes straight from erfc(|u|) = e^(−x²/2)·t·T(t), so the
    // lower tail keeps its relative accuracy instead of cancelling in 1 + erf. e^(−x²/2) is returned too:
    // φ(x) = e^(−x²/2)/√(2π) is what GELU's backward needs. The rounding error of x² (recovered exactly with an FMA)
    // is folded back in as e^(−(s+δ)/2) ≈ e^(−s/2)·(1 − δ/2); without it the relative error grows like x²·2⁻²⁴.

    /// <summary>Φ(x), the standard normal CDF; <paramref name="gauss"/> = e^(−x²/2) (so φ(x) = gauss/√(2π)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> NormalCdf(Vector512<float> x, out Vector512<float> gauss)
    {
        var half = Vector512.Create(0.5f);
        var u = x * Vector512.Create(InvSqrt2);
        var a = Vector512.Abs(u);
        var x2 = x * x;
        var x2Err = Vector512.FusedMultiplyAdd(x, x, -x2); // x² = x2 + x2Err exactly
        x2Err = Vector512.ConditionalSelect(Vector512.Equals(x2, Vector512.Create(float.PositiveInfinity)), Vector512<float>.Zero, x2Err);
        gauss = Exp(-(half * x2));
        gauss = Vector512.FusedMultiplyAdd(gauss * -half, x2Err, gauss);
        var small = Vector512.FusedMultiplyAdd(ErfSmall(u, u * u), half, half);
        var tail = half * gauss * ErfcScaled(a);
        var large = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), tail, Vector512<float>.One - tail);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512.Create(ErfSplit)), large, small);
    }

    /// <summary>Φ(x), the standard normal CDF; <paramref name="gauss"/> = e^(−x²/2) (so φ(x) = gauss/√(2π)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NormalCdf(Vector256<float> x, out Vector256<float> gauss)
    {
        var half = Vector256.Create(0.5f);
        var u = x * Vector256.Create(InvSqrt2);
        var a = Vector256.Abs(u);
        var x2 = x * x;
        var x2Err = Vector256.FusedMultiplyAdd(x, x, -x2); // x² = x2 + x2Err exactly
        x2Err = Vector256.ConditionalSelect(Vector256.Equals(x2, Vector256.Create(float.PositiveInfinity)), Vector256<float>.Zero, x2Err);
        gauss = Exp(-(half * x2));
        gauss = Vector256.FusedMultiplyAdd(gauss * -half, x2Err, gauss);
        var small = Vector256.FusedMultiplyAdd(ErfSmall(u, u * u), half, half);
        var tail = half * gauss * ErfcScaled(a);
        var large = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), tail, Vector256<float>.One - tail);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256.Create(ErfSplit)), large, small);
    }

    /// <summary>Φ(x), the standard normal CDF; <paramref name="gauss"/> = e^(−x²/2) (so φ(x) = gauss/√(2π)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float NormalCdf(float x, out float gauss)
    {
        float u = x * InvSqrt2;
        float a = Math.Abs(u);
        float x2 = x * x;
        float x2Err = MathF.FusedMultiplyAdd(x, x, -x2); // x² = x2 + x2Err exactly
        if (x2 == float.PositiveInfinity) x2Err = 0f;
        gauss = Exp(-(0.5f * x2));
        gauss = MathF.FusedMultiplyAdd(gauss * -0.5f, x2Err, gauss);
        if (!(a > ErfSplit)) return MathF.FusedMultiplyAdd(ErfSmall(u, u * u), 0.5f, 0.5f);
        float tail = 0.5f * gauss * ErfcScaled(a);
        return x < 0f ? tail : 1f - tail;
    }
}
