"""Fit the ansatz phi~ so that its exact 1HL NTK matches a target kernel (SPEC E2).

The ansatz (eq. 19) is

.. math::

    \\tilde\\phi(z) = \\alpha\\, \\mathrm{ReLU}(z - \\beta)
        + \\gamma \\cos(\\delta z + \\epsilon) + \\zeta z + \\eta,

and the fit minimises, by Nelder-Mead over the 7 parameters,

.. math::

    L(\\theta) = \\sum_i \\big(K^{\\mathrm{ntk}}_{\\tilde\\phi_\\theta}(c_i)
        - K_{\\mathrm{target}}(c_i)\\big)^2,

with the exact 1HL NTK of phi~ at sigma_w = 1, sigma_b = 0
(:func:`revntk_core.kernels.ntk_1hl`). The original fitted against empirical
kernels of finite nets on a GPU; the exact kernel makes this a CPU job of
seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from revntk_core.design._reverse import default_grid
from revntk_core.design._targets import Target
from revntk_core.kernels import PAPER_ANSATZ, Ansatz, ntk_1hl

__all__ = ["ANSATZ_PARAMS", "AnsatzFit", "ansatz_objective", "fit_ansatz"]

#: The ansatz parameters, in the order of eq. 19.
ANSATZ_PARAMS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta")
# Fit grid size: the 100 cosines of the SPEC E1 inputs, c = cos t.
_DEFAULT_N_GRID = 100
# Nelder-Mead budget: enough to converge from the paper's parameters in ~10 s
# on one core; raise it (with max_seconds) for a search from a poor start.
_DEFAULT_MAXITER = 2000
_DEFAULT_MAX_SECONDS = 50.0
# Objective value for parameters whose kernel is not finite (overflowing cos or
# ReLU shifts); large but finite so the simplex moves away from them.
_BAD_OBJECTIVE = 1e300


@dataclass(frozen=True)
class AnsatzFit:
    """The result of :func:`fit_ansatz`.

    Attributes:
        ansatz: the fitted :class:`revntk_core.kernels.Ansatz`.
        objective: summed squared error of the fitted ansatz on the grid.
        initial_objective: the same for the starting ansatz.
        max_error: max |K_ansatz - K_target| on the grid after fitting.
        n_evals: objective evaluations used.
        seconds: wall time of the fit.
        stopped_by: ``"converged"``, ``"maxiter"`` or ``"time"``.
    """

    ansatz: Ansatz
    objective: float
    initial_objective: float
    max_error: float
    n_evals: int
    seconds: float
    stopped_by: str

    def to_dict(self) -> dict:
        return {
            "ansatz": self.ansatz.to_dict(),
            "objective": self.objective,
            "initial_objective": self.initial_objective,
            "max_error": self.max_error,
            "n_evals": self.n_evals,
            "seconds": self.seconds,
            "stopped_by": self.stopped_by,
        }


def _params(ansatz: Ansatz) -> np.ndarray:
    return np.array([float(getattr(ansatz, name)) for name in ANSATZ_PARAMS])


def _make(params: np.ndarray) -> Ansatz:
    return Ansatz(**{n: float(v) for n, v in zip(ANSATZ_PARAMS, params, strict=True)})


def _target_values(target_fn, c: np.ndarray) -> np.ndarray:
    evaluate = target_fn.evaluate if isinstance(target_fn, Target) else target_fn
    values = np.asarray(evaluate(c), dtype=np.float64)
    if values.shape != c.shape or not np.all(np.isfinite(values)):
        raise ValueError(
            "`target_fn` must map an array of cosines to finite values of the same "
            f"shape; got shape {values.shape} for {c.shape}"
        )
    return values


def ansatz_objective(
    ansatz: Ansatz,
    target_fn: Target | Callable[[np.ndarray], np.ndarray],
    c=None,
) -> float:
    """Summed squared error between the ansatz's exact 1HL NTK and a target.

    Args:
        ansatz: an :class:`revntk_core.kernels.Ansatz`.
        target_fn: a target kernel or a callable c -> K(c).
        c: cosines; defaults to the 100 SPEC E1 cosines.
    """
    c = default_grid(_DEFAULT_N_GRID) if c is None else np.asarray(c, np.float64)
    diff = ntk_1hl(ansatz, c, W_std=1.0, b_std=0.0) - _target_values(target_fn, c)
    return float(np.sum(diff * diff))


class _OutOfTime(Exception):
    pass


def fit_ansatz(
    target_fn: Target | Callable[[np.ndarray], np.ndarray],
    *,
    init: Ansatz | None = None,
    n_grid: int = _DEFAULT_N_GRID,
    c=None,
    maxiter: int = _DEFAULT_MAXITER,
    max_seconds: float = _DEFAULT_MAX_SECONDS,
) -> AnsatzFit:
    """Fit the 7 ansatz parameters to a target kernel by Nelder-Mead.

    Args:
        target_fn: the target kernel: a :class:`Target` or a callable
            c -> K(c) on arrays.
        init: the starting :class:`revntk_core.kernels.Ansatz`; defaults to the
            paper's fit :data:`revntk_core.kernels.PAPER_ANSATZ`.
        n_grid: number of fit cosines c = cos t, t uniform on [0, pi]
            (the SPEC E1 inputs), ignored when ``c`` is given.
        c: explicit fit cosines in [-1, 1].
        maxiter: Nelder-Mead iteration limit.
        max_seconds: wall-time budget; the best point so far is returned when
            it runs out.

    Returns:
        An :class:`AnsatzFit`; never worse than ``init`` on the grid.

    Raises:
        ValueError: if the target is not finite on the grid or an argument is
            out of range.
    """
    if maxiter < 1:
        raise ValueError(f"`maxiter` must be >= 1; got {maxiter!r}")
    if not max_seconds > 0:
        raise ValueError(f"`max_seconds` must be > 0; got {max_seconds!r}")
    c = default_grid(n_grid) if c is None else np.asarray(c, dtype=np.float64).ravel()
    if c.size == 0 or np.any(np.abs(c) > 1.0):
        raise ValueError("`c` must be a non-empty array of cosines in [-1, 1]")
    target = _target_values(target_fn, c)
    init = PAPER_ANSATZ if init is None else init
    start = time.perf_counter()
    best = {"x": _params(init), "f": np.inf}
    n_evals = 0

    def objective(x: np.ndarray) -> float:
        nonlocal n_evals
        if time.perf_counter() - start > max_seconds:
            raise _OutOfTime
        n_evals += 1
        with np.errstate(all="ignore"):
            diff = ntk_1hl(_make(x), c, W_std=1.0, b_std=0.0) - target
            value = float(np.sum(diff * diff))
        if not np.isfinite(value):
            return _BAD_OBJECTIVE
        if value < best["f"]:
            best["x"], best["f"] = np.array(x, copy=True), value
        return value

    initial = objective(best["x"])
    try:
        result = minimize(
            objective,
            best["x"],
            method="Nelder-Mead",
            options={
                "maxiter": int(maxiter),
                "maxfev": 4 * int(maxiter),
                "xatol": 1e-8,
                "fatol": 1e-14,
                "adaptive": True,
            },
        )
        stopped_by = "converged" if result.success else "maxiter"
    except _OutOfTime:
        stopped_by = "time"
    ansatz = _make(best["x"])
    resid = ntk_1hl(ansatz, c, W_std=1.0, b_std=0.0) - target
    return AnsatzFit(
        ansatz=ansatz,
        objective=float(best["f"]),
        initial_objective=float(initial),
        max_error=float(np.max(np.abs(resid))),
        n_evals=n_evals,
        seconds=time.perf_counter() - start,
        stopped_by=stopped_by,
    )
