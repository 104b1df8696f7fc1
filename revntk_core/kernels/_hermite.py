"""Normalised probabilist's Hermite polynomials and Hermite coefficients.

The basis is orthonormal under the standard Gaussian (SPEC section 2):

.. math::

    h_0 = 1,\\quad h_1 = z,\\quad
    h_k(z) = \\frac{z\\,h_{k-1}(z) - \\sqrt{k-1}\\,h_{k-2}(z)}{\\sqrt{k}},
    \\qquad \\mathbb{E}_{z\\sim N(0,1)}[h_k h_l] = \\delta_{kl}.

Everything here is NumPy float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "hermite_coefficients",
    "hermite_to_monomial",
    "hermite_values",
    "monomial_to_hermite",
]

# Gauss-Legendre order per panel of the coefficient quadrature. With panels no
# wider than ``_panel_width`` the integrand phi(z) h_k(z) exp(-z^2/2) spans at
# most about three oscillations per panel, which 40 nodes (exact for
# polynomials of degree 79) resolve to rounding error.
_PANEL_ORDER = 40
# Half-width, in standard deviations beyond the last oscillation of h_k
# (which ends near sqrt(4k + 2)), where exp(-z^2/2) has fallen below 1e-40.
_TAIL = 14.0


def hermite_values(z: np.ndarray | float, degree: int) -> np.ndarray:
    """Values of h_0..h_degree at ``z`` by the normalised three-term recurrence.

    .. math::

        h_k(z) = (z\\,h_{k-1}(z) - \\sqrt{k-1}\\,h_{k-2}(z)) / \\sqrt{k}

    The recurrence never forms factorials, so it is stable to degree 500 and
    beyond: |h_k(z)| stays below about exp(z^2/4) for |z| < sqrt(4k+2), and
    outside that range grows like |z|^k / sqrt(k!), which overflows float64
    only for |z| beyond about 40 at degree 500.

    Args:
        z: points, any shape.
        degree: highest degree k, >= 0.

    Returns:
        Array of shape ``(degree + 1, *z.shape)``; row k holds h_k(z).

    Raises:
        ValueError: if ``degree`` is negative.

    Example:
        >>> hermite_values(np.array([0.0, 1.0]), 2)[2]
        array([-0.70710678,  0.        ])
    """
    degree = _check_degree(degree)
    z = np.asarray(z, dtype=np.float64)
    out = np.empty((degree + 1, *z.shape), dtype=np.float64)
    out[0] = 1.0
    if degree >= 1:
        out[1] = z
    for k in range(2, degree + 1):
        out[k] = (z * out[k - 1] - math.sqrt(k - 1) * out[k - 2]) / math.sqrt(k)
    return out


def hermite_coefficients(
    activation: Callable[[np.ndarray], np.ndarray],
    degree: int,
    *,
    breakpoints: Sequence[float] | None = None,
) -> np.ndarray:
    """Hermite coefficients b_k = E_{z~N(0,1)}[phi(z) h_k(z)] (SPEC eq. 32).

    Method: composite Gauss-Legendre on [-L, L], L = sqrt(4 degree + 2) + 14
    (+ the largest |frequency| of any real exponential part, whose weight
    exp(f z - z^2/2) is centred at z = f). The interval is first split at the
    activation's ``breakpoints`` (where phi or phi' jumps: a ReLU kink, a step),
    so every panel has a smooth (analytic) integrand and Gauss-Legendre
    converges geometrically on it; the panels are then subdivided to a width
    small enough to resolve the oscillations of h_k. Plain Gauss-Hermite
    quadrature would converge only algebraically across a kink (error of
    order n^{-3/2} for ReLU). The truncated tails carry less than
    exp(-(14)^2/2) ~ 1e-43 of Gaussian mass. For phi with faster-than-linear
    growth (e.g. exp(z^2)) the coefficients do not exist.

    Args:
        activation: an :class:`Activation` or any NumPy-callable phi.
        degree: highest k, >= 0.
        breakpoints: where phi or phi' jumps; defaults to
            ``activation.breakpoints`` when it has that attribute.

    Returns:
        float64 array of shape ``(degree + 1,)``.

    Raises:
        ValueError: if ``degree`` is negative or the activation returns
            non-finite values on the quadrature grid.

    Example:
        >>> from revntk_core.kernels import Identity
        >>> np.round(hermite_coefficients(Identity(), 2), 12) + 0.0
        array([0., 1., 0.])
    """
    degree = _check_degree(degree)
    if breakpoints is None:
        breakpoints = getattr(activation, "breakpoints", ())
    half = math.sqrt(4.0 * degree + 2.0) + _TAIL + _exp_growth(activation)
    bps = sorted({float(b) for b in breakpoints if -half < float(b) < half})
    edges = [-half, *bps, half]
    width = 0.5 / (1.0 + math.sqrt(degree) / 10.0)
    x_gl, w_gl = np.polynomial.legendre.leggauss(_PANEL_ORDER)
    nodes, weights = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        n_panels = max(1, math.ceil((hi - lo) / width))
        cuts = np.linspace(lo, hi, n_panels + 1)
        mid = 0.5 * (cuts[1:] + cuts[:-1])[:, None]
        rad = 0.5 * (cuts[1:] - cuts[:-1])[:, None]
        nodes.append((mid + rad * x_gl).ravel())
        weights.append((rad * w_gl).ravel())
    z = np.concatenate(nodes)
    w = np.concatenate(weights) * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    values = np.asarray(activation(z), dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"`activation` must be finite on [-{half:.1f}, {half:.1f}]; "
            f"got non-finite values from {activation!r}"
        )
    return hermite_values(z, degree) @ (w * values)


def hermite_to_monomial(b: Sequence[float] | np.ndarray) -> np.ndarray:
    """Monomial coefficients a with sum_l a_l z^l = sum_k b_k h_k(z).

    Builds the monomial coefficients of h_k by the same three-term recurrence
    as :func:`hermite_values` (applied to coefficient vectors), accumulating
    b_k times each. The map itself is ill-conditioned: h_k has monomial
    coefficients as large as about sqrt(k!)/(k/2)! * 2^{-k/2} * ..., of
    alternating sign, so float64 keeps about 1e-13 relative accuracy to degree
    ~20, about 1e-9 at degree 40, and loses all accuracy in the low-order
    coefficients beyond degree ~70. Use the Hermite form for anything of high
    degree.

    Args:
        b: Hermite coefficients b_0..b_n.

    Returns:
        float64 array a_0..a_n.
    """
    b = _as_coefficients(b, "b")
    n = b.size
    a = np.zeros(n)
    prev = np.zeros(n)
    cur = np.zeros(n)
    cur[0] = 1.0
    a += b[0] * cur
    for k in range(1, n):
        nxt = np.zeros(n)
        nxt[1:] = cur[:-1]
        nxt -= math.sqrt(k - 1) * prev
        nxt /= math.sqrt(k)
        prev, cur = cur, nxt
        a += b[k] * cur
    return a


def monomial_to_hermite(a: Sequence[float] | np.ndarray) -> np.ndarray:
    """Hermite coefficients b with sum_k b_k h_k(z) = sum_l a_l z^l.

    Uses z h_k = sqrt(k+1) h_{k+1} + sqrt(k) h_{k-1} to build the Hermite
    expansion of z^l from that of z^{l-1}. Every term is non-negative, so the
    recurrence itself loses nothing; the result is accurate to rounding in
    each a_l z^l term. (z^l has Hermite coefficients up to about sqrt(l!),
    which overflows float64 only beyond degree ~300.)

    Args:
        a: monomial coefficients a_0..a_n.

    Returns:
        float64 array b_0..b_n.
    """
    a = _as_coefficients(a, "a")
    n = a.size
    b = np.zeros(n)
    power = np.zeros(n + 1)
    power[0] = 1.0
    sq = np.sqrt(np.arange(n + 2, dtype=np.float64))
    for l in range(n):
        b += a[l] * power[:n]
        nxt = np.zeros(n + 1)
        nxt[1:] = sq[1 : n + 1] * power[:-1]
        nxt[:-1] += sq[1 : n + 1] * power[1:]
        power = nxt
    return b


def _check_degree(degree: int) -> int:
    if isinstance(degree, bool) or not isinstance(degree, int | np.integer):
        raise TypeError(f"`degree` must be an int; got {degree!r}")
    if degree < 0:
        raise ValueError(f"`degree` must be >= 0; got {degree}")
    return int(degree)


def _as_coefficients(x: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"`{name}` must be a non-empty 1-D coefficient vector; "
            f"got shape {arr.shape}"
        )
    return arr


def _exp_growth(activation: object) -> float:
    """Largest |frequency| among real-exponential parts (0 if none known)."""
    from revntk_core.kernels._activations import Exp
    from revntk_core.kernels._base import Activation

    if not isinstance(activation, Activation):
        return 0.0
    return max(
        (abs(p.frequency) for p in activation.parts() if isinstance(p, Exp)),
        default=0.0,
    )
