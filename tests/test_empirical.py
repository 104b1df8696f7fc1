"""Empirical kernels: closed-form 1HL path and the autodiff path.

Checked against neural-tangents' empirical kernels on the same parameters,
against the exact infinite-width kernels (statistically), and against
themselves under re-chunking.
"""

import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import enable_x64

from revntk_core.engine import (
    FCN,
    KernelStats,
    empirical_kernels,
    empirical_nngp_1hl,
    empirical_ntk_1hl,
    init_params,
    predicted_ntk_std,
)
from revntk_core.engine._fast_trig import _sincos_f32
from revntk_core.kernels import Sin, nngp_1hl, ntk_1hl

SEED = 20220717


def _nt():
    nt = pytest.importorskip("neural_tangents")
    return nt, nt.stax


def _circle(n: int = 100) -> np.ndarray:
    """SPEC E1 inputs: sqrt2 (cos t, sin t), t uniform on [0, pi]."""
    t = np.linspace(0.0, np.pi, n)
    return math.sqrt(2.0) * np.stack([np.cos(t), np.sin(t)], axis=1)


def _sphere(key, n: int, d: int) -> np.ndarray:
    x = np.asarray(jax.random.normal(key, (n, d)), dtype=np.float64)
    return x * math.sqrt(d) / np.linalg.norm(x, axis=1, keepdims=True)


def _strip(nt_params):
    """neural-tangents serial params -> ours: drop activation entries, and
    NT's (1, fan_out) biases become (fan_out,)."""
    return [(W, b.reshape(-1)) for W, b in (layer for layer in nt_params if len(layer))]


@pytest.mark.parametrize(
    ("W_std", "b_std", "readout_W_std", "readout_b_std"),
    [(1.0, 0.0, 1.0, 0.0), (1.3, 0.4, 0.7, 0.25)],
)
def test_closed_form_ntk_equals_neural_tangents_float64(
    W_std, b_std, readout_W_std, readout_b_std
):
    """Same parameters -> same NTK as NT's Jacobian contraction, float64."""
    nt, stax = _nt()
    width = 300  # Not a multiple of the chunk below: exercises the remainder.
    with enable_x64():
        key = jax.random.PRNGKey(SEED)
        x1 = _sphere(jax.random.fold_in(key, 1), 7, 3)
        x2 = _sphere(jax.random.fold_in(key, 2), 5, 3)
        init_fn, apply_fn, _ = stax.serial(
            stax.Dense(width, W_std=W_std, b_std=b_std),
            stax.Sin(a=0.5, b=6.0),
            stax.Dense(1, W_std=readout_W_std, b_std=readout_b_std),
        )
        _, nt_params = init_fn(jax.random.fold_in(key, 3), x1.shape)
        kfn = nt.empirical_kernel_fn(
            apply_fn,
            vmap_axes=0,
            implementation=nt.NtkImplementation.JACOBIAN_CONTRACTION,
        )
        expected = np.asarray(kfn(x1, x2, "ntk", nt_params))
        ours = empirical_ntk_1hl(
            Sin(amplitude=0.5, frequency=6.0),
            x1,
            x2,
            width=width,
            params=_strip(nt_params),
            W_std=W_std,
            b_std=b_std,
            readout_W_std=readout_W_std,
            readout_b_std=readout_b_std,
            chunk=128,
        )
        assert ours.mean.dtype == jnp.float64
        # Same sums in a different order: float64 rounding is ~1e-13; 1e-5 is
        # the contract, asserted here much tighter.
        np.testing.assert_allclose(ours.mean, expected, rtol=1e-10, atol=1e-12)


def test_keys_give_neural_tangents_init_for_every_net():
    """Net i is `init_params(split(key, n_nets)[i])`, i.e. NT's init_fn."""
    nt, stax = _nt()
    n_nets, width = 3, 64
    with enable_x64():
        x = _sphere(jax.random.PRNGKey(1), 6, 2)
        init_fn, apply_fn, _ = stax.serial(
            stax.Dense(width, W_std=1.0, b_std=0.0), stax.Erf(), stax.Dense(1, 1.0, 0.0)
        )
        kfn = nt.empirical_kernel_fn(
            apply_fn, implementation=nt.NtkImplementation.JACOBIAN_CONTRACTION
        )
        key = jax.random.PRNGKey(SEED)
        stats = empirical_ntk_1hl(
            jax.scipy.special.erf, x, width=width, n_nets=n_nets, key=key
        )
        for i, k in enumerate(jax.random.split(key, n_nets)):
            expected = kfn(x, None, "ntk", init_fn(k, x.shape)[1])
            np.testing.assert_allclose(stats.per_net[i], expected, rtol=1e-10)
        np.testing.assert_allclose(stats.mean, np.mean(stats.per_net, 0), rtol=1e-12)
        np.testing.assert_allclose(
            stats.std, np.std(np.asarray(stats.per_net), 0, ddof=1), rtol=1e-10
        )


def test_float32_fast_sine_path_matches_neural_tangents():
    """The float32 CPU path (polynomial sin/cos) agrees with NT's jnp.sin."""
    nt, stax = _nt()
    width = 2048
    x = _circle(20)
    init_fn, apply_fn, _ = stax.serial(
        stax.Dense(width, 1.0, 0.0), stax.Sin(a=0.5, b=6.0), stax.Dense(1, 1.0, 0.0)
    )
    _, nt_params = init_fn(jax.random.PRNGKey(SEED), x.shape)
    expected = np.asarray(
        nt.empirical_kernel_fn(
            apply_fn,
            vmap_axes=0,
            implementation=nt.NtkImplementation.JACOBIAN_CONTRACTION,
        )(x, x[:1], "ntk", nt_params)
    )
    ours = empirical_ntk_1hl(
        Sin(amplitude=0.5, frequency=6.0),
        x,
        x[:1],
        width=width,
        params=_strip(nt_params),
    )
    assert ours.mean.dtype == jnp.float32
    # float32: each sin/cos carries ~1e-7 error, sums of 2048 terms ~1e-6
    # relative; 1e-5 of the kernel's scale is the contract.
    scale = np.abs(expected).max()
    np.testing.assert_allclose(ours.mean, expected, rtol=0, atol=1e-5 * scale)


def test_fast_sincos_accuracy():
    z = jnp.linspace(-300.0, 300.0, 200_001, dtype=jnp.float32)
    s, c = jax.jit(_sincos_f32)(z)
    ref_s, ref_c = np.sin(np.float64(z)), np.cos(np.float64(z))
    # Within 4 float32 ulps of 1 of the float64 values of the float32 inputs.
    assert np.abs(np.asarray(s) - ref_s).max() < 5e-7
    assert np.abs(np.asarray(c) - ref_c).max() < 5e-7


def test_nngp_1hl_is_readout_averaged_output_covariance():
    """Per-net NNGP = rho_w^2 phi(z).phi(z')/n + rho_b^2, by hand in NumPy."""
    with enable_x64():
        width, rho_w, rho_b = 257, 0.8, 0.3
        x = _sphere(jax.random.PRNGKey(2), 4, 3)
        fcn = FCN(3, (width,), 1, jnp.tanh, 1.2, 0.5, rho_w, rho_b)
        params = init_params(jax.random.PRNGKey(3), fcn)
        (W, b), _ = [tuple(np.asarray(p) for p in layer) for layer in params]
        feats = np.tanh(1.2 / math.sqrt(3) * x @ W + 0.5 * b)
        expected = rho_w**2 * feats @ feats.T / width + rho_b**2
        ours = empirical_nngp_1hl(
            jnp.tanh, x, width=width, params=params, W_std=1.2, b_std=0.5,
            readout_W_std=rho_w, readout_b_std=rho_b, chunk=64,
        )  # fmt: skip
        np.testing.assert_allclose(ours.mean, expected, rtol=1e-12)


@pytest.mark.parametrize("kind", ["ntk", "nngp"])
def test_mean_over_nets_agrees_with_infinite_width(kind):
    """64 nets of width 2^12: |mean - exact| <= k * std / sqrt(64).

    The per-net kernel is a mean of 4096 bounded i.i.d. neuron terms (phi is a
    sine), so the mean over nets is Gaussian to good accuracy and
    (mean - exact) / (std / 8) is Student-t with 63 degrees of freedom. With
    k = 4.5, P(|t_63| > k) = 3e-5 per cosine and 3e-3 over the 100 cosines
    (union bound), while a bias as small as ~0.6 std/sqrt(64) on many points,
    or a wrong kernel formula, would fail. A float32 floor of 1e-5 of the
    kernel's scale covers rounding where the std is tiny.
    """
    act = Sin(amplitude=0.5, frequency=6.0)
    x = _circle()
    fn = empirical_ntk_1hl if kind == "ntk" else empirical_nngp_1hl
    stats = fn(act, x, x[:1], width=2**12, n_nets=64, key=jax.random.PRNGKey(SEED))
    assert isinstance(stats, KernelStats) and stats.n_nets == 64
    c = np.clip(x @ x[0] / 2.0, -1.0, 1.0)
    exact = (ntk_1hl if kind == "ntk" else nngp_1hl)(act, c)
    err = np.abs(np.asarray(stats.mean[:, 0], np.float64) - exact)
    tol = 4.5 * np.asarray(stats.sem[:, 0]) + 1e-5 * np.abs(exact).max()
    assert np.all(err <= tol), np.max(err / tol)
    # The test has power: the std is not so large that anything passes.
    assert float(np.max(stats.sem)) < 0.02 * np.abs(exact).max()


def test_chunking_does_not_change_the_kernel():
    """Chunks that divide the width, leave a remainder, or cover it all."""
    x = _circle(30)
    key = jax.random.PRNGKey(SEED)
    act = Sin(amplitude=0.5, frequency=6.0)
    runs = [
        empirical_ntk_1hl(act, x, width=1000, n_nets=2, key=key, chunk=ch).per_net
        for ch in (1000, 256, 100, 7)
    ]
    scale = float(jnp.abs(runs[0]).max())
    for other in runs[1:]:
        # float32 sums of 1000 terms in another order: ~1e-6 of the scale.
        np.testing.assert_allclose(other, runs[0], rtol=0, atol=1e-5 * scale)


def _peak_rss_delta_mb(fn) -> float:
    """Extra resident memory (MB) at the peak of ``fn()``, from /proc.

    Resets the high-water mark (clear_refs 5), runs, and reads VmHWM - VmRSS.
    XLA allocates outside Python's allocator, so tracemalloc cannot see it.
    """

    def status(field):
        text = open("/proc/self/status").read()
        return int(re.search(rf"{field}:\s+(\d+)", text).group(1)) / 1024

    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status("VmRSS")
    fn()
    return status("VmHWM") - before


def test_width_2_18_runs_in_bounded_memory_and_is_right():
    """One net of width 2^18: < 100 MB extra, and within 5 predicted stds.

    The unchunked program would hold (101 x 2^18) float32 arrays of 100 MB
    each. The error bound is the exact finite-width std (predicted_ntk_std,
    from the Hermite series of sin, truncated at degree 21 where the
    remaining coefficients are below 1e-9): 5 std per cosine is 6e-7 per
    point, 6e-5 over the 100 points (union bound).
    """
    pytest.importorskip("resource")
    width = 2**18
    x = _circle()
    act = Sin(amplitude=1.0, frequency=1.0)
    key = jax.random.PRNGKey(SEED)
    run = lambda: empirical_ntk_1hl(act, x, x[:1], width=width, key=key).mean
    run().block_until_ready()  # Compile outside the measurement.
    out = {}
    extra = _peak_rss_delta_mb(lambda: out.setdefault("k", run().block_until_ready()))
    assert extra < 100.0, extra
    c = np.clip(x @ x[0] / 2.0, -1.0, 1.0)
    k = np.arange(22)
    b = np.where(k % 2, (-1.0) ** ((k - 1) // 2) * math.exp(-0.5), 0.0)
    b = b / np.sqrt([float(math.factorial(i)) for i in k])
    std = predicted_ntk_std(b, None, c, width=width)
    err = np.abs(np.asarray(out["k"][:, 0], np.float64) - ntk_1hl(act, c))
    assert np.all(err <= 5 * std + 1e-5), np.max(err / std)


@pytest.fixture(scope="module")
def deep_setup():
    nt, stax = _nt()
    with enable_x64():
        fcn = FCN(4, (24, 16, 12), 2, jax.nn.relu, 1.5, 0.2, 1.1, 0.3)
        layers = []
        for w in fcn.widths:
            layers += [stax.Dense(w, 1.5, 0.2), stax.Relu()]
        init_fn, apply_fn, _ = stax.serial(*layers, stax.Dense(2, 1.1, 0.3))
        _, nt_params = init_fn(jax.random.PRNGKey(SEED), (-1, 4))
        x1 = _sphere(jax.random.PRNGKey(5), 7, 4)
        x2 = _sphere(jax.random.PRNGKey(6), 5, 4)
    return nt, stax, fcn, nt_params, apply_fn, x1, x2


def test_deep_ntk_equals_neural_tangents(deep_setup):
    nt, _, fcn, nt_params, apply_fn, x1, x2 = deep_setup
    with enable_x64():
        expected = nt.empirical_kernel_fn(apply_fn)(x1, x2, "ntk", nt_params)
        # batch_size 3: blocks of 3 and a padded last block on both sides.
        ours = empirical_kernels(fcn, _strip(nt_params), x1, x2, batch_size=3)
        np.testing.assert_allclose(ours, expected, rtol=1e-10)
        same = empirical_kernels(fcn, _strip(nt_params), x1, batch_size=4)
        np.testing.assert_allclose(same, same.T, rtol=1e-12)


def test_deep_nngp_is_readout_feature_kernel(deep_setup):
    _, stax, fcn, nt_params, _, x1, x2 = deep_setup
    with enable_x64():
        layers = []
        for w in fcn.widths:
            layers += [stax.Dense(w, 1.5, 0.2), stax.Relu()]
        _, features_fn, _ = stax.serial(*layers)
        f1 = features_fn(nt_params[:-1], x1)
        f2 = features_fn(nt_params[:-1], x2)
        expected = 1.1**2 * f1 @ f2.T / fcn.widths[-1] + 0.3**2
        ours = empirical_kernels(fcn, _strip(nt_params), x1, x2, kind="nngp")
        np.testing.assert_allclose(ours, expected, rtol=1e-10)


def test_bad_inputs_name_the_parameter():
    x = _circle(4)
    key = jax.random.PRNGKey(0)
    with pytest.raises(ValueError, match="`x1` must be a non-empty 2-D array"):
        empirical_ntk_1hl(jnp.sin, x[0], width=8, key=key)
    with pytest.raises(ValueError, match="`x2` must have d_in=2"):
        empirical_ntk_1hl(jnp.sin, x, np.ones((3, 5)), width=8, key=key)
    with pytest.raises(ValueError, match="`width` must be >= 1"):
        empirical_ntk_1hl(jnp.sin, x, width=0, key=key)
    with pytest.raises(ValueError, match="`key` must be a JAX PRNG key"):
        empirical_ntk_1hl(jnp.sin, x, width=8)
    with pytest.raises(TypeError, match="`activation` must be callable"):
        empirical_ntk_1hl("sin", x, width=8, key=key)
    fcn = FCN(2, (8,), 1, jnp.sin)
    with pytest.raises(ValueError, match="`params` gives one fixed net"):
        empirical_ntk_1hl(jnp.sin, x, width=8, key=key, params=init_params(key, fcn))
    with pytest.raises(ValueError, match="`kind` must be 'ntk' or 'nngp'"):
        empirical_kernels(fcn, init_params(key, fcn), x, kind="cntk")


def test_cpu_float32_path_has_no_xla_sine():
    """The fast path is active: the compiled 1HL program has no XLA sin/cos.

    Once failed silently: a nested jit inside the activation kept jnp.sin.
    """
    if jax.default_backend() != "cpu":
        pytest.skip("the polynomial sin/cos is used on CPU only")
    from revntk_core.engine._empirical import _of_params_1hl

    x = jnp.asarray(_circle(8), jnp.float32)
    fcn = FCN(2, (64,), 1, Sin(amplitude=0.5, frequency=6.0))
    params = init_params(jax.random.PRNGKey(0), fcn)
    text = _of_params_1hl.lower(params, x, None, fcn, 32, "ntk").as_text()
    assert "sine" not in text and "cosine" not in text
    nested = jax.jit(lambda z: 0.5 * jnp.sin(6.0 * z))
    fcn = FCN(2, (64,), 1, nested)
    text = _of_params_1hl.lower(params, x, None, fcn, 32, "ntk").as_text()
    assert "sine" not in text and "cosine" not in text


def test_fast_trig_failure_falls_back_with_one_warning(monkeypatch):
    import revntk_core.engine._fast_trig as fast_trig

    def broken(fun):
        raise RuntimeError("internals moved")

    monkeypatch.setattr(fast_trig, "_with_fast_trig", broken)
    fast_trig._warn_no_fast_trig.cache_clear()
    x = _circle(6)
    act = lambda z: jnp.sin(z)  # A fresh callable: forces a fresh trace.
    with pytest.warns(UserWarning, match="fast CPU sin/cos rewrite failed"):
        out = empirical_ntk_1hl(act, x, width=64, key=jax.random.PRNGKey(0))
    monkeypatch.undo()
    ref = empirical_ntk_1hl(act, x, width=64, key=jax.random.PRNGKey(0), chunk=32)
    np.testing.assert_allclose(out.mean, ref.mean, rtol=1e-5)


def test_groups_of_nets_give_the_same_nets(monkeypatch):
    """Splitting nets into padded groups (bounded parameter memory) changes
    nothing: 5 nets in groups of 2 (+1 padded net) equal one group of 5."""
    import revntk_core.engine._empirical as emp

    x = _circle(10)
    key = jax.random.PRNGKey(SEED)
    act = jnp.tanh
    whole = empirical_ntk_1hl(act, x, width=128, n_nets=5, key=key)
    monkeypatch.setattr(emp, "_PARAM_BUDGET", 2 * 5 * 128)  # 2 nets per group.
    grouped = empirical_ntk_1hl(act, x, width=128, n_nets=5, key=key)
    assert grouped.per_net.shape == (5, 10, 10)
    np.testing.assert_allclose(grouped.per_net, whole.per_net, rtol=1e-6)
