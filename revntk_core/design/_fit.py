"""PSD polynomial fits and the Schoenberg check.

Schoenberg (Thm 2.2): a dot-product kernel valid on spheres of every dimension
is K(c) = sum_k a_k c^k with every a_k >= 0. Every FCN kernel on normalised
data is of this form, so a target with a negative coefficient is no FCN's
kernel, and a kernel given only by samples is approximated by a polynomial
whose coefficients are constrained to be >= 0.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import lsq_linear

__all__ = ["NotPSDError", "check_psd", "fit_psd_polynomial"]

# Cosines within this distance of 1 count as the endpoint c = 1 (samples read
# from files carry rounding).
_ENDPOINT_ATOL = 1e-12


class NotPSDError(ValueError):
    """A target kernel has a negative power-series coefficient (Schoenberg)."""


def check_psd(coeffs, *, name: str = "target", atol: float = 0.0) -> np.ndarray:
    """Check that power-series coefficients are all >= 0 (Schoenberg, Thm 2.2).

    Args:
        coeffs: a_0, a_1, ... of K(c) = sum_k a_k c^k.
        name: what the coefficients belong to, for the message.
        atol: coefficients in [-atol, 0) count as rounding and pass.

    Returns:
        The coefficients as a float64 array, unchanged.

    Raises:
        NotPSDError: naming the first negative coefficient, its index and value.
        ValueError: if the coefficients are empty or not finite.

    Example:
        >>> try:
        ...     check_psd([0.0, 1.0, -1.0], name="c-c^2")
        ... except NotPSDError as err:
        ...     print(str(err)[:47])
        c-c^2: coefficient a_2 = -1 of c^2 is negative;
    """
    a = np.asarray(coeffs, dtype=np.float64).ravel()
    if a.size == 0 or not np.all(np.isfinite(a)):
        raise ValueError(f"`coeffs` of {name} must be non-empty and finite; got {a!r}")
    bad = np.flatnonzero(a < -atol)
    if bad.size:
        k = int(bad[0])
        power = "c^0 (the constant)" if k == 0 else ("c" if k == 1 else f"c^{k}")
        others = f" (and {bad.size - 1} more)" if bad.size > 1 else ""
        raise NotPSDError(
            f"{name}: coefficient a_{k} = {a[k]:.6g} of {power} is negative{others}; "
            "by Schoenberg's theorem a dot-product kernel needs every power-series "
            "coefficient >= 0, so this target cannot be any FCN's kernel. Use a "
            "target with non-negative coefficients, or pass its values as samples "
            "(file:...) to get the closest PSD polynomial."
        )
    return a


def _weights(c: np.ndarray, endpoint_weight: float) -> np.ndarray:
    at_end = np.abs(c - 1.0) <= _ENDPOINT_ATOL
    n_end, n_rest = int(at_end.sum()), int((~at_end).sum())
    if endpoint_weight == 0.0 or n_rest == 0:
        return np.full(c.shape, 1.0 / c.size)
    if n_end == 0:
        raise ValueError(
            f"`endpoint_weight` = {endpoint_weight} puts weight on c = 1, but no "
            "sample lies at c = 1; add that point or pass endpoint_weight=0"
        )
    return np.where(at_end, endpoint_weight / n_end, (1.0 - endpoint_weight) / n_rest)


def fit_psd_polynomial(
    c, values, degree: int, *, endpoint_weight: float = 0.1
) -> np.ndarray:
    """Weighted least-squares polynomial fit with non-negative coefficients.

    Solves

    .. math::

        \\min_{a \\ge 0} \\sum_i w_i \\Big(\\sum_{k=0}^{D} a_k c_i^k - K_i\\Big)^2

    with scipy's bounded least squares (``lsq_linear``, method ``bvls``). The
    weights put the fraction ``endpoint_weight`` of the total on the samples at
    c = 1 and share the rest equally among the others; the original code
    repeated the point c = 1 to the same effect. Columns are scaled to unit norm
    before solving; the monomial basis is still ill-conditioned at high degree
    (condition number roughly 3^D on [-1, 1]), so above degree ~30 expect
    coefficients that are individually unstable although the fit is good.

    Args:
        c: sample cosines in [-1, 1], shape (n,).
        values: target values K(c_i), shape (n,).
        degree: polynomial degree D >= 0; needs n >= D + 1 distinct points.
        endpoint_weight: fraction of the total weight on c = 1, in [0, 1).

    Returns:
        a_0..a_D, float64, all >= 0.

    Raises:
        ValueError: on bad shapes, non-finite data, too few points, or
            ``endpoint_weight`` out of range or with no sample at c = 1.
    """
    c = np.asarray(c, dtype=np.float64).ravel()
    y = np.asarray(values, dtype=np.float64).ravel()
    if (
        isinstance(degree, bool)
        or not isinstance(degree, int | np.integer)
        or degree < 0
    ):
        raise ValueError(f"`degree` must be an integer >= 0; got {degree!r}")
    if c.shape != y.shape:
        raise ValueError(
            f"`c` and `values` must match; got {c.size} and {y.size} points"
        )
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(y))):
        raise ValueError("`c` and `values` must be finite; got NaN or inf")
    n_distinct = np.unique(c).size
    if n_distinct < degree + 1:
        raise ValueError(
            f"`degree` = {degree} needs at least {degree + 1} distinct sample points; "
            f"got {n_distinct}"
        )
    if not 0.0 <= endpoint_weight < 1.0:
        raise ValueError(
            f"`endpoint_weight` must lie in [0, 1); got {endpoint_weight!r}"
        )
    sqrt_w = np.sqrt(_weights(c, float(endpoint_weight)))
    design = np.vander(c, degree + 1, increasing=True) * sqrt_w[:, None]
    norms = np.linalg.norm(design, axis=0)
    norms[norms == 0.0] = 1.0
    result = lsq_linear(
        design / norms, y * sqrt_w, bounds=(0.0, np.inf), method="bvls", tol=1e-14
    )
    return np.maximum(result.x / norms, 0.0)
