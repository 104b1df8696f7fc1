"""Infinite-width kernels of deep fully connected networks on normalised data.

With every input at radius sqrt(d_in) (Assumption 2.1), every FCN kernel is a
function of the cosine c alone, and every layer's pre-activations have the same
variance q_l at every input. The layer recursion (eq. 42 and its NTK partner)
then runs on scalars per value of c:

.. math::

    \\Sigma_1(c) = \\sigma_w^2 c + \\sigma_b^2, \\qquad \\Theta_1 = \\Sigma_1,

    \\Sigma_{l+1}(c) = \\sigma_w^2\\, \\tau_\\phi(\\Sigma_l(c)/q_l;\\, q_l)
        + \\sigma_b^2, \\qquad q_l = \\Sigma_l(1),

    \\Theta_{l+1}(c) = \\Sigma_{l+1}(c) + \\sigma_w^2\\,
        \\tau_{\\phi'}(\\Sigma_l(c)/q_l;\\, q_l)\\, \\Theta_l(c),

where the last step (l = depth) uses the readout scales. ReLU and erf use closed
forms with general variance; any other activation goes through
:func:`revntk_core.kernels.tau`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from revntk_core.kernels import Activation, Erf, Relu, parse_activation, tau

__all__ = ["fcn_kernels", "nt_fcn_kernels"]

_CLOSED_FORMS = ("relu", "erf")


def _relu_maps(rho: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """ReLU tau and tau of its derivative (a step) at correlation rho, variance q.

    E[relu(u) relu(v)] = q / (2 pi) (sqrt(1 - rho^2) + (pi - arccos rho) rho),
    E[step(u) step(v)] = (pi - arccos rho) / (2 pi) (arc-cosine kernels).
    """
    theta = np.arccos(rho)
    k = q / (2.0 * np.pi) * (np.sqrt(1.0 - rho * rho) + (np.pi - theta) * rho)
    kdot = (np.pi - theta) / (2.0 * np.pi)
    return k, kdot


def _erf_maps(rho: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """erf tau and tau of its derivative at correlation rho, variance q.

    With covariance s = q rho: E[erf(u) erf(v)] = (2/pi) arcsin(2 s / (1 + 2 q))
    and, by Price's theorem (its derivative in s),
    E[erf'(u) erf'(v)] = (4/pi) / sqrt((1 + 2 q)^2 - 4 s^2).
    """
    s = q * rho
    a = 1.0 + 2.0 * q
    k = (2.0 / np.pi) * np.arcsin(np.clip(2.0 * s / a, -1.0, 1.0))
    kdot = (4.0 / np.pi) / np.sqrt(a * a - 4.0 * s * s)
    return k, kdot


def _general_maps(activation: Activation) -> Callable:
    derivative = activation.derivative()

    def maps(rho: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
        k = np.asarray(tau(activation, rho, var=q), dtype=np.float64)
        kdot = np.asarray(tau(derivative, rho, var=q), dtype=np.float64)
        return k, kdot

    return maps


def _resolve(activation: str | Activation) -> str | Activation:
    """'relu' / 'erf' (closed forms) or an activation value."""
    if isinstance(activation, str):
        name = activation.strip().lower()
        if name in _CLOSED_FORMS:
            return name
        try:
            activation = parse_activation(activation)
        except ValueError as err:
            raise ValueError(
                f"`activation` must be 'relu', 'erf' or an activation the "
                f"kernels module can parse; got {activation!r} ({err})"
            ) from err
    if isinstance(activation, Relu) and activation.shift == 0.0:
        return "relu"
    if isinstance(activation, Erf) and activation.order == 0:
        return "erf"
    if not isinstance(activation, Activation):
        raise TypeError(
            "`activation` must be 'relu', 'erf', an activation name or an "
            f"Activation value; got {type(activation).__name__}"
        )
    return activation


def _layer_maps(activation: str | Activation) -> Callable:
    resolved = _resolve(activation)
    if resolved == "relu":
        return _relu_maps
    if resolved == "erf":
        return _erf_maps
    return _general_maps(resolved)


def _check_net(
    depth: int, W_std: float, b_std: float, readout_W_std: float, readout_b_std: float
) -> None:
    """Raises ValueError for a depth below 1 or a negative or non-finite scale."""
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer) or depth < 1:
        raise ValueError(f"`depth` must be an integer >= 1; got {depth!r}")
    scales = {
        "W_std": W_std,
        "b_std": b_std,
        "readout_W_std": readout_W_std,
        "readout_b_std": readout_b_std,
    }
    for name, value in scales.items():
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"`{name}` must be finite and >= 0; got {value!r}")


def _as_cosines(c) -> tuple[np.ndarray, tuple[int, ...]]:
    arr = np.asarray(c, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("`c` must be finite cosines in [-1, 1]; got NaN or inf")
    return np.clip(arr, -1.0, 1.0).ravel(), arr.shape


def fcn_kernels(
    c,
    *,
    depth: int,
    activation: str | Activation = "relu",
    W_std: float,
    b_std: float,
    readout_W_std: float = 1.0,
    readout_b_std: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """NNGP and NTK of a deep FCN on normalised inputs, as functions of c.

    Runs the layer recursion of the module docstring in float64. The network has
    ``depth`` hidden layers with scales (``W_std``, ``b_std``) = (sigma_w,
    sigma_b) and activation phi, then a linear readout with scales
    (``readout_W_std``, ``readout_b_std``); NTK parameterisation with fan-in
    scaling, as in neural-tangents' ``stax.Dense``.

    Args:
        c: cosines x1.x2 / (|x1||x2|), any shape; values a few ulps outside
            [-1, 1] are clipped.
        depth: number of hidden layers L >= 1 ("4HL" is depth 4).
        activation: ``"relu"`` or ``"erf"`` (closed forms with general
            variance), or any :class:`revntk_core.kernels.Activation` or name
            that :func:`revntk_core.kernels.parse_activation` accepts (through
            :func:`revntk_core.kernels.tau` with a variance argument).
        W_std: hidden-layer weight scale sigma_w.
        b_std: hidden-layer bias scale sigma_b.
        readout_W_std: readout weight scale (1 in the paper).
        readout_b_std: readout bias scale (0 in the paper).

    Returns:
        ``(nngp, ntk)``, float64 arrays of the shape of ``c``.

    Raises:
        ValueError: if ``depth`` < 1, a scale is negative or not finite, ``c`` is
            not finite, or ``activation`` is unknown.

    Example:
        >>> nngp, ntk = fcn_kernels([1.0], depth=1, W_std=2**0.5, b_std=0.0)
        >>> round(float(nngp[0]), 12), round(float(ntk[0]), 12)
        (1.0, 2.0)
    """
    _check_net(depth, W_std, b_std, readout_W_std, readout_b_std)
    maps = _layer_maps(activation)
    flat, shape = _as_cosines(c)
    w2, b2 = float(W_std) ** 2, float(b_std) ** 2
    # Append c = 1 so the diagonal variance q_l rides along with the recursion.
    sigma = w2 * np.append(flat, 1.0) + b2
    theta = sigma.copy()
    for layer in range(1, depth + 1):
        if layer == depth:
            w2, b2 = float(readout_W_std) ** 2, float(readout_b_std) ** 2
        q = sigma[-1]
        # q = 0 (all scales zero) leaves every pre-activation at 0: rho = 1.
        rho = np.clip(sigma / q, -1.0, 1.0) if q > 0.0 else np.ones_like(sigma)
        k, kdot = maps(rho, q)
        sigma = w2 * k + b2
        theta = sigma + w2 * kdot * theta
    return sigma[:-1].reshape(shape), theta[:-1].reshape(shape)


def nt_fcn_kernels(
    c,
    *,
    depth: int,
    activation: str | Activation = "relu",
    W_std: float,
    b_std: float,
    readout_W_std: float = 1.0,
    readout_b_std: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The same kernels as :func:`fcn_kernels`, computed by neural-tangents stax.

    Builds ``depth`` x (``Dense(1, W_std, b_std)``, phi) and a
    ``Dense(1, readout_W_std, readout_b_std)`` readout, and evaluates the
    analytic kernel between x1 = sqrt(2) (1, 0) and x2 = sqrt(2) (c, sqrt(1 -
    c^2)), which have cosine c and radius sqrt(d_in). JAX's float64 mode is
    enabled for the call only. neural-tangents and TensorFlow are imported here,
    not at module import.

    Args:
        c: cosines, any shape; clipped to [-1, 1].
        depth: number of hidden layers, >= 1.
        activation: ``"relu"`` or ``"erf"`` (stax ``Relu`` / ``Erf``), or an
            :class:`revntk_core.kernels.Activation` (stax ``ElementwiseNumerical``
            on its callable, much less accurate: for cross-checks only).
        W_std: hidden-layer weight scale sigma_w.
        b_std: hidden-layer bias scale sigma_b.
        readout_W_std: readout weight scale.
        readout_b_std: readout bias scale.

    Returns:
        ``(nngp, ntk)``, float64 arrays of the shape of ``c``.

    Raises:
        ValueError: as :func:`fcn_kernels`.
        ImportError: if neural-tangents is not installed (``pip install
            revntk[full]``).
    """
    _check_net(depth, W_std, b_std, readout_W_std, readout_b_std)
    flat, shape = _as_cosines(c)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import jax
    import jax.numpy as jnp
    from jax.experimental import enable_x64
    from neural_tangents import stax

    with enable_x64():
        phi = _stax_activation(stax, activation)
        layers = []
        for _ in range(depth):
            layers += [stax.Dense(1, W_std=float(W_std), b_std=float(b_std)), phi]
        layers.append(
            stax.Dense(1, W_std=float(readout_W_std), b_std=float(readout_b_std))
        )
        _, _, kernel_fn = stax.serial(*layers)
        x1 = jnp.asarray([[np.sqrt(2.0), 0.0]], dtype=jnp.float64)
        x2 = jnp.asarray(
            np.sqrt(2.0) * np.stack([flat, np.sqrt(1.0 - flat * flat)], axis=1),
            dtype=jnp.float64,
        )
        kernel = kernel_fn(x1, x2, ("nngp", "ntk"))
        nngp = np.asarray(jax.device_get(kernel.nngp), dtype=np.float64)[0]
        ntk = np.asarray(jax.device_get(kernel.ntk), dtype=np.float64)[0]
    return nngp.reshape(shape), ntk.reshape(shape)


def _stax_activation(stax, activation):
    resolved = _resolve(activation)
    if resolved == "relu":
        return stax.Relu()
    if resolved == "erf":
        return stax.Erf()
    return stax.ElementwiseNumerical(resolved, deg=64)
