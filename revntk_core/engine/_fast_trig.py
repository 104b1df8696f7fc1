"""Fast float32 sine and cosine for CPU, by rewriting a traced function.

:func:`_phi` evaluates an activation and, when asked, its derivative; on the
CPU float32 path it traces them once and replaces every XLA ``sin``/``cos``
by the polynomial :func:`_sincos_f32`, falling back (with one warning) to
XLA's own if the rewrite meets JAX internals it does not know.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax
from jax.extend import core as jex_core

# Fast float32 sine and cosine. XLA's CPU sin/cos run about 5-10x slower than
# its other elementwise ops (exp, tanh, erf), and on CPU the 1HL kernel of a
# sine activation is bound by them. This is the Cephes ``sinf``/``cosf``
# scheme: a three-part Cody-Waite reduction by pi/2 (exact products for
# |x| < 2^16 * pi/2, about 1e5) and degree-7/8 polynomials on [-pi/4, pi/4];
# measured max error 1.2e-7 against jnp.sin/jnp.cos for |x| < 200. Beyond
# |x| ~ 1e5 the reduction loses accuracy, but there a float32 input's own
# spacing (>= 0.008) already makes sin(x) meaningless.
_PIO2 = (1.5703125, 4.837512969970703125e-4, 7.54978995489188216e-8)
_SIN = (-1.6666654611e-1, 8.3321608736e-3, -1.9515295891e-4)
_COS = (4.166664568298827e-2, -1.388731625493765e-3, 2.443315711809948e-5)


def _sincos_f32(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    k = jnp.round(x * (2 / math.pi))
    r = x - k * _PIO2[0] - k * _PIO2[1] - k * _PIO2[2]
    r2 = r * r
    s = r + r * r2 * (_SIN[0] + r2 * (_SIN[1] + r2 * _SIN[2]))
    c = 1 - 0.5 * r2 + r2 * r2 * (_COS[0] + r2 * (_COS[1] + r2 * _COS[2]))
    q = k.astype(jnp.int32) & 3
    sin = jnp.where(q == 0, s, jnp.where(q == 1, c, jnp.where(q == 2, -s, -c)))
    cos = jnp.where(q == 0, c, jnp.where(q == 1, -s, jnp.where(q == 2, -c, s)))
    return sin, cos


def _eval_fast_trig(jaxpr, consts, args) -> list:
    """Evaluate a jaxpr with float32 ``sin``/``cos`` replaced by the above."""
    env = {}

    def read(v):
        return v.val if isinstance(v, jex_core.Literal) else env[v]

    for v, val in zip(jaxpr.constvars, consts, strict=True):
        env[v] = val
    for v, val in zip(jaxpr.invars, args, strict=True):
        env[v] = val
    for eqn in jaxpr.eqns:
        invals = [read(v) for v in eqn.invars]
        prim = eqn.primitive
        sub = eqn.params.get("jaxpr")
        if prim in (lax.sin_p, lax.cos_p) and invals[0].dtype == jnp.float32:
            outs = [_sincos_f32(invals[0])[0 if prim is lax.sin_p else 1]]
        elif prim.name in ("pjit", "jit") and hasattr(sub, "consts"):
            outs = _eval_fast_trig(sub.jaxpr, sub.consts, invals)
        else:
            subfuns, bind_params = prim.get_bind_params(eqn.params)
            outs = prim.bind(*subfuns, *invals, **bind_params)
            outs = outs if prim.multiple_results else [outs]
        for v, val in zip(eqn.outvars, outs, strict=True):
            env[v] = val
    return [read(v) for v in jaxpr.outvars]


def _with_fast_trig(fun: Callable) -> Callable:
    """``fun`` traced once, its float32 sin/cos evaluated by ``_sincos_f32``.

    Used on CPU only (GPU sin/cos are fast). XLA merges the shared range
    reduction when both sin(u) and cos(u) appear, as in ``jvp`` of a sine.
    """

    def wrapped(*args):
        closed, shape = jax.make_jaxpr(fun, return_shape=True)(*args)
        outs = _eval_fast_trig(closed.jaxpr, closed.consts, args)
        return jax.tree.unflatten(jax.tree.structure(shape), outs)

    return wrapped


def _phi(activation: Callable, z: jax.Array, need_grad: bool, fast: bool):
    """``phi(z)``, and ``phi'(z)`` by ``jax.jvp`` when ``need_grad``."""
    if need_grad:
        fun = lambda u: jax.jvp(activation, (u,), (jnp.ones_like(u),))
    else:
        fun = lambda u: (activation(u), None)
    if not fast:
        return fun(z)
    try:
        return _with_fast_trig(fun)(z)
    except Exception as err:  # noqa: BLE001 - JAX internals differ by version.
        # The rewrite reads jaxpr internals that change between JAX versions;
        # if they do, XLA's own sin/cos give the same result, only slower.
        _warn_no_fast_trig(f"{type(err).__name__}: {err}")
        return fun(z)


@functools.cache
def _warn_no_fast_trig(reason: str) -> None:
    """Warn once per distinct failure (cached on the message)."""
    warnings.warn(
        f"the fast CPU sin/cos rewrite failed with this JAX ({reason}); using "
        "XLA's sin/cos, which is correct but slower on CPU",
        stacklevel=3,
    )
