"""Exact infinite-width kernels of one-hidden-layer (1HL) networks.

Everything here is NumPy float64, whatever JAX's x64 flag says.

**Method.** The dual activation (SPEC eq. 5)

.. math::

    \\tau_{\\phi,\\psi}(q_1, q_2, q_{12}) = \\mathbb{E}[\\phi(z_1)\\,\\psi(z_2)],
    \\quad (z_1, z_2) \\sim N\\Big(0, \\begin{pmatrix} q_1 & q_{12} \\\\
    q_{12} & q_2 \\end{pmatrix}\\Big)

is bilinear in (phi, psi). Each activation is split into *atoms* (constant,
z, (z - b)_+, 1[z > b], exp(-p z^2 + w z) with complex w, which covers sin,
cos, exp and erf', erf, and "generic" smooth functions such as tanh or a
Hermite series), and tau is the sum over pairs of atoms. Almost every pair
has a closed form, exact at every correlation including rho = +-1:

- arc-cosine kernels for (z)_+ and 1[z > 0], and for shifted kinks the
  bivariate-normal orthant probability through Owen's T function with the
  truncated-moment formulas of Rosenbaum (1961);
- Gaussian integrals of exp(-p z^2 + w z) pairs, Stein's lemma for z;
- a Cameron-Martin shift, E[f(z1) e^{w z2}] = e^{w^2 q2/2} E[f(z1 + w q12)],
  with the complex normal CDF (through ``erfcx``) for kink x sin/cos/exp;
- (2/pi) arcsin for erf x erf.

The remaining pairs (tanh, erf'' and higher, Hermite series, or erf against a
kink) use a 2-D product quadrature: Gauss-Hermite in the conditional variable,
and in the other variable Gauss-Hermite, or composite Gauss-Legendre split at
the kink when that side has one. Its error is below 1e-12 for the activations
above with q <= 4 (checked against adaptive quadrature in the tests).

The atoms are in ``_atoms``, the closed forms in ``_pairs`` (normal-CDF
helpers in ``_normal``) and the quadrature in ``_quadrature``; this module
sums over pairs and maps covariances to the NNGP and NTK.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from revntk_core.kernels._atoms import _atoms
from revntk_core.kernels._base import Activation
from revntk_core.kernels._pairs import _pair

__all__ = ["kernels_1hl", "nngp_1hl", "ntk_1hl", "tau"]


def _tau_cov(
    phi: Activation, psi: Activation, q1: Any, q2: Any, q12: Any
) -> np.ndarray:
    """E[phi(z1) psi(z2)] for covariance [[q1, q12], [q12, q2]] (broadcast)."""
    q1, q2, q12 = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (q1, q2, q12))
    )
    atoms_a, atoms_b = _atoms(phi), _atoms(psi)
    symmetric = phi == psi and np.array_equal(q1, q2)
    total = np.zeros(q12.shape, dtype=complex)
    list_b = list(atoms_b.items())
    for i, (ta, ca) in enumerate(atoms_a.items()):
        for j, (tb, cb) in enumerate(list_b):
            if symmetric and j < i:
                continue
            weight = ca * cb * (2.0 if symmetric and j > i else 1.0)
            total += weight * _pair(ta, tb, q1, q2, q12)
    return np.ascontiguousarray(total.real)


def _as_cosines(c: Any) -> np.ndarray:
    c = np.asarray(c, dtype=np.float64)
    if not np.all(np.isfinite(c)):
        raise ValueError("`c` must be finite cosines in [-1, 1]; got NaN or inf")
    if np.any(np.abs(c) > 1.0 + 1e-6):
        raise ValueError(
            f"`c` must be cosines in [-1, 1]; got values up to {np.abs(c).max()!r}"
        )
    return np.clip(c, -1.0, 1.0)


def _check_scales(W_std: float, b_std: float) -> tuple[float, float]:
    if not W_std > 0 or not math.isfinite(W_std):
        raise ValueError(f"`W_std` must be a finite number > 0; got {W_std!r}")
    if not b_std >= 0 or not math.isfinite(b_std):
        raise ValueError(f"`b_std` must be a finite number >= 0; got {b_std!r}")
    return float(W_std), float(b_std)


def tau(
    activation: Activation,
    c: Any,
    var: float = 1.0,
    other: Activation | None = None,
) -> np.ndarray:
    """Dual activation tau (SPEC eq. 5), exact, NumPy float64.

    .. math::

        \\tau_{\\phi,\\psi}(c; s^2) = \\mathbb{E}[\\phi(z_1)\\,\\psi(z_2)],\\quad
        z_i \\sim N(0, s^2),\\ \\mathrm{corr}(z_1, z_2) = c.

    With ``other=None`` psi = phi (SPEC eq. 5 proper). Identity (6),
    tau_{phi'}(c; s^2) = s^{-2} d tau_phi / dc, holds for the values returned.

    Args:
        activation: phi.
        c: correlations, any shape; clipped to [-1, 1] (values more than 1e-6
            outside raise).
        var: s^2 > 0, the common variance of z_1 and z_2.
        other: psi, defaults to phi.

    Returns:
        float64 array shaped like ``c``.

    Raises:
        ValueError: for non-finite ``c``, |c| > 1 + 1e-6 or ``var`` <= 0.

    Example:
        >>> from revntk_core.kernels import Relu
        >>> float(tau(Relu(), 1.0))  # E[relu(z)^2] = 1/2
        0.5
    """
    c = _as_cosines(c)
    if not var > 0 or not math.isfinite(var):
        raise ValueError(f"`var` must be a finite number > 0; got {var!r}")
    psi = activation if other is None else other
    return _tau_cov(activation, psi, var, var, var * c)


def nngp_1hl(
    activation: Activation, c: Any, *, W_std: float = 1.0, b_std: float = 0.0
) -> np.ndarray:
    """NNGP kernel of a 1HL net (SPEC eq. 7), readout sigma_w = 1, sigma_b = 0.

    .. math::

        q = \\sigma_w^2 + \\sigma_b^2,\\quad
        u(c) = (\\sigma_w^2 c + \\sigma_b^2)/q,\\quad
        K_{nngp}(c) = \\tau_\\phi(u(c); q).

    ``W_std``, ``b_std`` (sigma_w, sigma_b) scale the hidden layer; the readout
    has sigma_w = 1, sigma_b = 0, matching
    ``stax.serial(Dense(., W_std, b_std), phi, Dense(., 1., 0.))``. SPEC eq. 7
    writes sigma_w^2 tau + sigma_b^2, the same map with the readout scaled by
    (sigma_w, sigma_b) (the layer map of SPEC eq. 42); both agree at
    sigma_w = 1, sigma_b = 0.

    Args:
        activation: phi.
        c: cosines of normalised inputs (|x| = sqrt(d_in)), any shape.
        W_std: sigma_w > 0 of the hidden layer.
        b_std: sigma_b >= 0 of the hidden layer.

    Returns:
        float64 array shaped like ``c``.
    """
    W_std, b_std = _check_scales(W_std, b_std)
    c = _as_cosines(c)
    q = W_std**2 + b_std**2
    return tau(activation, (W_std**2 * c + b_std**2) / q, q)


def ntk_1hl(
    activation: Activation, c: Any, *, W_std: float = 1.0, b_std: float = 0.0
) -> np.ndarray:
    """NTK of a 1HL net (SPEC eq. 8), readout sigma_w = 1, sigma_b = 0.

    .. math::

        K_{ntk}(c) = K_{nngp}(c) + (\\sigma_w^2 c + \\sigma_b^2)\\,
        \\tau_{\\phi'}(u(c); q),

    with q, u as in :func:`nngp_1hl`. At sigma_w = 1, sigma_b = 0 this is
    (1 + c d/dc) tau_phi(c) (SPEC eq. 14). Exact for every activation whose
    derivative is an activation value (not :class:`Step`).

    Args:
        activation: phi.
        c: cosines, any shape.
        W_std: sigma_w > 0 of the hidden layer.
        b_std: sigma_b >= 0 of the hidden layer.

    Returns:
        float64 array shaped like ``c``.

    Example:
        >>> from revntk_core.kernels import Relu
        >>> float(ntk_1hl(Relu(), 1.0))  # (1/2pi)(0 + 2 pi)
        1.0
    """
    W_std, b_std = _check_scales(W_std, b_std)
    c = _as_cosines(c)
    q = W_std**2 + b_std**2
    u = (W_std**2 * c + b_std**2) / q
    theta0 = W_std**2 * c + b_std**2
    return tau(activation, u, q) + theta0 * tau(activation.derivative(), u, q)


def kernels_1hl(
    activation: Activation,
    x1: Any,
    x2: Any | None = None,
    *,
    W_std: float = 1.0,
    b_std: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """1HL NNGP and NTK Gram matrices on data, any input norms.

    Pre-activation covariances (first layer, NTK parameterisation, fan-in d):

    .. math::

        q_{12} = \\sigma_w^2\\, x_1\\cdot x_2 / d + \\sigma_b^2,\\quad
        K_{nngp} = \\tau_\\phi(q_{11}, q_{22}, q_{12}),\\quad
        K_{ntk} = K_{nngp} + q_{12}\\,\\tau_{\\phi'}(q_{11}, q_{22}, q_{12}),

    the bivariate form of SPEC eqs. 7-8 with per-pair variances; no
    normalisation of the inputs is assumed. Readout sigma_w = 1, sigma_b = 0.

    Args:
        x1: inputs, shape ``(n1, d)``.
        x2: inputs, shape ``(n2, d)``; defaults to ``x1``.
        W_std: sigma_w > 0.
        b_std: sigma_b >= 0.

    Returns:
        ``(nngp, ntk)``, each float64 of shape ``(n1, n2)``.

    Raises:
        ValueError: for shapes that are not 2-D with equal d, or an input of
            zero pre-activation variance (zero vector with ``b_std`` = 0).
    """
    W_std, b_std = _check_scales(W_std, b_std)
    x1 = np.asarray(x1, dtype=np.float64)
    x2 = x1 if x2 is None else np.asarray(x2, dtype=np.float64)
    if x1.ndim != 2 or x2.ndim != 2 or x1.shape[1] != x2.shape[1]:
        raise ValueError(
            "`x1`, `x2` must be 2-D (n, d) with the same d; "
            f"got shapes {x1.shape} and {x2.shape}"
        )
    d = x1.shape[1]
    q1 = (W_std**2 * np.sum(x1 * x1, axis=1) / d + b_std**2)[:, None]
    q2 = (W_std**2 * np.sum(x2 * x2, axis=1) / d + b_std**2)[None, :]
    if np.any(q1 <= 0) or np.any(q2 <= 0):
        raise ValueError(
            "`x1`/`x2` contain a zero row with `b_std` = 0: its pre-activation "
            "variance is 0; remove it or use b_std > 0"
        )
    q12 = W_std**2 * (x1 @ x2.T) / d + b_std**2
    bound = np.sqrt(q1 * q2)
    q12 = np.clip(q12, -bound, bound)
    nngp = _tau_cov(activation, activation, q1, q2, q12)
    ntk = nngp + q12 * _tau_cov(
        activation.derivative(), activation.derivative(), q1, q2, q12
    )
    return nngp, ntk
