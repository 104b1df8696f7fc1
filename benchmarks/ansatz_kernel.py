"""Exact 1HL NTK of the paper's ansatz phi~ against neural-tangents' numerics.

Times :func:`revntk_core.kernels.ntk_1hl` on 100 values of c (closed forms,
no quadrature) against ``stax.ElementwiseNumerical(phi~, deg)`` (Gauss-Hermite
quadrature of degree ``deg`` in each of the two Gaussian variables) at several
degrees, and reports the time and the max relative error of each:

- errors on all 100 c are against the exact values, which the tests check to
  1e-8 against nested adaptive quadrature;
- the exact method's own error is measured here against that nested adaptive
  quadrature (independent of the library) on a few c values.

Run: ``python -m benchmarks.ansatz_kernel`` (prints JSON).
"""

from __future__ import annotations

import json
import math
import os
import warnings
from typing import Any

import numpy as np
from scipy import integrate

from benchmarks._timing import best_time
from revntk_core.kernels import PAPER_ANSATZ, ntk_1hl

# Quadrature degrees of the numerical layer; its cost grows as deg^2 per entry.
DEFAULT_DEGREES = (25, 50, 100, 200, 400)
N_C = 100  # values of c, as in the product requirement (< 50 ms on one core)
N_SPOT = 5  # c values checked against nested adaptive quadrature


def _nested_quad_ntk(c: float) -> float:
    """E[phi phi] + c E[phi' phi'] by nested scipy quad split at the kink."""
    p = PAPER_ANSATZ

    def phi(z: float) -> float:
        return (
            p.alpha * max(z - p.beta, 0.0)
            + p.gamma * math.cos(p.delta * z + p.epsilon)
            + p.zeta * z
            + p.eta
        )

    def dphi(z: float) -> float:
        return (
            p.alpha * (z > p.beta)
            - p.gamma * p.delta * math.sin(p.delta * z + p.epsilon)
            + p.zeta
        )

    def pdf(t: float) -> float:
        return math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)

    opts = {"epsabs": 1e-14, "epsrel": 1e-13, "limit": 400}

    def tau(f: Any) -> float:
        if abs(c) == 1.0:
            pts = sorted({p.beta, c * p.beta})
            return integrate.quad(
                lambda z: f(z) * f(c * z) * pdf(z), -12, 12, points=pts, **opts
            )[0]
        s = math.sqrt(1 - c * c)

        def inner(x: float) -> float:
            cut = (p.beta - c * x) / s
            pts = [cut] if abs(cut) < 12 else None
            g = lambda y: f(c * x + s * y) * pdf(y)
            return integrate.quad(g, -12, 12, points=pts, **opts)[0]

        g = lambda x: f(x) * inner(x) * pdf(x)
        return integrate.quad(g, -12, 12, points=[p.beta], **opts)[0]

    return tau(phi) + c * tau(dphi)


def run(
    degrees: tuple[int, ...] = DEFAULT_DEGREES, repeats: int = 5, **_: Any
) -> dict[str, Any]:
    """Time both methods; return times (s), ratios and max relative errors."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import jax
    from neural_tangents import stax

    old_x64 = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Numerical Activation")
            warnings.filterwarnings("ignore", message="Using JAX autodiff")
            t = np.linspace(0.0, math.pi, N_C)
            x = math.sqrt(2.0) * np.stack([np.cos(t), np.sin(t)], axis=1)
            c = np.clip(x @ x[0] / 2.0, -1.0, 1.0)
            exact = ntk_1hl(PAPER_ANSATZ, c)
            exact_time = best_time(lambda: ntk_1hl(PAPER_ANSATZ, c), repeats * 10)

            spot_c = np.linspace(-1.0, 1.0, N_SPOT)
            spot_ref = np.array([_nested_quad_ntk(float(v)) for v in spot_c])
            exact_err = float(
                np.max(
                    np.abs(ntk_1hl(PAPER_ANSATZ, spot_c) - spot_ref) / np.abs(spot_ref)
                )
            )

            numerical = []
            for deg in degrees:
                _, _, kernel_fn = stax.serial(
                    stax.Dense(1, 1.0, 0.0),
                    stax.ElementwiseNumerical(PAPER_ANSATZ, deg=deg),
                    stax.Dense(1, 1.0, 0.0),
                )
                fn = jax.jit(lambda a, b, kf=kernel_fn: kf(a, b, "ntk"))
                xs, x0 = jax.numpy.asarray(x), jax.numpy.asarray(x[:1])
                theirs = np.asarray(fn(xs, x0).block_until_ready())[:, 0]  # compiles
                elapsed = best_time(
                    lambda f=fn, a=xs, b=x0: f(a, b).block_until_ready(), repeats
                )
                err = float(np.max(np.abs(theirs - exact) / np.abs(exact)))
                err_c1 = float(abs(theirs[0] - exact[0]) / abs(exact[0]))
                numerical.append(
                    {
                        "deg": deg,
                        "time_s": elapsed,
                        "max_rel_error": err,
                        "rel_error_at_c_1": err_c1,
                        "time_ratio_vs_exact": elapsed / exact_time,
                    }
                )
    finally:
        jax.config.update("jax_enable_x64", old_x64)
    return {
        "benchmark": "ansatz_kernel",
        "n_c": N_C,
        "exact_time_s": exact_time,
        "exact_max_rel_error_vs_nested_quad": exact_err,
        "nested_quad_c": spot_c.tolist(),
        "numerical": numerical,
        "device": str(jax.devices()[0]),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
