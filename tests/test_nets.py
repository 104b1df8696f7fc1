"""FCNs in NTK parameterisation against neural-tangents stax."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from revntk_core.engine import FCN, apply_fcn, init_params, param_count

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
stax = pytest.importorskip("neural_tangents").stax

ARCHS = {
    "1hl_relu": dict(d_in=5, widths=(64,), d_out=1, W_std=1.0, b_std=0.0),
    "3hl_erf_per_layer": dict(
        d_in=7,
        widths=(32, 48, 16),
        d_out=3,
        W_std=(1.5, 2.0**0.5, 0.7),
        b_std=(0.1, 0.0, 0.3),
        readout_W_std=1.3,
        readout_b_std=0.2,
    ),  # fmt: skip
    "4hl_relu": dict(d_in=11, widths=(128,) * 4, d_out=6, W_std=2**0.5, b_std=0.1),
}
ACTS = {"1hl_relu": "relu", "3hl_erf_per_layer": "erf", "4hl_relu": "relu"}


def _make(name):
    act = {
        "relu": (jax.nn.relu, stax.Relu()),
        "erf": (jax.scipy.special.erf, stax.Erf()),
    }
    ours_act, nt_act = act[ACTS[name]]
    fcn = FCN(activation=ours_act, **ARCHS[name])
    layers = []
    for w, ws, bs in zip(fcn.widths, fcn.W_stds, fcn.b_stds, strict=False):
        layers += [stax.Dense(w, W_std=ws, b_std=bs, parameterization="ntk"), nt_act]
    layers.append(
        stax.Dense(
            fcn.d_out, W_std=fcn.readout_W_std, b_std=fcn.readout_b_std,
            parameterization="ntk",
        )
    )  # fmt: skip
    return fcn, stax.serial(*layers)


def _to_stax(params):
    """Our (W, b) list -> stax.serial params.

    stax stores b as (1, fan_out) and puts an empty () after each hidden Dense.
    """
    out = []
    for W, b in params[:-1]:
        out += [(W, b[None, :]), ()]
    return out + [(params[-1][0], params[-1][1][None, :])]


@pytest.mark.parametrize("name", sorted(ARCHS))
@pytest.mark.parametrize("x64", [False, True])
def test_init_and_apply_equal_stax(name, x64):
    """Same key -> the same numbers as stax's init_fn, and the same outputs.

    float32: outputs agree to 1e-6 relative to their scale (the operations are
    the same, in the same order; the bound leaves room for XLA fusion choices).
    float64: 1e-12.
    """
    with jax.experimental.enable_x64(x64):
        fcn, (nt_init, nt_apply, _) = _make(name)
        key = jax.random.PRNGKey(3)
        ours = init_params(key, fcn)
        _, theirs = nt_init(key, (-1, fcn.d_in))
        flat_theirs = [p for p in theirs if p != ()]
        assert len(ours) == len(flat_theirs) == fcn.depth + 1
        for (W, b), (Wt, bt) in zip(ours, flat_theirs, strict=True):
            assert W.dtype == (jnp.float64 if x64 else jnp.float32)
            np.testing.assert_array_equal(W, Wt)
            np.testing.assert_array_equal(b, bt.reshape(-1))
        x = jax.random.normal(jax.random.PRNGKey(4), (9, fcn.d_in))
        f_ours = apply_fcn(ours, x, fcn)
        f_nt = nt_apply(_to_stax(ours), x)
        tol = 1e-12 if x64 else 1e-6
        scale = float(jnp.max(jnp.abs(f_nt)))
        np.testing.assert_allclose(f_ours, f_nt, rtol=0, atol=tol * scale)
        assert f_ours.shape == (9, fcn.d_out)


def test_output_distribution_matches_stax_over_keys():
    """Outputs over many inits: our keys [0, N) against stax's keys [N, 2N).

    Disjoint key streams make the two samples independent, so this checks the
    distribution, not the shared key layout. Means must agree within 5 standard
    errors, variances within 5 standard errors of a variance (sqrt(2/N) rel).
    """
    n_keys = 2000
    fcn, (nt_init, nt_apply, _) = _make("3hl_erf_per_layer")
    x = jax.random.normal(jax.random.PRNGKey(0), (4, fcn.d_in))
    keys = jax.random.split(jax.random.PRNGKey(1), 2 * n_keys)
    ours = jax.vmap(lambda k: apply_fcn(init_params(k, fcn), x, fcn))(keys[:n_keys])
    theirs = jax.vmap(lambda k: nt_apply(nt_init(k, (-1, fcn.d_in))[1], x))(
        keys[n_keys:]
    )
    var_o, var_t = np.var(ours, axis=0), np.var(theirs, axis=0)
    se_mean = np.sqrt((var_o + var_t) / n_keys)
    assert np.all(np.abs(np.mean(ours, 0) - np.mean(theirs, 0)) < 5 * se_mean)
    rel_se = np.sqrt(2.0 / n_keys) * np.sqrt(2.0)  # difference of two estimates
    assert np.all(np.abs(var_o / var_t - 1) < 5 * rel_se)


def test_parameters_are_standard_normal():
    """omega, beta ~ N(0, 1): moments of 4HL width-128 params (66k draws), 6 SE."""
    fcn = FCN(11, (128,) * 4, 6, jax.nn.relu)
    leaves = np.concatenate(
        [np.ravel(a) for a in jax.tree.leaves(init_params(jax.random.PRNGKey(0), fcn))]
    )
    n = leaves.size
    assert abs(leaves.mean()) < 6 / np.sqrt(n)
    assert abs(leaves.var() - 1) < 6 * np.sqrt(2 / n)


@pytest.mark.parametrize("name", sorted(ARCHS))
def test_param_count_formula(name):
    fcn, _ = _make(name)
    leaves = jax.tree.leaves(init_params(jax.random.PRNGKey(0), fcn))
    assert param_count(fcn) == sum(a.size for a in leaves)


def test_param_count_1hl_closed_form():
    """(d_in + 1 + d_out) n + d_out for a 1HL net."""
    for d_in, n, d_out in [(11, 4096, 6), (1, 1, 1), (3072, 7, 10)]:
        fcn = FCN(d_in, (n,), d_out, jnp.sin)
        assert param_count(fcn) == (d_in + 1 + d_out) * n + d_out


def test_per_layer_stds_broadcast():
    fcn = FCN(3, (4, 5), 2, jnp.tanh, W_std=(1.0, 1.0), b_std=0.5)
    assert fcn.W_std == 1.0 and fcn.W_stds == (1.0, 1.0, 1.0)
    assert fcn.b_stds == (0.5, 0.5, 0.0)
    assert hash(fcn) == hash(FCN(3, [4, 5], 2, jnp.tanh, W_std=1.0, b_std=0.5))


def test_bad_input_messages():
    with pytest.raises(ValueError, match=r"`W_std` must be a float or have one entry"):
        FCN(3, (4, 5), 1, jnp.tanh, W_std=(1.0,))
    with pytest.raises(TypeError, match=r"`widths` must be a tuple"):
        FCN(3, 4, 1, jnp.tanh)
    with pytest.raises(ValueError, match=r"`widths` must be a positive int; got 0"):
        FCN(3, (0,), 1, jnp.tanh)
    with pytest.raises(ValueError, match=r"`b_std` entries must be finite and >= 0"):
        FCN(3, (4,), 1, jnp.tanh, b_std=-1.0)
    with pytest.raises(TypeError, match=r"`activation` must be callable"):
        FCN(3, (4,), 1, "relu")
    fcn = FCN(3, (4,), 1, jnp.tanh)
    params = init_params(jax.random.PRNGKey(0), fcn)
    with pytest.raises(ValueError, match=r"`x` must have shape \(n, d_in=3\)"):
        apply_fcn(params, jnp.ones((2, 4)), fcn)
    with pytest.raises(ValueError, match=r"`params` must hold 2"):
        apply_fcn(params[:1], jnp.ones((2, 3)), fcn)
