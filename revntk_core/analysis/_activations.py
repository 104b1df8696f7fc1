"""Evaluating the designed activations phi(z) stored in a ``designs`` row.

A design row carries its activation three ways: as JSON (the activation value
of :mod:`revntk_core.kernels`), as monomial coefficients (phi in powers of z)
and as Hermite coefficients b_k. The JSON is preferred because it is the only
form that also holds non-polynomial activations (the ansatz phi~ of SPEC
eq. 19); the other two are fallbacks for rows written without it, so a plot
never depends on one column alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

_ANSATZ_SIZE = 7  # alpha, beta, gamma, delta, epsilon, zeta, eta of eq. 19


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0), the reference activation of Figure 2."""
    return np.maximum(np.asarray(z, float), 0.0)


def hermite_series(coeffs: Any, z: np.ndarray) -> np.ndarray:
    """sum_k b_k h_k(z) with normalised probabilist's Hermite polynomials.

    Uses the recurrence h_k = (z h_{k-1} - sqrt(k-1) h_{k-2}) / sqrt(k), which
    stays bounded for the degrees a design uses.

    Args:
      coeffs: b_0..b_n, shape ``(n+1,)``.
      z: points, any shape.
    """
    z = np.asarray(z, float)
    b = np.asarray(coeffs, float)
    out = np.zeros_like(z)
    h_prev, h = np.zeros_like(z), np.ones_like(z)
    for k, bk in enumerate(b):
        if k > 0:
            h_prev, h = h, (z * h - math.sqrt(k - 1) * h_prev) / math.sqrt(k)
        out = out + bk * h
    return out


def ansatz(params: Any, z: np.ndarray) -> np.ndarray:
    """phi~(z) = alpha ReLU(z - beta) + gamma cos(delta z + epsilon) + zeta z + eta.

    The ansatz of SPEC eq. 19, with ``params = (alpha, beta, gamma, delta,
    epsilon, zeta, eta)``.

    Raises:
      ValueError: if ``params`` does not hold 7 numbers.
    """
    p = np.asarray(params, float).ravel()
    if p.size != _ANSATZ_SIZE:
        raise ValueError(
            f"`params` must hold the {_ANSATZ_SIZE} ansatz parameters "
            f"(alpha..eta), got {p.size} values."
        )
    alpha, beta, gamma, delta, epsilon, zeta, eta = p
    z = np.asarray(z, float)
    return alpha * relu(z - beta) + gamma * np.cos(delta * z + epsilon) + zeta * z + eta


def _nonempty(value: Any) -> bool:
    if value is None:
        return False
    try:
        return len(value) > 0
    except TypeError:
        return False


def _from_json(text: Any, z: np.ndarray) -> np.ndarray | None:
    """phi(z) through :func:`revntk_core.kernels.activation_from_dict`.

    Returns ``None`` when the JSON is absent, the kernels package does not
    provide the function, or the activation it builds is not callable on an
    array: the caller then falls back to the coefficient columns.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        from revntk_core.kernels import activation_from_dict
    except ImportError:
        return None
    try:
        activation = activation_from_dict(json.loads(text))
        values = np.asarray(activation(z), float)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    return values if values.shape == np.shape(z) else None


def design_activation(row: Mapping[str, Any], z: np.ndarray) -> np.ndarray | None:
    """phi(z) of one ``designs`` row, or ``None`` if the row does not define it.

    Tries, in order: the ``activation`` JSON; the 7 ``ansatz`` parameters;
    ``monomial_coeffs`` (phi = sum_j m_j z^j); ``hermite_coeffs``.

    Args:
      row: a row of the ``designs`` table as a mapping (e.g. ``Series``).
      z: pre-activation values.
    """
    z = np.asarray(z, float)
    values = _from_json(row.get("activation"), z)
    if values is not None:
        return values
    params = row.get("ansatz")
    if _nonempty(params) and len(params) == _ANSATZ_SIZE:
        return ansatz(params, z)
    monomial = row.get("monomial_coeffs")
    if _nonempty(monomial):
        return np.polynomial.polynomial.polyval(z, np.asarray(monomial, float))
    hermite = row.get("hermite_coeffs")
    if _nonempty(hermite):
        return hermite_series(hermite, z)
    return None
