"""Kernel reverse engineering (Theorem 3.1): from a target kernel to an activation.

For a 1HL FCN with sigma_w = 1, sigma_b = 0 and phi = sum_k b_k h_k
(normalised Hermite basis), eqs. 13-14 give

.. math::

    K_{\\mathrm{nngp}}(c) = \\sum_k b_k^2 c^k, \\qquad
    K_{\\mathrm{ntk}}(c) = \\sum_k (1 + k)\\, b_k^2 c^k,

so a PSD target K(c) = sum_k a_k c^k is realised by b_k = s_k sqrt(a_k) (NNGP)
or b_k = s_k sqrt(a_k / (1 + k)) (NTK), for any signs s_k = +-1, and by no other
activation in that setting. The signs leave the infinite-width kernel unchanged
but not the finite-width fluctuations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from revntk_core.design._fit import check_psd, fit_psd_polynomial
from revntk_core.design._targets import Target
from revntk_core.kernels import HermiteSeries, hermite_to_monomial

__all__ = [
    "Design",
    "activation_for_kernel",
    "design",
    "kernel_derivative",
    "resolve_signs",
    "default_grid",
    "PAPER_SIGNS",
]

#: The sign pattern the paper used on h_0..h_5, (+, +, -, -, +, +). The
#: "paper" policy repeats its period-4 pattern (+, +, -, -) beyond h_5.
PAPER_SIGNS = (1, 1, -1, -1, 1, 1)
_SIGN_POLICIES = ("positive", "paper")
# Fit grid: the cosines of 100 points sqrt(2)(cos t, sin t), t uniform on
# [0, pi], against the first (SPEC E1); includes c = 1 and c = -1.
_DEFAULT_N_GRID = 100
# Dense grid for the reported max error on [-1, 1]; 4001 points resolve the
# fit residual of a degree-5 polynomial to well below its size.
_N_ERROR_GRID = 4001
# Known power series are checked for negative coefficients up to at least this
# degree, so a closed form that is not PSD fails even if its first D terms pass.
_N_PSD_CHECK = 30


def default_grid(n: int = _DEFAULT_N_GRID) -> np.ndarray:
    """Cosines c = cos t for t uniform on [0, pi], n points, from 1 to -1."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"`n_grid` must be an integer >= 2; got {n!r}")
    return np.cos(np.linspace(0.0, np.pi, int(n)))


def resolve_signs(
    signs: str | Sequence[int] | Callable[[int], int], n: int
) -> np.ndarray:
    """Turn a sign specification into n signs s_0..s_{n-1}, each +1 or -1.

    Args:
        signs: ``"positive"`` (all +1), ``"paper"`` ((+, +, -, -) repeated, the
            paper's (+, +, -, -, +, +) on h_0..h_5), a string of ``+``/``-``
            characters such as ``"++--++"``, a sequence of +-1, or a callable
            ``k -> +-1``. Strings and sequences must cover all n terms.
        n: number of Hermite terms (degree + 1).

    Raises:
        ValueError: for an unknown policy, characters other than + and -, values
            other than +-1, or too few signs.
    """
    if callable(signs):
        out = [signs(k) for k in range(n)]
    elif isinstance(signs, str):
        text = signs.strip().lower()
        if text == "positive":
            out = [1] * n
        elif text == "paper":
            out = [(1, 1, -1, -1)[k % 4] for k in range(n)]
        elif text and set(text) <= {"+", "-"}:
            out = [1 if ch == "+" else -1 for ch in text]
        else:
            raise ValueError(
                f"`signs` must be 'positive', 'paper' or a string of + and - "
                f"(e.g. '++--++'); got {signs!r}"
            )
    elif isinstance(signs, Sequence | np.ndarray):
        out = list(np.asarray(signs).ravel())
    else:
        raise TypeError(
            f"`signs` must be a policy name, a +-1 sequence or a callable; "
            f"got {type(signs).__name__}"
        )
    if len(out) < n:
        raise ValueError(
            f"`signs` gives {len(out)} signs but {n} Hermite terms (degree "
            f"{n - 1}) need one each; got {signs!r}"
        )
    arr = np.asarray(out[:n], dtype=np.float64)
    if not np.all(np.abs(arr) == 1.0):
        raise ValueError(f"`signs` must all be +1 or -1; got {out[:n]!r}")
    return arr


def activation_for_kernel(
    coeffs,
    *,
    kind: str = "ntk",
    signs: str | Sequence[int] | Callable[[int], int] = "positive",
) -> HermiteSeries:
    """The 1HL activation whose kernel is sum_k a_k c^k (Theorem 3.1).

    With sigma_w = 1, sigma_b = 0, the NNGP of phi = sum_k s_k sqrt(a_k) h_k and
    the NTK of phi = sum_k s_k sqrt(a_k / (1 + k)) h_k are both
    K(c) = sum_k a_k c^k.

    Args:
        coeffs: a_0..a_D, all >= 0.
        kind: ``"ntk"`` or ``"nngp"``: which kernel of the net should be K.
        signs: the signs s_k; see :func:`resolve_signs`.

    Returns:
        A :class:`revntk_core.kernels.HermiteSeries` with coefficients b_k.

    Raises:
        NotPSDError: if a coefficient is negative (no activation exists).
        ValueError: for a bad ``kind`` or ``signs``.

    Example:
        >>> phi = activation_for_kernel([0.0, 1.0, 1.0], kind="nngp")
        >>> [round(float(b), 12) for b in phi.coeffs]
        [0.0, 1.0, 1.0]
    """
    a = check_psd(coeffs, name="kernel")
    if kind not in ("ntk", "nngp"):
        raise ValueError(f"`kind` must be 'ntk' or 'nngp'; got {kind!r}")
    s = resolve_signs(signs, a.size)
    scale = 1.0 + np.arange(a.size) if kind == "ntk" else np.ones(a.size)
    # Adding 0.0 turns the -0.0 of a zero coefficient with sign -1 into 0.0.
    return HermiteSeries(tuple((s * np.sqrt(a / scale) + 0.0).tolist()))


def kernel_derivative(coeffs, *, W_std: float = 1.0) -> np.ndarray:
    """Power-series coefficients of sigma_w^-2 K'(c) (Corollary 3.2a).

    If phi has NNGP K (sigma_b = 0), then phi' has NNGP sigma_w^-2 K'. Note
    that this holds for the NNGP; the NTK of phi' is not the derivative of the
    NTK of phi.
    """
    a = np.asarray(coeffs, dtype=np.float64).ravel()
    return (np.arange(1, a.size) * a[1:]) / W_std**2 if a.size > 1 else np.zeros(1)


@dataclass(frozen=True)
class Design:
    """An activation designed for a target kernel, with its fit.

    Attributes:
        target: the target's name (text that ``parse_target`` reads back).
        kind: ``"ntk"`` or ``"nngp"``.
        degree: fit degree D.
        signs: s_0..s_D.
        fit_coeffs: a_0..a_D >= 0 of the fitted kernel sum_k a_k c^k.
        hermite_coeffs: b_0..b_D of phi = sum_k b_k h_k.
        monomial_coeffs: phi as a polynomial in z, coefficients of z^0..z^D.
        activation: the :class:`revntk_core.kernels.HermiteSeries`.
        max_error: max |fit - target| on [-1, 1] (on the samples for sampled
            targets, else on a 4001-point grid).
        exact: True when the target is a polynomial of degree <= D, so the fit
            is the target's own coefficients.
        target_dict: the target's ``to_dict()``.
    """

    target: str
    kind: str
    degree: int
    signs: tuple[int, ...]
    fit_coeffs: tuple[float, ...]
    hermite_coeffs: tuple[float, ...]
    monomial_coeffs: tuple[float, ...]
    activation: HermiteSeries = field(repr=False)
    max_error: float
    exact: bool
    endpoint_weight: float
    target_dict: dict = field(repr=False, compare=False, default_factory=dict)

    def fitted_kernel(self, c) -> np.ndarray:
        """The fitted polynomial sum_k a_k c^k at c."""
        return np.polynomial.polynomial.polyval(
            np.asarray(c, dtype=np.float64), np.asarray(self.fit_coeffs)
        )

    def to_dict(self) -> dict:
        return {
            "target": self.target,
            "target_spec": self.target_dict,
            "kind": self.kind,
            "degree": self.degree,
            "signs": list(self.signs),
            "endpoint_weight": self.endpoint_weight,
            "exact": self.exact,
            "fit_coeffs": list(self.fit_coeffs),
            "hermite_coeffs": list(self.hermite_coeffs),
            "monomial_coeffs": list(self.monomial_coeffs),
            "max_error": self.max_error,
            "activation": self.activation.to_dict(),
        }


def design(
    target: Target,
    *,
    degree: int = 5,
    kind: str = "ntk",
    signs: str | Sequence[int] | Callable[[int], int] = "paper",
    endpoint_weight: float = 0.1,
    n_grid: int = _DEFAULT_N_GRID,
) -> Design:
    """Design a 1HL activation whose NTK (or NNGP) approximates a target kernel.

    A target that is exactly a polynomial of degree <= ``degree`` keeps its own
    coefficients. Any other target is fitted by :func:`fit_psd_polynomial` on
    its sample points (sampled targets) or on ``n_grid`` cosines c = cos t, t
    uniform on [0, pi]. Where the target's power series is known (closed forms)
    its first ``degree`` + 1 coefficients are checked for PSD first, so a
    non-PSD target fails loudly instead of being silently approximated. Then
    Theorem 3.1 gives the activation.

    Args:
        target: a target kernel (see :func:`parse_target`).
        degree: degree D of the fitted polynomial and of phi.
        kind: ``"ntk"`` or ``"nngp"``.
        signs: sign policy or vector for h_0..h_D (see :func:`resolve_signs`).
        endpoint_weight: fraction of the fit weight on c = 1 (0.1 in SPEC E1).
        n_grid: number of fit cosines for non-sampled targets.

    Returns:
        A :class:`Design`.

    Raises:
        NotPSDError: for a target with a known negative coefficient.
        ValueError: for bad arguments or too few sample points.
    """
    if not isinstance(target, Target):
        raise TypeError(
            f"`target` must be a target kernel (see parse_target); "
            f"got {type(target).__name__}"
        )
    if (
        isinstance(degree, bool)
        or not isinstance(degree, int | np.integer)
        or degree < 0
    ):
        raise ValueError(f"`degree` must be an integer >= 0; got {degree!r}")
    if kind not in ("ntk", "nngp"):
        raise ValueError(f"`kind` must be 'ntk' or 'nngp'; got {kind!r}")
    sign_vec = resolve_signs(signs, degree + 1)
    poly_deg = target.polynomial_degree
    exact = target.exact_coeffs(max(degree, poly_deg or 0, _N_PSD_CHECK))
    if exact is not None:
        check_psd(exact, name=target.name)
    if exact is not None and poly_deg is not None and poly_deg <= degree:
        fit = exact[: degree + 1].copy()
        is_exact = True
    else:
        points = target.sample_points
        c = default_grid(n_grid) if points is None else points
        if points is not None and np.unique(points).size < degree + 1:
            raise ValueError(
                f"target {target.name} has {np.unique(points).size} distinct points; "
                f"a degree-{degree} fit needs at least {degree + 1}"
            )
        fit = fit_psd_polynomial(
            c, target.evaluate(c), degree, endpoint_weight=endpoint_weight
        )
        is_exact = False
    phi = activation_for_kernel(fit, kind=kind, signs=sign_vec)
    points = target.sample_points
    c_err = points if points is not None else np.linspace(-1.0, 1.0, _N_ERROR_GRID)
    residual = np.polynomial.polynomial.polyval(c_err, fit) - target.evaluate(c_err)
    b = np.asarray(phi.coeffs, dtype=np.float64)
    return Design(
        target=target.name,
        kind=kind,
        degree=int(degree),
        signs=tuple(int(s) for s in sign_vec),
        fit_coeffs=tuple(fit.tolist()),
        hermite_coeffs=tuple(b.tolist()),
        monomial_coeffs=tuple(np.asarray(hermite_to_monomial(b), float).tolist()),
        activation=phi,
        max_error=float(np.max(np.abs(residual))),
        exact=is_exact,
        endpoint_weight=float(endpoint_weight),
        target_dict=target.to_dict(),
    )
