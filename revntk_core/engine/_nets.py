"""Fully connected networks in the NTK parameterisation (SPEC section 1).

A hidden layer ``l`` maps ``x^(l-1)`` (width ``n_{l-1}``) to

.. math::

    z^{(l)} = \\frac{\\sigma_w}{\\sqrt{n_{l-1}}}\\, x^{(l-1)} \\omega^{(l)}
              + \\sigma_b \\beta^{(l)}, \\qquad x^{(l)} = \\phi(z^{(l)}),

with trainable ``omega, beta ~ N(0, 1)``; the readout layer is the same affine
map with ``readout_W_std`` and ``readout_b_std`` and no activation. The scale is
the fan-in ``n_{l-1}``, as in neural-tangents (the paper prints ``sqrt(n_l)``).

Parameters are a list of ``(W, b)`` pairs, ``W`` of shape ``(fan_in, fan_out)``
and ``b`` of shape ``(fan_out,)``, one per Dense layer, hidden layers first.
This is the layout of ``neural_tangents.stax.Dense(..., parameterization="ntk")``
inside ``stax.serial(Dense, act, Dense, act, ..., Dense)`` with the activation
layers' empty ``()`` entries removed and ``b`` flattened (stax stores it as
``(1, fan_out)``), and :func:`init_params` draws the same
numbers as that ``serial``'s ``init_fn`` for the same key (it splits the key
once per layer, activation layers included, exactly as ``serial`` does).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

__all__ = ["FCN", "Params", "apply_fcn", "init_params", "param_count"]

Params = list[tuple[jax.Array, jax.Array]]
"""Network parameters: one ``(W, b)`` pair per Dense layer, readout last."""


def _as_std_tuple(name: str, value: object, depth: int) -> tuple[float, ...]:
    """Broadcast a float or a per-hidden-layer sequence to a tuple of floats."""
    if isinstance(value, numbers.Real):
        values = (float(value),) * depth
    elif isinstance(value, Sequence) and not isinstance(value, str):
        values = tuple(float(v) for v in value)
        if len(values) != depth:
            raise ValueError(
                f"`{name}` must be a float or have one entry per hidden layer "
                f"({depth}); got {len(values)} entries: {value!r}"
            )
    else:
        raise TypeError(f"`{name}` must be a float or a tuple of floats; got {value!r}")
    for v in values:
        if not (math.isfinite(v) and v >= 0.0):
            raise ValueError(f"`{name}` entries must be finite and >= 0; got {value!r}")
    return values


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be a positive int; got {value!r}")
    if value < 1:
        raise ValueError(f"`{name}` must be a positive int; got {value!r}")
    return int(value)


@dataclasses.dataclass(frozen=True)
class FCN:
    """A fully connected network in NTK parameterisation.

    Args:
        d_in: input dimension ``n_0``.
        widths: hidden widths ``(n_1, ..., n_L)``; the depth ``L`` is its length
            (``L >= 1``). ``widths=(4096,)`` is a 1HL net.
        d_out: number of outputs (width of the readout layer).
        activation: ``phi``, any callable mapping a JAX array to a JAX array of
            the same shape, traceable under ``jit`` (e.g. ``jax.nn.relu`` or a
            ``revntk_core.kernels`` activation value).
        W_std: hidden-layer ``sigma_w``; a float or one float per hidden layer.
        b_std: hidden-layer ``sigma_b``; a float or one float per hidden layer.
        readout_W_std: readout ``sigma_w`` (SPEC default 1).
        readout_b_std: readout ``sigma_b`` (SPEC default 0). The readout bias is
            a parameter even when this is 0, as in neural-tangents' ``Dense``
            with ``b_std=0.0``.

    The dataclass is frozen and hashable when ``activation`` is, so it can be a
    static argument of ``jax.jit``.
    """

    d_in: int
    widths: tuple[int, ...]
    d_out: int
    activation: Callable[[jax.Array], jax.Array]
    W_std: float | tuple[float, ...] = 1.0
    b_std: float | tuple[float, ...] = 0.0
    readout_W_std: float = 1.0
    readout_b_std: float = 0.0

    def __post_init__(self) -> None:
        _check_positive_int("d_in", self.d_in)
        _check_positive_int("d_out", self.d_out)
        if isinstance(self.widths, numbers.Integral):
            raise TypeError(
                f"`widths` must be a tuple of hidden widths, e.g. ({self.widths},); "
                f"got {self.widths!r}"
            )
        widths = tuple(_check_positive_int("widths", w) for w in self.widths)
        if not widths:
            raise ValueError("`widths` must hold at least one hidden width; got ()")
        if not callable(self.activation):
            raise TypeError(f"`activation` must be callable; got {self.activation!r}")
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "d_in", int(self.d_in))
        object.__setattr__(self, "d_out", int(self.d_out))
        depth = len(widths)
        w = _as_std_tuple("W_std", self.W_std, depth)
        b = _as_std_tuple("b_std", self.b_std, depth)
        object.__setattr__(self, "W_std", w[0] if len(set(w)) == 1 else w)
        object.__setattr__(self, "b_std", b[0] if len(set(b)) == 1 else b)
        for name in ("readout_W_std", "readout_b_std"):
            _as_std_tuple(name, getattr(self, name), 1)
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def depth(self) -> int:
        """Number of hidden layers ``L``."""
        return len(self.widths)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """``(d_in, n_1, ..., n_L, d_out)``."""
        return (self.d_in, *self.widths, self.d_out)

    @property
    def W_stds(self) -> tuple[float, ...]:
        """``sigma_w`` of every Dense layer, readout last (length ``L + 1``)."""
        return (*_as_std_tuple("W_std", self.W_std, self.depth), self.readout_W_std)

    @property
    def b_stds(self) -> tuple[float, ...]:
        """``sigma_b`` of every Dense layer, readout last (length ``L + 1``)."""
        return (*_as_std_tuple("b_std", self.b_std, self.depth), self.readout_b_std)


def param_count(fcn: FCN) -> int:
    """Number of trainable scalars, ``sum_l (n_{l-1} + 1) n_l`` over all layers.

    A 1HL net of width ``n`` has ``(d_in + 1 + d_out) n + d_out`` parameters,
    a deep one ``O(n^2)``.
    """
    sizes = fcn.layer_sizes
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def init_params(key: jax.Array, fcn: FCN, *, dtype: jnp.dtype | None = None) -> Params:
    """Draw ``omega, beta ~ N(0, 1)`` for every layer.

    Args:
        key: a JAX PRNG key.
        fcn: the architecture.
        dtype: float dtype of the parameters; JAX's default float (float32, or
            float64 with x64 enabled) when ``None``.

    Returns:
        ``[(W_1, b_1), ..., (W_{L+1}, b_{L+1})]`` with ``W_l`` of shape
        ``(n_{l-1}, n_l)`` and ``b_l`` of shape ``(n_l,)``; equal, number for
        number, to ``neural_tangents.stax.serial(Dense, act, ..., Dense)``'s
        ``init_fn(key, ...)`` params with the empty activation entries removed
        (stax's ``b`` has shape ``(1, n_l)``).
    """
    dtype = jnp.zeros(()).dtype if dtype is None else jnp.dtype(dtype)
    sizes = fcn.layer_sizes
    params: Params = []
    n_layers = 2 * fcn.depth + 1  # Dense, act, Dense, act, ..., Dense.
    for i in range(n_layers):
        key, layer_key = jax.random.split(key)
        if i % 2:
            continue
        fan_in, fan_out = sizes[i // 2], sizes[i // 2 + 1]
        w_key, b_key = jax.random.split(layer_key)
        W = jax.random.normal(w_key, (fan_in, fan_out), dtype)
        b = jax.random.normal(b_key, (fan_out,), dtype)
        params.append((W, b))
    return params


def _dense(x: jax.Array, W: jax.Array, b: jax.Array, W_std: float, b_std: float):
    out = (W_std / x.shape[-1] ** 0.5) * (x @ W)
    return out + b_std * b


def apply_fcn(params: Params, x: jax.Array, fcn: FCN) -> jax.Array:
    """Network outputs ``f(theta, x)``.

    Args:
        params: as returned by :func:`init_params` (or trained from it).
        x: inputs of shape ``(n, d_in)``.
        fcn: the architecture.

    Returns:
        Outputs of shape ``(n, d_out)``.

    Raises:
        ValueError: when ``x`` is not 2-D with ``d_in`` columns, or ``params``
            does not have one ``(W, b)`` per layer.
    """
    if x.ndim != 2 or x.shape[-1] != fcn.d_in:
        raise ValueError(
            f"`x` must have shape (n, d_in={fcn.d_in}); got shape {tuple(x.shape)}"
        )
    if len(params) != fcn.depth + 1:
        raise ValueError(
            f"`params` must hold {fcn.depth + 1} (W, b) pairs for this FCN; "
            f"got {len(params)}"
        )
    W_stds, b_stds = fcn.W_stds, fcn.b_stds
    for (W, b), w_std, b_std in zip(params[:-1], W_stds, b_stds, strict=False):
        x = fcn.activation(_dense(x, W, b, w_std, b_std))
    W, b = params[-1]
    return _dense(x, W, b, W_stds[-1], b_stds[-1])
