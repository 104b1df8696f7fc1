"""2-D product quadrature for the atom pairs without a closed form.

For tanh, erf'' and higher, Hermite series, or erf against a kink:
Gauss-Hermite in the conditional variable, and in the other variable
Gauss-Hermite, or composite Gauss-Legendre split at the kink when that side
has one. Its error is below 1e-12 for these activations with q <= 4
(checked against adaptive quadrature in the tests).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sp

from revntk_core.kernels._atoms import _Atom
from revntk_core.kernels._normal import _pdf

# Quadrature of the generic path: Gauss-Hermite nodes per dimension (at least
# degree + 2 for a Hermite series, which makes it exact), Gauss-Legendre order
# per unit-width panel on kinked sides, and the half-width in standard
# deviations (exp(-14^2/2) ~ 1e-43) beyond sqrt(4 degree + 2).
_N_GAUSS_HERMITE = 120
_MAX_GAUSS_HERMITE = 600
_PANEL_ORDER = 20
_TAIL = 14.0
_CHUNK = 2_000_000  # elements per temporary array of the quadrature


def _quad_pair(a: _Atom, b: _Atom, q1: Any, q2: Any, q12: Any) -> np.ndarray:
    """E[a(z1) b(z2)] by product quadrature; the kinked side (if any) is outer.

    z1 = sqrt(q1) x and z2 = sqrt(q2) (rho x + sqrt(1 - rho^2) y), x, y
    independent standard normal; y by Gauss-Hermite, x by Gauss-Hermite or,
    when a has a kink, composite Gauss-Legendre split at it.
    """
    if b.kinks and a.kinks:
        raise NotImplementedError(f"no quadrature for two kinked atoms {a}, {b}")
    if b.kinks:
        a, b, q1, q2 = b, a, q2, q1
    degree = max(a.degree, b.degree)
    q1, q2, q12 = np.broadcast_arrays(q1, q2, q12)
    out = np.empty(q12.shape, dtype=complex)
    for qo in np.unique(q1):
        sel = q1 == qo
        so = math.sqrt(qo)
        # Gauss-Hermite error falls like exp(-const sqrt(n / q)) for functions
        # analytic in a strip (tanh), so the node count grows with the variance.
        scale = max(1.0, qo, float(np.max(q2[sel])))
        n_gh = max(
            min(_MAX_GAUSS_HERMITE, math.ceil(_N_GAUSS_HERMITE * scale)), degree + 2
        )
        y, wy = sp.roots_hermitenorm(n_gh)
        wy = wy / math.sqrt(2.0 * math.pi)
        x, wx = _outer_nodes(a.kinks, so, degree, n_gh, scale)
        fo = wx * a(so * x)
        rho = np.clip(q12[sel] / (so * np.sqrt(q2[sel])), -1.0, 1.0)
        s = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
        si = np.sqrt(q2[sel])
        vals = np.empty(rho.shape, dtype=complex)
        step = max(1, _CHUNK // (x.size * y.size))
        for i in range(0, rho.size, step):
            r = rho[i : i + step, None, None]
            zi = si[i : i + step, None, None] * (
                r * x[None, :, None] + s[i : i + step, None, None] * y[None, None, :]
            )
            vals[i : i + step] = (b(zi) @ wy) @ fo
        out[sel] = vals
    return out


def _outer_nodes(
    kinks: tuple[float, ...], so: float, degree: int, n_gh: int, scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal nodes and weights (density included) for the outer x."""
    if not kinks:
        x, w = sp.roots_hermitenorm(n_gh)
        return x, w / math.sqrt(2.0 * math.pi)
    half = _TAIL + math.sqrt(4.0 * degree + 2.0)
    cuts = sorted({k / so for k in kinks if -half < k / so < half})
    edges = [-half, *cuts, half]
    g, gw = np.polynomial.legendre.leggauss(_PANEL_ORDER)
    xs, ws = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        grid = np.linspace(lo, hi, max(1, math.ceil((hi - lo) * math.sqrt(scale))) + 1)
        mid, rad = 0.5 * (grid[1:] + grid[:-1]), 0.5 * (grid[1:] - grid[:-1])
        xs.append((mid[:, None] + rad[:, None] * g).ravel())
        ws.append((rad[:, None] * gw).ravel())
    x = np.concatenate(xs)
    return x, np.concatenate(ws) * _pdf(x)
