r"""Empirical NTK and NNGP of finite one-hidden-layer nets, in closed form.

Used by :func:`empirical_ntk_1hl` and :func:`empirical_nngp_1hl`. For a
one-hidden-layer net of width :math:`n` in NTK parameterisation (SPEC
section 1), input dimension :math:`d`,

.. math::

    z_i(x) = \frac{\sigma_w}{\sqrt d}\, x \cdot \omega_i + \sigma_b \beta_i,
    \qquad
    f(x) = \frac{\rho_w}{\sqrt n} \sum_{i=1}^n v_i \phi(z_i(x)) + \rho_b u,

with :math:`\omega_i, \beta_i, v_i, u \sim N(0, 1)` and readout scales
:math:`\rho_w` (``readout_W_std``, SPEC default 1) and :math:`\rho_b`
(``readout_b_std``, default 0). The gradient has four blocks:
:math:`\partial f / \partial v_i = \rho_w \phi(z_i) / \sqrt n`,
:math:`\partial f / \partial u = \rho_b`,
:math:`\partial f / \partial \omega_i = \rho_w v_i \phi'(z_i)\, \sigma_w x /
\sqrt{n d}` and :math:`\partial f / \partial \beta_i = \rho_w v_i
\phi'(z_i)\, \sigma_b / \sqrt n`. Their inner products give the empirical
NTK without ever building the Jacobian:

.. math::

    \hat\Theta(x, x') = \frac{\rho_w^2}{n} \sum_{i=1}^n \Big[
        \phi(z_i) \phi(z_i') + v_i^2 \phi'(z_i) \phi'(z_i')
        \Big(\frac{\sigma_w^2\, x \cdot x'}{d} + \sigma_b^2\Big) \Big]
        + \rho_b^2 .

The NNGP kernel is the output covariance over random initialisations. For
one draw of the hidden layer, averaging over the readout :math:`(v, u)`
gives

.. math::

    \hat K(x, x') = E_{v, u}[f(x) f(x')] = \frac{\rho_w^2}{n}
        \sum_{i=1}^n \phi(z_i) \phi(z_i') + \rho_b^2,

the per-net NNGP returned here (an unbiased, lower-variance estimate of the
infinite-width NNGP than the single sample :math:`f(x) f(x')`, which is
what ``neural_tangents.empirical_nngp_fn`` returns). The sums run over
chunks of the width inside ``lax.scan``, so memory does not grow with the
width beyond one net's parameters, ``(d + 3) n`` floats; nets run one after
another (``lax.map``) in a single compiled program.

Nets of any depth go through the Jacobian contraction of
:mod:`._empirical_deep`; the CPU float32 sin/cos rewrite used here lives in
:mod:`._fast_trig`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax

from ._fast_trig import _phi
from ._nets import FCN, Params, init_params

__all__ = [
    "KernelStats",
    "empirical_nngp_1hl",
    "empirical_ntk_1hl",
]

# Elements of one (inputs x width-chunk) intermediate array when `chunk` is
# left to the default: 2^20 float32 values are 4 MiB, and the 1HL NTK holds
# a few such arrays at once (phi, phi', v^2 phi'). Larger chunks were slower
# on CPU (memory traffic), smaller ones pay loop overhead.
_CHUNK_ELEMENTS = 2**20
# Parameters (floats) drawn at once when many nets are averaged: 2^22 float32
# values are 16 MiB, e.g. 16 nets of width 2^14 on 2-D inputs in one group.
_PARAM_BUDGET = 2**22
# Smallest automatic chunk, so that few inputs still get long vector loops.
_MIN_CHUNK = 256
# Up to this input dimension the pre-activation x @ W is a sum of broadcast
# products, fused with the activation into one loop (no matmul round trip).
_BROADCAST_MAX_D = 8


@dataclasses.dataclass(frozen=True)
class KernelStats:
    """Empirical kernels of several independent networks and their statistics.

    Attributes:
        mean: mean over nets, shape ``(N1, N2)``.
        std: sample standard deviation over nets (``ddof=1``), shape
            ``(N1, N2)``; NaN when ``n_nets == 1``.
        n_nets: number of independent networks.
        per_net: the kernel of every net, shape ``(n_nets, N1, N2)``.
    """

    mean: jax.Array
    std: jax.Array
    n_nets: int
    per_net: jax.Array

    @property
    def sem(self) -> jax.Array:
        """Standard error of :attr:`mean`, ``std / sqrt(n_nets)``."""
        return self.std / math.sqrt(self.n_nets)

    @classmethod
    def from_per_net(cls, per_net: jax.Array) -> KernelStats:
        """Summarise a ``(n_nets, N1, N2)`` stack of kernels."""
        n = int(per_net.shape[0])
        mean = jnp.mean(per_net, axis=0)
        if n > 1:
            std = jnp.std(per_net, axis=0, ddof=1)
        else:
            std = jnp.full_like(mean, jnp.nan)
        return cls(mean=mean, std=std, n_nets=n, per_net=per_net)


def _check_int(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an int; got {value!r}")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}; got {value!r}")
    return int(value)


def _as_inputs(name: str, x: object, d_in: int | None = None) -> jax.Array:
    """Cast inputs to JAX's default float and check they are ``(N, d)``."""
    x = jnp.asarray(x, dtype=jnp.result_type(float))
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(
            f"`{name}` must be a non-empty 2-D array (N, d_in); got shape "
            f"{tuple(x.shape)}"
        )
    if d_in is not None and x.shape[1] != d_in:
        raise ValueError(
            f"`{name}` must have d_in={d_in} columns like `x1`; got shape "
            f"{tuple(x.shape)}"
        )
    return x


def _auto_chunk(width: int, n_inputs: int) -> int:
    """Largest power of two with ``n_inputs * chunk <= _CHUNK_ELEMENTS``."""
    target = max(_MIN_CHUNK, _CHUNK_ELEMENTS // max(n_inputs, 1))
    return min(width, 1 << (target.bit_length() - 1))


def _kernel_1hl_of_params(
    params: Params,
    x1: jax.Array,
    x2: jax.Array | None,
    fcn: FCN,
    chunk: int,
    kind: str,
) -> jax.Array:
    """Closed-form 1HL kernel of one net, summed over width chunks."""
    (W, b), (V, u) = params
    del u  # The readout bias enters only through its scale, rho_b^2.
    width = W.shape[1]
    d = x1.shape[1]
    W_std, b_std = fcn.W_stds[0], fcn.b_stds[0]
    rho_w, rho_b = fcn.readout_W_std, fcn.readout_b_std
    act = fcn.activation
    same = x2 is None
    v2 = V[:, 0] ** 2
    n1, n2 = x1.shape[0], (x1 if same else x2).shape[0]
    need_grad = kind == "ntk"

    fast = x1.dtype == jnp.float32 and jax.default_backend() == "cpu"

    def preact(x, Wc, bc):
        if d > _BROADCAST_MAX_D:
            xw = x @ Wc
        else:  # A sum of broadcasts, so XLA fuses it into the activation.
            xw = sum(x[:, k : k + 1] * Wc[k] for k in range(d))
        return (W_std / math.sqrt(d)) * xw + b_std * bc

    def terms(Wc, bc, v2c):
        p1, dp1 = _phi(act, preact(x1, Wc, bc), need_grad, fast)
        if same:
            p2, dp2 = p1, dp1
        else:
            p2, dp2 = _phi(act, preact(x2, Wc, bc), need_grad, fast)
        a = p1 @ p2.T
        if not need_grad:
            return a, jnp.zeros_like(a)
        return a, (dp1 * v2c) @ dp2.T

    n_full, rem = divmod(width, chunk)

    def body(carry, i):
        start = i * chunk
        Wc = lax.dynamic_slice_in_dim(W, start, chunk, axis=1)
        bc = lax.dynamic_slice_in_dim(b, start, chunk)
        vc = lax.dynamic_slice_in_dim(v2, start, chunk)
        a, g = terms(Wc, bc, vc)
        return (carry[0] + a, carry[1] + g), None

    zero = jnp.zeros((n1, n2), x1.dtype)
    (a_sum, g_sum), _ = lax.scan(body, (zero, zero), jnp.arange(n_full))
    if rem:
        s = n_full * chunk
        a, g = terms(W[:, s:], b[s:], v2[s:])
        a_sum, g_sum = a_sum + a, g_sum + g
    kernel = a_sum
    if need_grad:
        xx = x1 @ (x1 if same else x2).T
        kernel = kernel + (W_std**2 * xx / d + b_std**2) * g_sum
    return (rho_w**2 / width) * kernel + rho_b**2


@functools.partial(jax.jit, static_argnames=("fcn", "chunk", "kind"))
def _per_net_1hl(keys, x1, x2, fcn, chunk, kind):
    # Drawing all nets of the group first, then mapping over them, compiles
    # to a faster program on CPU than drawing inside the loop over nets.
    params = jax.vmap(lambda k: init_params(k, fcn, dtype=x1.dtype))(keys)
    return lax.map(lambda p: _kernel_1hl_of_params(p, x1, x2, fcn, chunk, kind), params)


@functools.partial(jax.jit, static_argnames=("fcn", "chunk", "kind"))
def _of_params_1hl(params, x1, x2, fcn, chunk, kind):
    return _kernel_1hl_of_params(params, x1, x2, fcn, chunk, kind)


def _empirical_1hl(
    kind, activation, x1, x2, width, n_nets, key, params, W_std, b_std,
    readout_W_std, readout_b_std, chunk,
) -> KernelStats:  # fmt: skip
    if not callable(activation):
        raise TypeError(f"`activation` must be callable; got {activation!r}")
    x1 = _as_inputs("x1", x1)
    if x2 is not None:
        x2 = _as_inputs("x2", x2, x1.shape[1])
    width = _check_int("width", width)
    n_nets = _check_int("n_nets", n_nets)
    fcn = FCN(
        d_in=x1.shape[1],
        widths=(width,),
        d_out=1,
        activation=activation,
        W_std=W_std,
        b_std=b_std,
        readout_W_std=readout_W_std,
        readout_b_std=readout_b_std,
    )
    n_inputs = x1.shape[0] + (0 if x2 is None else x2.shape[0])
    chunk = _auto_chunk(width, n_inputs) if chunk is None else chunk
    chunk = min(_check_int("chunk", chunk), width)
    try:
        hash(fcn)
    except TypeError as err:
        raise TypeError(
            f"`activation` must be hashable (a frozen value or a function) so "
            f"the compiled kernel can be cached; got {activation!r}"
        ) from err
    if params is not None:
        if key is not None or n_nets != 1:
            raise ValueError(
                "`params` gives one fixed net: pass `key=None` and `n_nets=1`; "
                f"got key={key!r}, n_nets={n_nets}"
            )
        shapes = [tuple(p.shape) for layer in params for p in layer]
        expected = [(x1.shape[1], width), (width,), (width, 1), (1,)]
        if shapes != expected:
            raise ValueError(
                f"`params` must be a 1HL net [(W, b), (V, u)] with shapes "
                f"{expected}; got {shapes}"
            )
        params = jax.tree.map(lambda p: jnp.asarray(p, x1.dtype), params)
        kernel = _of_params_1hl(params, x1, x2, fcn, chunk, kind)
        return KernelStats.from_per_net(kernel[None])
    if key is None:
        raise ValueError("`key` must be a JAX PRNG key (or pass `params`); got None")
    keys = jax.random.split(key, n_nets)
    # Nets run in equal groups whose parameters fit _PARAM_BUDGET; the last
    # group is padded with repeated keys whose results are dropped.
    per_group = max(1, _PARAM_BUDGET // ((x1.shape[1] + 3) * width))
    n_groups = -(-n_nets // per_group)
    size = -(-n_nets // n_groups)
    pad = n_groups * size - n_nets
    keys = jnp.concatenate([keys, keys[:pad]]) if pad else keys
    out = [
        _per_net_1hl(keys[i * size : (i + 1) * size], x1, x2, fcn, chunk, kind)
        for i in range(n_groups)
    ]
    per_net = jnp.concatenate(out)[:n_nets] if n_groups > 1 else out[0]
    return KernelStats.from_per_net(per_net)


def empirical_ntk_1hl(
    activation: Callable[[jax.Array], jax.Array],
    x1: jax.Array,
    x2: jax.Array | None = None,
    *,
    width: int,
    n_nets: int = 1,
    key: jax.Array | None = None,
    params: Params | None = None,
    W_std: float = 1.0,
    b_std: float = 0.0,
    readout_W_std: float = 1.0,
    readout_b_std: float = 0.0,
    chunk: int | None = None,
) -> KernelStats:
    r"""Empirical NTK of ``n_nets`` random 1HL nets, by the closed form above.

    .. math::

        \hat\Theta(x, x') = \frac{\rho_w^2}{n} \sum_i \big[\phi(z_i)\phi(z_i')
        + v_i^2 \phi'(z_i)\phi'(z_i') (\sigma_w^2 x \cdot x'/d + \sigma_b^2)
        \big] + \rho_b^2

    ``phi'`` comes from ``jax.jvp`` of ``activation``, which therefore must be
    elementwise (true of every ``revntk_core.kernels`` activation). Net ``i``
    has the parameters ``init_params(jax.random.split(key, n_nets)[i], fcn)``
    of :mod:`revntk_core.engine`, so its kernel equals
    ``neural_tangents.empirical_kernel_fn`` of the same stax net on the same
    parameters.

    Args:
        activation: ``phi``, an elementwise callable on JAX arrays (e.g.
            ``Sin(amplitude=0.5, frequency=6)`` or ``jnp.tanh``); must be
            hashable (it is a static argument of the compiled program).
        x1: inputs, shape ``(N1, d)``.
        x2: second inputs, shape ``(N2, d)``; ``None`` means ``x1``.
        width: hidden width ``n``.
        n_nets: number of independent nets.
        key: JAX PRNG key; split once into ``n_nets`` keys.
        params: alternatively, the parameters ``[(W, b), (V, u)]`` of one given
            net (e.g. a trained one); then ``key`` must be ``None`` and
            ``n_nets`` 1.
        W_std: hidden ``sigma_w``.
        b_std: hidden ``sigma_b``.
        readout_W_std: readout ``rho_w``.
        readout_b_std: readout ``rho_b``; adds the constant ``rho_b^2``.
        chunk: neurons per step of the width loop; the default keeps each
            ``(N1 + N2, chunk)`` intermediate near 8 MiB. The result does not
            depend on it beyond float rounding.

    Returns:
        :class:`KernelStats` with ``(N1, N2)`` kernels (``(N1, N1)`` when
        ``x2`` is ``None``) in JAX's default float dtype.

    Raises:
        ValueError: for bad shapes, sizes, or ``key``/``params`` combinations.
        TypeError: for a non-callable or unhashable ``activation``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> t = jnp.linspace(0, jnp.pi, 5)
        >>> x = jnp.sqrt(2.0) * jnp.stack([jnp.cos(t), jnp.sin(t)], 1)
        >>> s = empirical_ntk_1hl(jnp.sin, x, x[:1], width=1024, n_nets=4,
        ...                       key=jax.random.PRNGKey(0))
        >>> s.mean.shape, s.per_net.shape
        ((5, 1), (4, 5, 1))
    """
    return _empirical_1hl(
        "ntk", activation, x1, x2, width, n_nets, key, params, W_std, b_std,
        readout_W_std, readout_b_std, chunk,
    )  # fmt: skip


def empirical_nngp_1hl(
    activation: Callable[[jax.Array], jax.Array],
    x1: jax.Array,
    x2: jax.Array | None = None,
    *,
    width: int,
    n_nets: int = 1,
    key: jax.Array | None = None,
    params: Params | None = None,
    W_std: float = 1.0,
    b_std: float = 0.0,
    readout_W_std: float = 1.0,
    readout_b_std: float = 0.0,
    chunk: int | None = None,
) -> KernelStats:
    r"""Readout-averaged output covariance of ``n_nets`` random 1HL nets.

    .. math::

        \hat K(x, x') = \frac{\rho_w^2}{n} \sum_i \phi(z_i) \phi(z_i')
        + \rho_b^2

    Its mean over nets estimates the infinite-width NNGP (SPEC eq. 7).
    Arguments, returns and errors are those of :func:`empirical_ntk_1hl`.
    """
    return _empirical_1hl(
        "nngp", activation, x1, x2, width, n_nets, key, params, W_std, b_std,
        readout_W_std, readout_b_std, chunk,
    )  # fmt: skip
