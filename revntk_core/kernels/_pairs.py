"""E[a(z1) b(z2)] for one pair of atoms: closed forms, else quadrature.

Closed forms, exact at every correlation including rho = +-1:

- arc-cosine kernels for (z)_+ and 1[z > 0], and for shifted kinks the
  bivariate-normal orthant moments (``_normal._orthant``);
- Gaussian integrals of exp(-p z^2 + w z) pairs, Stein's lemma for z;
- a Cameron-Martin shift, E[f(z1) e^{w z2}] = e^{w^2 q2/2} E[f(z1 + w q12)],
  with the complex normal CDF (through ``erfcx``) for kink x sin/cos/exp;
- (2/pi) arcsin for erf x erf, and sum_j a_j b_j rho^j for Hermite series.

Every other pair goes to ``_quadrature._quad_pair``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sp

from revntk_core.kernels._atoms import (
    _CONST,
    _ERF,
    _GEN,
    _GEXP,
    _LIN,
    _RELU,
    _STEP,
    _Atom,
)
from revntk_core.kernels._composite import HermiteSeries
from revntk_core.kernels._normal import (
    _INV_SQRT_2PI,
    _exp_cdf,
    _orthant,
    _pdf,
    _q,
)
from revntk_core.kernels._quadrature import _quad_pair


def _pair(a: _Atom, b: _Atom, q1: np.ndarray, q2: np.ndarray, q12: np.ndarray) -> Any:
    """E[a(z1) b(z2)] for one pair of atoms (closed form or quadrature)."""
    if a.kind > b.kind:
        a, b, q1, q2 = b, a, q2, q1
    ka, kb = a.kind, b.kind
    s1, s2 = np.sqrt(q1), np.sqrt(q2)
    zero = np.zeros_like(q12)
    if ka == _CONST:
        if kb == _CONST:
            return np.ones_like(q12)
        if kb in (_LIN, _ERF):
            return zero
        t = b.shift / s2
        if kb == _RELU:
            return s2 * (_pdf(t) - t * _q(t))
        if kb == _STEP:
            return _q(t)
        if kb == _GEXP:
            return _gexp_mean(b, q2)
    if ka == _LIN:
        t = b.shift / s2
        if kb == _LIN:
            return q12
        if kb == _RELU:
            return q12 * _q(t)
        if kb == _STEP:
            return q12 * _pdf(t) / s2
        if kb == _GEXP:
            return q12 * b.w / (1.0 + 2.0 * b.p * q2) * _gexp_mean(b, q2)
        if kb == _ERF:
            return q12 * (2.0 / math.sqrt(math.pi)) / np.sqrt(1.0 + 2.0 * q2)
    if ka in (_RELU, _STEP) and kb in (_RELU, _STEP):
        ta, tb = a.shift / s1, b.shift / s2
        if a.shift == 0 and b.shift == 0:
            return _arccos_pair(ka, kb, s1, s2, q12)
        rho = np.clip(q12 / (s1 * s2), -1.0, 1.0)
        m = _orthant(ta, tb, rho)
        if ka == _RELU and kb == _RELU:
            mom = m["EXY"] - tb * m["EX"] - ta * m["EY"] + ta * tb * m["L"]
            return s1 * s2 * mom
        if ka == _RELU:
            return s1 * (m["EX"] - ta * m["L"])
        return m["L"]
    if ka in (_RELU, _STEP) and kb == _GEXP and b.p == 0:
        big_a = 0.5 * b.w * b.w * q2
        t = (b.w * q12 - a.shift) / s1
        e_cdf = _exp_cdf(big_a, t)
        if ka == _STEP:
            return e_cdf
        return s1 * (t * e_cdf + np.exp(big_a - 0.5 * t * t) * _INV_SQRT_2PI)
    if ka == _GEXP and kb == _GEXP:
        return _gexp_pair(a, b, q1, q2, q12)
    if ka == _GEXP and kb == _ERF:
        if a.w == 0:
            return zero  # even x odd under (z1, z2) -> (-z1, -z2)
        if a.p == 0:
            return _gexp_erf(a.w, q1, q2, q12)
    if kb == _GEN and isinstance(b.act, HermiteSeries) and ka in (_CONST, _LIN, _GEN):
        coeffs = {_CONST: (1.0,), _LIN: (0.0, 1.0)}.get(ka)
        first = a.act if coeffs is None else HermiteSeries(coeffs)
        if isinstance(first, HermiteSeries):
            return _hermite_pair(first.coeffs, b.act.coeffs, q1, q2, q12)
    if ka == _ERF and kb == _ERF:
        den = np.sqrt((1.0 + 2.0 * q1) * (1.0 + 2.0 * q2))
        return (2.0 / math.pi) * np.arcsin(np.clip(2.0 * q12 / den, -1.0, 1.0))
    return _quad_pair(a, b, q1, q2, q12)


def _arccos_pair(ka: int, kb: int, s1: Any, s2: Any, q12: Any) -> Any:
    """Arc-cosine kernels of (z)_+ and 1[z > 0] (Cho and Saul 2009)."""
    rho = np.clip(q12 / (s1 * s2), -1.0, 1.0)
    theta = np.arccos(rho)
    sin_t = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
    if ka == _RELU and kb == _RELU:
        return s1 * s2 * (sin_t + (math.pi - theta) * rho) / (2.0 * math.pi)
    if ka == _RELU:
        return s1 * (1.0 + rho) * (0.5 * _INV_SQRT_2PI)
    return (math.pi - theta) / (2.0 * math.pi)


def _gexp_mean(b: _Atom, q: Any) -> Any:
    """E[exp(-p z^2 + w z)], z ~ N(0, q)."""
    d = 1.0 + 2.0 * b.p * q
    return np.exp(b.w * b.w * q / (2.0 * d)) / np.sqrt(d)


def _gexp_pair(a: _Atom, b: _Atom, q1: Any, q2: Any, q12: Any) -> Any:
    """E[exp(-p1 z1^2 + w1 z1 - p2 z2^2 + w2 z2)] (Gaussian integral)."""
    det = np.maximum(q1 * q2 - q12 * q12, 0.0)
    d = 1.0 + 2.0 * a.p * q1 + 2.0 * b.p * q2 + 4.0 * a.p * b.p * det
    quad = (
        a.w * a.w * (q1 + 2.0 * b.p * det)
        + 2.0 * a.w * b.w * q12
        + b.w * b.w * (q2 + 2.0 * a.p * det)
    )
    return np.exp(quad / (2.0 * d)) / np.sqrt(d)


def _gexp_erf(w: complex, q1: Any, q2: Any, q12: Any) -> Any:
    """E[exp(w z1) erf(z2)] = e^{w^2 q1/2} erf(w q12 / sqrt(1 + 2 q2))."""
    arg = q12 / np.sqrt(1.0 + 2.0 * q2)
    if w.real == 0:  # imaginary w = i nu: erf(i y) = i (2/sqrt pi) e^{y^2} D(y)
        nu = w.imag
        y = nu * arg
        mag = np.exp(-0.5 * nu * nu * q1 + y * y) * sp.dawsn(y)
        return 1j * (2.0 / math.sqrt(math.pi)) * mag
    return np.exp(0.5 * w * w * q1) * sp.erf(w * arg)


def _rescaled_hermite(coeffs: tuple[float, ...], q: float) -> np.ndarray:
    """Coefficients of sum_n b_n h_n(sqrt(q) x) in the basis h_j(x).

    h_n(g x) = sum_k g^{n-2k} ((g^2 - 1)/2)^k sqrt(n!/(n-2k)!) / k! h_{n-2k}(x),
    the normalised form of the Hermite multiplication theorem, with g^2 = q.
    """
    b = np.asarray(coeffs)
    out = np.zeros(b.size)
    g, half = math.sqrt(q), 0.5 * (q - 1.0)
    for n in range(b.size):
        for k in range(n // 2 + 1):
            log_mag = (
                (n - 2 * k) * math.log(g)
                + 0.5 * (math.lgamma(n + 1) - math.lgamma(n - 2 * k + 1))
                - math.lgamma(k + 1)
            )
            if k and half == 0:
                continue
            term = math.exp(log_mag + (k * math.log(abs(half)) if k else 0.0))
            out[n - 2 * k] += b[n] * term * (-1.0 if half < 0 and k % 2 else 1.0)
    return out


def _hermite_pair(
    ca: tuple[float, ...], cb: tuple[float, ...], q1: Any, q2: Any, q12: Any
) -> np.ndarray:
    """E[A(z1) B(z2)] for Hermite series A, B: sum_j a_j b_j rho^j (SPEC eq. 9),

    after rescaling each series to unit variance. Exact up to rounding; the
    rescaling sums terms as large as q^{n/2} sqrt(n!) / (n/2)! for q != 1.
    """
    q1, q2, q12 = np.broadcast_arrays(q1, q2, q12)
    rho = np.clip(q12 / np.sqrt(q1 * q2), -1.0, 1.0)
    out = np.zeros(q12.shape)
    size = max(len(ca), len(cb))
    for v1 in np.unique(q1):
        ra = np.zeros(size)
        ra[: len(ca)] = _rescaled_hermite(ca, float(v1))
        for v2 in np.unique(q2[q1 == v1]):
            sel = (q1 == v1) & (q2 == v2)
            rb = np.zeros(size)
            rb[: len(cb)] = _rescaled_hermite(cb, float(v2))
            out[sel] = np.polynomial.polynomial.polyval(rho[sel], ra * rb)
    return out
