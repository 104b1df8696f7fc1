"""Standard-normal functions used by the closed-form pair integrals.

The density and upper tail, e^a Phi(t) for complex a and t, and the
truncated moments of a bivariate normal on an orthant through Owen's T.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sp

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TINY = 1e-150


def _pdf(t: Any) -> Any:
    return np.exp(-0.5 * t * t) * _INV_SQRT_2PI


def _q(t: Any) -> Any:
    return sp.ndtr(-t)


def _exp_cdf(a: Any, t: Any) -> Any:
    """e^a Phi(t) for complex a, t without overflow (via erfcx)."""
    a, t = np.broadcast_arrays(np.asarray(a, complex), np.asarray(t, complex))
    low = t.real < 0
    r2 = math.sqrt(2.0)
    with np.errstate(over="ignore", invalid="ignore"):  # in the unused branch
        g = 0.5 * np.exp(a - 0.5 * t * t)
        return np.where(low, g * sp.erfcx(-t / r2), np.exp(a) - g * sp.erfcx(t / r2))


def _orthant(a: np.ndarray, b: np.ndarray, rho: np.ndarray) -> dict[str, np.ndarray]:
    """Truncated moments of standard (X, Y), corr rho, on {X > a, Y > b}.

    Returns L = P(X > a, Y > b) and the first and mixed moments
    E[X 1], E[Y 1], E[XY 1] (Rosenbaum 1961), exact also at rho = +-1.
    """
    a, b, rho = np.broadcast_arrays(a, b, rho)
    # Bounds below 1e-150 in size are 0: the moments move by O(|a|) there,
    # while the ratios below (Owen's T at h -> 0) would under- or overflow.
    a = np.where(np.abs(a) < _TINY, 0.0, a)
    b = np.where(np.abs(b) < _TINY, 0.0, b)
    one_m = 1.0 - rho
    s = np.sqrt(np.maximum(one_m * (1.0 + rho), 0.0))
    deg = s == 0.0
    s_safe = np.where(deg, 1.0, s)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # a' = (b - rho a)/s, b' = (a - rho b)/s, written to avoid cancellation
        ap = ((b - a) + one_m * a) / s_safe
        bp = ((a - b) + one_m * b) / s_safe
        h, k = -a, -b
        big_l = 0.5 * sp.ndtr(h) + 0.5 * sp.ndtr(k)
        big_l -= _owen(h, -ap) + _owen(k, -bp)
        # The sign of h k, from the signs alone: h * k itself underflows to 0
        # for |h|, |k| < 1e-162 and would pick the wrong branch.
        hk = np.sign(h) * np.sign(k)
        big_l -= np.where((hk < 0) | ((hk == 0) & (h + k < 0)), 0.5, 0.0)
        zero = (h == 0) & (k == 0)
        big_l = np.where(zero, 0.25 + np.arcsin(rho) / (2 * math.pi), big_l)
        qa, qb = _q(ap), _q(bp)
        fa, fb = _pdf(a), _pdf(b)
        ex = fa * qa + rho * fb * qb
        ey = fb * qb + rho * fa * qa
        r2 = ((a - b) ** 2 + 2.0 * one_m * a * b) / (s_safe * s_safe)
        exy = rho * (big_l + a * fa * qa + b * fb * qb) + s * _pdf(np.sqrt(r2)) * (
            _INV_SQRT_2PI
        )
    if np.any(deg):
        up = rho > 0
        m = np.where(up, np.maximum(a, b), a)
        v = -b  # at rho = -1, Y = -X and the event is a < X < v
        mass = np.where(up, _q(m), np.maximum(sp.ndtr(v) - sp.ndtr(a), 0.0))
        m1 = np.where(up, _pdf(m), np.where(a < v, _pdf(a) - _pdf(v), 0.0))
        m2 = np.where(
            up,
            _q(m) + m * _pdf(m),
            mass + np.where(a < v, a * _pdf(a) - v * _pdf(v), 0.0),
        )
        big_l = np.where(deg, mass, big_l)
        ex = np.where(deg, m1, ex)
        ey = np.where(deg, np.where(up, m1, -m1), ey)
        exy = np.where(deg, np.where(up, m2, -m2), exy)
    return {"L": big_l, "EX": ex, "EY": ey, "EXY": exy}


def _owen(h: np.ndarray, num: np.ndarray) -> np.ndarray:
    """Owen's T(h, num / h), with the limit T(0+, +-inf) = +-1/4."""
    h_safe = np.where(h == 0, 1.0, h)
    t = sp.owens_t(h, num / h_safe)
    return np.where(h == 0, 0.25 * np.sign(num), t)
