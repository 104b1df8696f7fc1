r"""Empirical NTK and NNGP of an :class:`FCN` of any depth, by autodiff.

The NTK contracts per-batch Jacobians; the NNGP is the same contraction
restricted to the readout layer (which is :math:`\rho_w^2 x^{(L)} \cdot
x'^{(L)} / n_L + \rho_b^2`, the readout-averaged output covariance). Memory
is bounded by batching the inputs. One-hidden-layer nets have a much faster
closed form in :mod:`._empirical`.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from ._empirical import _as_inputs, _check_int
from ._nets import FCN, Params, apply_fcn

__all__ = ["empirical_kernels"]


def _ravel_jacobian(jac) -> jax.Array:
    """Pytree of ``(B, O, *shape)`` Jacobian leaves -> ``(B, O, P)``."""
    leaves = jax.tree.leaves(jac)
    b, o = leaves[0].shape[:2]
    return jnp.concatenate([leaf.reshape(b, o, -1) for leaf in leaves], axis=-1)


@functools.partial(jax.jit, static_argnames=("fcn", "kind"))
def _kernel_block(params, xa, xb, fcn, kind):
    def jac(x):
        if kind == "ntk":
            return jax.jacrev(lambda p: apply_fcn(p, x, fcn))(params)
        head, readout = params[:-1], params[-1]
        return jax.jacrev(lambda r: apply_fcn([*head, r], x, fcn))(readout)

    ja = _ravel_jacobian(jac(xa))
    jb = _ravel_jacobian(jac(xb))
    # Trace over outputs as neural-tangents' default `trace_axes=(-1,)`: the
    # mean over output channels of the per-output kernel.
    return jnp.einsum("aop,bop->ab", ja, jb) / ja.shape[1]


def empirical_kernels(
    fcn: FCN,
    params: Params,
    x1: jax.Array,
    x2: jax.Array | None = None,
    *,
    kind: str = "ntk",
    batch_size: int = 64,
) -> jax.Array:
    r"""Empirical NTK or NNGP of one FCN of any depth, by autodiff.

    .. math::

        \hat\Theta(x, x') = \frac{1}{O} \sum_{o=1}^{O} \sum_p
            \frac{\partial f_o(x)}{\partial \theta_p}
            \frac{\partial f_o(x')}{\partial \theta_p}

    over all parameters for ``kind="ntk"``, and over the readout layer's only
    for ``kind="nngp"``, which gives :math:`\rho_w^2 x^{(L)} \cdot x'^{(L)} /
    n_L + \rho_b^2`, the output covariance averaged over the readout weights.
    The output trace (mean over the ``O = d_out`` outputs) matches
    ``neural_tangents.empirical_kernel_fn``'s default ``trace_axes=(-1,)``.

    Inputs are processed ``batch_size`` at a time (the last batch padded, so one
    compiled program serves all blocks); peak memory is about
    ``2 * batch_size * d_out * param_count(fcn)`` floats. For 1HL nets
    :func:`empirical_ntk_1hl` is much faster.

    Args:
        fcn: the architecture.
        params: its parameters, as from ``init_params``.
        x1: inputs, shape ``(N1, d_in)``.
        x2: second inputs, shape ``(N2, d_in)``; ``None`` means ``x1``.
        kind: ``"ntk"`` or ``"nngp"``.
        batch_size: inputs per Jacobian block.

    Returns:
        The kernel, shape ``(N1, N2)``.

    Raises:
        ValueError: for an unknown ``kind``, bad shapes or ``batch_size``.
    """
    if kind not in ("ntk", "nngp"):
        raise ValueError(f"`kind` must be 'ntk' or 'nngp'; got {kind!r}")
    batch_size = _check_int("batch_size", batch_size)
    x1 = _as_inputs("x1", x1, fcn.d_in)
    x2 = x1 if x2 is None else _as_inputs("x2", x2, fcn.d_in)
    bs1, bs2 = min(batch_size, x1.shape[0]), min(batch_size, x2.shape[0])

    def padded_batches(x, bs):
        n = x.shape[0]
        pad = (-n) % bs
        xp = jnp.concatenate([x, jnp.zeros((pad, x.shape[1]), x.dtype)])
        return [xp[i : i + bs] for i in range(0, n, bs)]

    rows = []
    for xa in padded_batches(x1, bs1):
        row = [
            _kernel_block(params, xa, xb, fcn, kind) for xb in padded_batches(x2, bs2)
        ]
        rows.append(jnp.concatenate(row, axis=1))
    out = jnp.concatenate(rows, axis=0)
    return out[: x1.shape[0], : x2.shape[0]]
