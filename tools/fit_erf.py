#!/usr/bin/python3
"""Fit the rational erf approximation of src/JepaSharp.Engine/Kernels/FastMath.cs.

Run by hand with Debian's python3-numpy (it comes with python3-torch):

    /usr/bin/python3 tools/fit_erf.py

erf(u) ~ u * P(u^2) / Q(u^2), P of degree 6 and Q of degree 5 with Q(0) = 1, on [0, 3.92]; beyond
that erf is +-1 in float32 (erfc(3.92) < 2^-25). The fit linearises the rational error as
u*P - erf*Q, solves weighted least squares, divides by the previous Q (Sanathanan-Koerner) and
reweights towards the largest errors (Lawson) until the error levels out near the minimax one.
It prints the coefficients rounded to float32 and the absolute error of Phi(x) = 1/2 + erf(x/sqrt 2)/2
evaluated as FastMath does (float32 operations, fused multiply-adds), which is what the tests bound.
"""
import math

import numpy as np

ERF_ONE = 3.92
P_DEGREE, Q_DEGREE = 6, 5
f32 = np.float32


def fit(iterations=60):
    nodes = np.concatenate([np.cos(np.linspace(0, math.pi, 4000)) * ERF_ONE / 2 + ERF_ONE / 2,
                            np.linspace(0, ERF_ONE, 4000)])
    target = np.array([math.erf(u) for u in nodes])
    s = nodes * nodes
    weights = np.ones_like(nodes)
    previous_q = np.ones_like(nodes)
    for iteration in range(iterations):
        columns = [nodes * s**k for k in range(P_DEGREE + 1)] + [-target * s**k for k in range(1, Q_DEGREE + 1)]
        a = np.stack(columns, axis=1) * (weights / previous_q)[:, None]
        c, *_ = np.linalg.lstsq(a, target * weights / previous_q, rcond=None)
        p, q = c[:P_DEGREE + 1], np.concatenate([[1.0], c[P_DEGREE + 1:]])
        previous_q = np.polyval(q[::-1], s)
        error = nodes * np.polyval(p[::-1], s) / previous_q - target
        if iteration > 10:
            weights = weights * (np.abs(error) / np.abs(error).max()) ** 0.3 + 1e-12
            weights /= weights.max()
    return p, q, np.abs(error).max()


def fma(a, b, c):
    return f32(np.float64(a) * np.float64(b) + np.float64(c))  # the product of two floats is exact in double


def normal_cdf_f32(x, p, q):
    u = f32(f32(x) * f32(0.70710677))
    if abs(u) >= f32(ERF_ONE):
        erf = f32(math.copysign(1.0, u))
    else:
        s = f32(u * u)
        pv = p[-1]
        for k in range(len(p) - 2, -1, -1):
            pv = fma(pv, s, p[k])
        qv = q[-1]
        for k in range(len(q) - 2, -1, -1):
            qv = fma(qv, s, q[k])
        erf = f32(u * f32(pv / qv))
    return fma(erf, f32(0.5), f32(0.5))


def main():
    p, q, fit_error = fit()
    p32, q32 = [f32(v) for v in p], [f32(v) for v in q]
    worst = max(abs(float(normal_cdf_f32(x, p32, q32)) - 0.5 * math.erfc(-float(f32(x)) / math.sqrt(2)))
                for x in np.linspace(-9, 9, 180001))
    print(f"fit error {fit_error:.3g} (erf, absolute); Phi in float32: {worst:.3g} absolute on [-9, 9]")
    for name, coefficients in (("P", p32), ("Q", q32)):
        for k, v in enumerate(coefficients):
            if not (name == "Q" and k == 0):
                print(f"{name}{k} = {float(v)!r}f")


if __name__ == "__main__":
    main()
