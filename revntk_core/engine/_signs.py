r"""A sign policy for designed activations: minimise finite-width fluctuations.

Theorem 3.1 fixes a designed activation :math:`\phi = \sum_k s_k b_k h_k` only
up to the signs :math:`s_k = \pm 1`: every choice has the same infinite-width
kernel, but not the same fluctuations at finite width. For a 1HL net of width
:math:`n` (readout :math:`\rho_w = 1, \rho_b = 0`) the empirical NTK is a mean
over :math:`n` i.i.d. neurons,

.. math::

    \hat\Theta(x, x') = \frac1n \sum_{i=1}^n \theta_i, \qquad
    \theta_i = \phi(z_i)\phi(z_i') + v_i^2 \phi'(z_i)\phi'(z_i')\, s,
    \qquad s = \sigma_w^2 c + \sigma_b^2,

with :math:`(z, z')` centred Gaussian, variances :math:`q = \sigma_w^2 +
\sigma_b^2`, covariance :math:`s` (normalised data, SPEC Assumption 2.1), and
:math:`v \sim N(0, 1)` independent. So its standard deviation over nets is
exactly :math:`\sqrt{\operatorname{Var}\theta / n}` with

.. math::

    \operatorname{Var}\theta = E[A^2] + 2 s E[AB] + 3 s^2 E[B^2]
        - (E[A] + s E[B])^2

where :math:`A = \phi(z)\phi(z')`, :math:`B = \phi'(z)\phi'(z')`, and
:math:`E v^2 = 1, E v^4 = 3`. :func:`predicted_ntk_std` evaluates these
fourth moments by 2-D Gauss-Hermite quadrature, which is exact for a Hermite
series of degree D once the rule has more than 2D nodes per axis (the
integrands are polynomials of degree 4D); no Monte Carlo noise enters the
sign search.

Two symmetries leave the distribution of :math:`\theta` unchanged: the global
flip :math:`\phi \to -\phi` (every term is quadratic in :math:`\phi`) and the
reflection :math:`\phi(z) \to \phi(-z)`, which flips the odd-degree signs
(:math:`h_k(-z) = (-1)^k h_k(z)`, and :math:`(z, z') \to (-z, -z')` preserves
the Gaussian law). Together they let the first nonzero even-degree and the
first nonzero odd-degree sign be fixed to +1, so :func:`choose_signs` scores
:math:`2^{D-1}` patterns instead of :math:`2^{D+1}` at degree D.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence

import jax
import numpy as np

from revntk_core.kernels import HermiteSeries, hermite_values

from ._empirical import empirical_ntk_1hl

__all__ = ["choose_signs", "measured_ntk_std", "predicted_ntk_std"]

# Default cosines scored by the sign search: the whole range [-1, 1].
_DEFAULT_C_GRID = np.linspace(-1.0, 1.0, 41)
# Extra Gauss-Hermite nodes beyond the 2D + 1 that make the rule exact.
_EXTRA_NODES = 4
# Degree above which the exhaustive search (2^(D-1) patterns) is refused.
_MAX_SEARCH_DEGREE = 16


def _as_coeffs(name: str, coeffs: object) -> np.ndarray:
    b = np.asarray(coeffs, dtype=np.float64)
    if b.ndim != 1 or b.size == 0 or not np.all(np.isfinite(b)):
        raise ValueError(
            f"`{name}` must be a non-empty 1-D sequence of finite numbers "
            f"(b_0..b_D); got {coeffs!r}"
        )
    return b


def _as_signs(signs: object, size: int) -> np.ndarray:
    if signs is None:
        return np.ones(size)
    s = np.asarray(signs, dtype=np.float64)
    if s.shape != (size,) or not np.all(np.abs(s) == 1.0):
        raise ValueError(
            f"`signs` must hold {size} entries, each +1 or -1 (one per h_k); "
            f"got {signs!r}"
        )
    return s


def _check_width(width: object) -> int:
    if isinstance(width, bool) or not isinstance(width, numbers.Integral):
        raise TypeError(f"`width` must be a positive int; got {width!r}")
    if width < 1:
        raise ValueError(f"`width` must be a positive int; got {width!r}")
    return int(width)


def _check_scales(W_std: float, b_std: float) -> tuple[float, float]:
    W_std, b_std = float(W_std), float(b_std)
    if not (math.isfinite(W_std) and W_std > 0):
        raise ValueError(f"`W_std` must be finite and > 0; got {W_std!r}")
    if not (math.isfinite(b_std) and b_std >= 0):
        raise ValueError(f"`b_std` must be finite and >= 0; got {b_std!r}")
    return W_std, b_std


def _neuron_variance(b: np.ndarray, c: np.ndarray, W_std: float, b_std: float):
    """Var(theta_i) at cosines ``c`` (any shape) by exact 2-D quadrature."""
    degree = b.size - 1
    nodes, weights = np.polynomial.hermite_e.hermegauss(2 * degree + 1 + _EXTRA_NODES)
    weights = weights / weights.sum()  # Probabilists' rule -> N(0, 1) means.
    q = W_std**2 + b_std**2
    s = W_std**2 * np.clip(c, -1.0, 1.0) + b_std**2  # Covariance of (z, z').
    u = s / q  # Correlation of (z, z').
    g1, g2 = nodes[:, None], nodes[None, :]
    w2 = weights[:, None] * weights[None, :]
    db = np.sqrt(np.arange(1, degree + 1)) * b[1:]  # phi' = sum sqrt(k) b_k h_{k-1}

    def series(coef, z):
        return np.tensordot(coef, hermite_values(z, coef.size - 1), axes=1)

    z1 = math.sqrt(q) * g1 * np.ones_like(g2)
    p1 = series(b, z1)
    dp1 = series(db, z1) if degree else np.zeros_like(z1)
    out = np.empty(np.shape(c))
    for idx in np.ndindex(out.shape):
        ui, si = u[idx], s[idx]
        z2 = math.sqrt(q) * (ui * g1 + math.sqrt(max(0.0, 1.0 - ui * ui)) * g2)
        a = p1 * series(b, z2)
        bb = dp1 * (series(db, z2) if degree else np.zeros_like(z2))
        mean = np.sum(w2 * (a + si * bb))
        second = np.sum(w2 * (a * a + 2 * si * a * bb + 3 * si * si * bb * bb))
        out[idx] = max(second - mean * mean, 0.0)
    return out


def predicted_ntk_std(
    hermite_coeffs: Sequence[float] | np.ndarray,
    signs: Sequence[int] | np.ndarray | None = None,
    c: float | np.ndarray = 1.0,
    *,
    width: int,
    W_std: float = 1.0,
    b_std: float = 0.0,
) -> np.ndarray:
    r"""Std over random nets of the 1HL empirical NTK at cosines ``c``.

    .. math::

        \operatorname{std}\hat\Theta(c) = \sqrt{\operatorname{Var}\theta(c)
        / n}

    with the per-neuron variance of the module docstring, computed exactly for
    ``phi = sum_k signs[k] * hermite_coeffs[k] * h_k`` (readout 1, 0).

    Args:
        hermite_coeffs: b_0..b_D (magnitudes, or already signed).
        signs: s_0..s_D, each +1 or -1, multiplied into ``hermite_coeffs``;
            ``None`` means all +1.
        c: cosines between the two inputs, any shape, clipped to [-1, 1].
        width: hidden width n.
        W_std: hidden sigma_w.
        b_std: hidden sigma_b.

    Returns:
        float64 array shaped like ``c``.

    Raises:
        ValueError: for malformed coefficients or signs, or bad scales.

    Example:
        >>> # phi(z) = z: theta = z z' + v^2 c, so Var theta = 1 + 3 c^2.
        >>> float(predicted_ntk_std([0.0, 1.0], c=0.0, width=1))
        1.0
    """
    b = _as_coeffs("hermite_coeffs", hermite_coeffs)
    b = b * _as_signs(signs, b.size)
    width = _check_width(width)
    W_std, b_std = _check_scales(W_std, b_std)
    c = np.asarray(c, dtype=np.float64)
    return np.sqrt(_neuron_variance(b, c, W_std, b_std) / width)


def _canonical_patterns(b: np.ndarray) -> list[np.ndarray]:
    """Sign patterns modulo the global flip and the odd-degree flip."""
    nonzero = np.flatnonzero(b != 0)
    even = [k for k in nonzero if k % 2 == 0]
    odd = [k for k in nonzero if k % 2 == 1]
    fixed = {even[0]} if even else set()
    fixed |= {odd[0]} if odd else set()
    free = [k for k in nonzero if k not in fixed]
    patterns = []
    for choice in itertools.product((1.0, -1.0), repeat=len(free)):
        s = np.ones(b.size)
        s[free] = choice
        patterns.append(s)
    return patterns


def choose_signs(
    hermite_abs_coeffs: Sequence[float] | np.ndarray,
    *,
    width: int,
    c_grid: Sequence[float] | np.ndarray | None = None,
    objective: str = "mean",
    W_std: float = 1.0,
    b_std: float = 0.0,
) -> tuple[int, ...]:
    r"""Signs that minimise the predicted finite-width std of the 1HL NTK.

    Scores every distinct sign pattern (see the module docstring for the two
    symmetries that make the others redundant) by :func:`predicted_ntk_std`
    over ``c_grid`` and returns the best. The width only rescales every score
    by :math:`1/\sqrt n`, so it does not change the choice; it is asked for so
    the call reads as the question it answers.

    Args:
        hermite_abs_coeffs: |b_0|..|b_D| (signs in the input are ignored).
        width: hidden width n.
        c_grid: cosines to score; default 41 points evenly on [-1, 1].
        objective: ``"mean"`` (mean std over the grid) or ``"max"`` (worst
            cosine).
        W_std: hidden sigma_w.
        b_std: hidden sigma_b.

    Returns:
        s_0..s_D as ints (+1 for zero coefficients and for the fixed
        representatives). Ties go to the pattern with the fewest -1 signs,
        earliest degrees first.

    Raises:
        ValueError: for a bad objective, an empty grid, or degree above 16.

    Example:
        >>> choose_signs([1.0, 0.0, 0.0], width=1024)
        (1, 1, 1)
    """
    b = np.abs(_as_coeffs("hermite_abs_coeffs", hermite_abs_coeffs))
    width = _check_width(width)
    if objective not in ("mean", "max"):
        raise ValueError(f"`objective` must be 'mean' or 'max'; got {objective!r}")
    if b.size - 1 > _MAX_SEARCH_DEGREE:
        raise ValueError(
            f"`hermite_abs_coeffs` has degree {b.size - 1}; the exhaustive sign "
            f"search supports degree <= {_MAX_SEARCH_DEGREE}"
        )
    grid = _DEFAULT_C_GRID if c_grid is None else np.asarray(c_grid, dtype=float)
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(f"`c_grid` must be a non-empty 1-D array; got {c_grid!r}")
    reduce = np.mean if objective == "mean" else np.max
    best, best_score = None, math.inf
    for s in _canonical_patterns(b):
        score = reduce(
            predicted_ntk_std(b, s, grid, width=width, W_std=W_std, b_std=b_std)
        )
        # A relative margin keeps quadrature rounding from breaking exact ties.
        if score < best_score * (1 - 1e-12):
            best, best_score = s, score
    return tuple(int(v) for v in best)


def measured_ntk_std(
    hermite_coeffs: Sequence[float] | np.ndarray,
    signs: Sequence[int] | np.ndarray | None = None,
    c: float | np.ndarray = 1.0,
    *,
    width: int,
    n_nets: int,
    key: jax.Array,
    W_std: float = 1.0,
    b_std: float = 0.0,
) -> np.ndarray:
    """Sample std over ``n_nets`` random 1HL nets of the empirical NTK at ``c``.

    The counterpart of :func:`predicted_ntk_std` measured with
    :func:`empirical_ntk_1hl`: one input ``sqrt2 (1, 0)`` against inputs
    ``sqrt2 (c, sqrt(1 - c^2))``, so the cosines are exact. Its relative
    sampling error is about ``1 / sqrt(2 (n_nets - 1))`` (chi-square with
    ``n_nets - 1`` degrees of freedom, as the kernel is a mean over many
    neurons and so close to Gaussian).

    Args:
        hermite_coeffs: b_0..b_D.
        signs: s_0..s_D multiplied in; ``None`` means all +1.
        c: cosines, 1-D or scalar, clipped to [-1, 1].
        width: hidden width n.
        n_nets: number of independent nets (>= 2).
        key: JAX PRNG key.
        W_std: hidden sigma_w.
        b_std: hidden sigma_b.

    Returns:
        float64 array shaped like ``c``.

    Raises:
        ValueError: for malformed coefficients or signs, or ``n_nets < 2``.
    """
    b = _as_coeffs("hermite_coeffs", hermite_coeffs)
    b = b * _as_signs(signs, b.size)
    if (
        isinstance(n_nets, bool)
        or not isinstance(n_nets, numbers.Integral)
        or n_nets < 2
    ):
        raise ValueError(
            f"`n_nets` must be an int >= 2 to measure a std; got {n_nets!r}"
        )
    c = np.clip(np.asarray(c, dtype=np.float64), -1.0, 1.0)
    flat = c.reshape(-1)
    x1 = np.array([[math.sqrt(2.0), 0.0]])
    x2 = math.sqrt(2.0) * np.stack([flat, np.sqrt(1.0 - flat**2)], axis=1)
    stats = empirical_ntk_1hl(
        HermiteSeries(tuple(b)), x1, x2, width=_check_width(width),
        n_nets=int(n_nets), key=key, W_std=W_std, b_std=b_std,
    )  # fmt: skip
    return np.asarray(stats.std, dtype=np.float64).reshape(c.shape)
