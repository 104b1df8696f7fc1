"""Exact 1HL kernels against closed forms, neural-tangents, Hermite series and
adaptive quadrature."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from revntk_core.kernels import (
    PAPER_ANSATZ,
    Activation,
    Ansatz,
    Constant,
    Cos,
    Erf,
    Exp,
    HermiteSeries,
    Identity,
    Relu,
    Sin,
    Step,
    Tanh,
    hermite_coefficients,
    kernels_1hl,
    nngp_1hl,
    ntk_1hl,
    tau,
)

# Cosines covering [-1, 1] with both endpoints and points close to them.
C_GRID = np.concatenate([[-1.0, -1 + 1e-9, 1 - 1e-9, 1.0], np.linspace(-1, 1, 41)])
# Closed forms and our closed-form pairs are both exact up to float64 rounding
# on O(1) values; 1e-12 leaves room for a few dozen roundings.
EXACT = 1e-12


def _relu_tau(c):
    return ((math.pi - np.arccos(c)) * c + np.sqrt(1 - c * c)) / (2 * math.pi)


def _relu_ntk(c):
    return (np.sqrt(1 - c * c) + 2 * c * (math.pi - np.arccos(c))) / (2 * math.pi)


@pytest.mark.parametrize(
    ("activation", "nngp", "ntk"),
    [
        (Relu(), _relu_tau, _relu_ntk),
        (
            Sin(1.0, 1.7),
            lambda c: np.exp(-(1.7**2)) * np.sinh(1.7**2 * c),
            lambda c: (
                np.exp(-(1.7**2))
                * (np.sinh(1.7**2 * c) + 1.7**2 * c * np.cosh(1.7**2 * c))
            ),
        ),
        (
            Cos(1.0, 2.0),
            lambda c: np.exp(-4.0) * np.cosh(4.0 * c),
            lambda c: np.exp(-4.0) * (np.cosh(4 * c) + 4 * c * np.sinh(4 * c)),
        ),
        (
            Exp(1.0, 0.8),
            lambda c: np.exp(0.64 * (c + 1)),
            lambda c: np.exp(0.64 * (1 + c)) * (1 + 0.64 * c),
        ),
    ],
)
def test_closed_forms_of_spec_eqs_33_to_36_and_15_to_18(activation, nngp, ntk):
    np.testing.assert_allclose(nngp_1hl(activation, C_GRID), nngp(C_GRID), rtol=EXACT)
    np.testing.assert_allclose(ntk_1hl(activation, C_GRID), ntk(C_GRID), rtol=EXACT)


@pytest.mark.parametrize(
    ("activation", "degree", "c_max"),
    [
        # b_k of sin/cos/exp fall like a^k / sqrt(k!): 80 terms are exact.
        (Sin(1.0, 2.0), 80, 1.0),
        (Cos(0.7, 1.5, 0.4), 80, 1.0),
        (Exp(1.0, 1.0), 80, 1.0),
        # b_k^2 of relu fall like k^{-5/2}; at |c| <= 0.8 the tail past 150 is
        # below 0.8^150 ~ 3e-15.
        (Relu(), 150, 0.8),
        # The analytic (but not closed-form) quadrature paths.
        (Tanh(), 150, 0.8),
        (Relu(0.3) + Erf(), 150, 0.8),
    ],
)
def test_kernels_match_hermite_series_eqs_13_14(activation, degree, c_max):
    """SPEC eqs. 13-14 with b_k from quadrature; 1e-9 covers the
    coefficient quadrature (1e-13 each) times up to 150 terms."""
    b = hermite_coefficients(activation, degree)
    c = np.linspace(-c_max, c_max, 21)
    k = np.arange(degree + 1)
    powers = c[:, None] ** k
    np.testing.assert_allclose(nngp_1hl(activation, c), powers @ b**2, atol=1e-9)
    np.testing.assert_allclose(
        ntk_1hl(activation, c), powers @ (b**2 * (1 + k)), atol=1e-9
    )


def test_hermite_series_activation_is_exact_eq_13_14():
    b = np.array([0.3, -0.5, 0.2, 0.7, -0.1, 0.05])
    k = np.arange(b.size)
    powers = C_GRID[:, None] ** k
    act = HermiteSeries(tuple(b))
    np.testing.assert_allclose(nngp_1hl(act, C_GRID), powers @ b**2, atol=EXACT)
    np.testing.assert_allclose(
        ntk_1hl(act, C_GRID), powers @ (b**2 * (1 + k)), atol=EXACT
    )


@pytest.fixture(scope="module")
def nt_stax():
    """neural-tangents stax with float64 enabled, restored afterwards."""
    jax = pytest.importorskip("jax")
    nt = pytest.importorskip("neural_tangents")
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield nt.stax
    jax.config.update("jax_enable_x64", old)


def _circle(n: int) -> np.ndarray:
    """Points of radius sqrt(2) in d = 2, angles 0..pi: cosines span [-1, 1]."""
    t = np.linspace(0.0, math.pi, n)
    return math.sqrt(2.0) * np.stack([np.cos(t), np.sin(t)], axis=1)


@pytest.mark.parametrize("name", ["relu", "erf", "sin"])
@pytest.mark.parametrize(("W_std", "b_std"), [(1.0, 0.0), (1.4, 0.3), (0.8, 1.1)])
def test_against_neural_tangents_analytic(nt_stax, name, W_std, b_std):
    """1e-5 relative (the issue's bar): NT's relu arccos loses sqrt(eps) at c=1."""
    act, layer = {
        "relu": (Relu(), nt_stax.Relu()),
        "erf": (Erf(), nt_stax.Erf()),
        "sin": (Sin(1.5, 2.0, 0.3), nt_stax.Sin(1.5, 2.0, 0.3)),
    }[name]
    _, _, kernel_fn = nt_stax.serial(
        nt_stax.Dense(1, W_std, b_std), layer, nt_stax.Dense(1, 1.0, 0.0)
    )
    rng = np.random.default_rng(0)
    unequal = rng.normal(size=(7, 3)) * rng.uniform(0.2, 2.0, size=(7, 1))
    for x in (_circle(17), unequal):
        ref = kernel_fn(x, x, ("nngp", "ntk"))
        nngp, ntk = kernels_1hl(act, x, W_std=W_std, b_std=b_std)
        for mine, theirs in ((nngp, ref.nngp), (ntk, ref.ntk)):
            theirs = np.asarray(theirs)
            np.testing.assert_allclose(
                mine, theirs, rtol=1e-5, atol=1e-5 * theirs.max()
            )
    c = _circle(17) @ _circle(17)[0] / 2.0
    ref = kernel_fn(_circle(17), _circle(17)[:1], ("nngp", "ntk"))
    np.testing.assert_allclose(
        ntk_1hl(act, c, W_std=W_std, b_std=b_std), np.asarray(ref.ntk)[:, 0], rtol=1e-5
    )
    assert c.min() == pytest.approx(-1.0) and c.max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "activation", [Relu(), Erf(), Tanh(), PAPER_ANSATZ, Sin(1.0, 6.0), Relu(0.5)]
)
def test_no_nan_when_rounding_pushes_c_past_one(activation):
    ulps = np.array([-1 - 4e-16, -1.0, 1.0, 1 + 4e-16])
    out = ntk_1hl(activation, ulps, W_std=1.2, b_std=0.1)
    assert np.all(np.isfinite(out))
    assert out[0] == out[1] and out[2] == out[3]


def test_rejects_bad_inputs():
    with pytest.raises(ValueError, match="`c` must be finite"):
        ntk_1hl(Relu(), [0.1, np.nan])
    with pytest.raises(ValueError, match="`c` must be cosines"):
        ntk_1hl(Relu(), [1.5])
    with pytest.raises(ValueError, match="`W_std` must be"):
        ntk_1hl(Relu(), 0.2, W_std=0.0)
    with pytest.raises(ValueError, match="`b_std` must be"):
        nngp_1hl(Relu(), 0.2, b_std=-1.0)
    with pytest.raises(ValueError, match="`var` must be"):
        tau(Relu(), 0.2, var=0.0)
    with pytest.raises(ValueError, match="zero row"):
        kernels_1hl(Relu(), np.zeros((2, 3)))
    with pytest.raises(NotImplementedError, match="Dirac"):
        ntk_1hl(Step(), 0.2)


# --- the ansatz phi~ against an independent adaptive-quadrature reference ---


def _ansatz_parts(p: Ansatz):
    def phi(z):
        return (
            p.alpha * max(z - p.beta, 0.0)
            + p.gamma * math.cos(p.delta * z + p.epsilon)
            + p.zeta * z
            + p.eta
        )

    def dphi(z):
        return (
            p.alpha * (z > p.beta)
            - p.gamma * p.delta * math.sin(p.delta * z + p.epsilon)
            + p.zeta
        )

    return phi, dphi


def _tau_by_nested_quad(f, kink: float, c: float) -> float:
    """E[f(z1) f(z2)] by nested scipy.integrate.quad, independent of the
    library: z2 = c z1 + sqrt(1 - c^2) y, the outer integral over z1 split at
    the kink, the inner over y split where c z1 + s y crosses it, both on
    [-12, 12] (Gaussian mass outside < 1e-32) with tolerances 1e-14."""
    pdf = lambda t: math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)
    lim, opts = 12.0, {"epsabs": 1e-14, "epsrel": 1e-13, "limit": 400}
    if abs(c) == 1.0:
        pts = sorted({kink, c * kink})
        g = lambda z: f(z) * f(c * z) * pdf(z)
        return integrate.quad(g, -lim, lim, points=pts, **opts)[0]
    s = math.sqrt(1 - c * c)

    def inner(x):
        cut = (kink - c * x) / s
        pts = [cut] if abs(cut) < lim else None
        h = lambda y: f(c * x + s * y) * pdf(y)
        return integrate.quad(h, -lim, lim, points=pts, **opts)[0]

    g = lambda x: f(x) * inner(x) * pdf(x)
    return integrate.quad(g, -lim, lim, points=[kink], **opts)[0]


@pytest.mark.parametrize("c", [-1.0, -0.55, 0.35, 0.97, 1.0])
def test_paper_ansatz_ntk_to_1e8_against_adaptive_quadrature(c):
    """NTK (1 + c d/dc) tau (SPEC eq. 14) of phi~ with the SPEC eq. 29
    parameters. The reference is two nested adaptive quadratures of
    E[phi phi] + c E[phi' phi'] (SPEC eq. 8 at sigma_w = 1, sigma_b = 0),
    split at the kink z = beta; it shares no code with the library."""
    phi, dphi = _ansatz_parts(PAPER_ANSATZ)
    beta = PAPER_ANSATZ.beta
    ref = _tau_by_nested_quad(phi, beta, c) + c * _tau_by_nested_quad(dphi, beta, c)
    assert float(ntk_1hl(PAPER_ANSATZ, c)) == pytest.approx(ref, rel=1e-8)


def test_ansatz_data_kernels_match_cosine_form_on_the_sphere():
    x = _circle(11)
    nngp, ntk = kernels_1hl(PAPER_ANSATZ, x)
    c = np.clip(x @ x.T / 2.0, -1, 1)
    np.testing.assert_allclose(ntk, ntk_1hl(PAPER_ANSATZ, c), rtol=EXACT)
    np.testing.assert_allclose(nngp, nngp_1hl(PAPER_ANSATZ, c), rtol=EXACT)


def test_tau_identity_6_for_shifted_kinks_and_variance():
    """tau_{phi'}(c; q) = q^{-1} d tau_phi / dc (SPEC eq. 6) by central
    differences (h = 1e-5: truncation ~ h^2 tau''' ~ 1e-9)."""
    phi, q, h = Relu(0.7) + 0.4 * Cos(1.0, 3.0, 0.2) - 0.2 * Identity(), 1.7, 1e-5
    c = np.linspace(-0.95, 0.95, 15)
    fd = (tau(phi, c + h, q) - tau(phi, c - h, q)) / (2 * h)
    np.testing.assert_allclose(tau(phi.derivative(), c, q), fd / q, atol=1e-7)


def test_generic_quadrature_path_for_tanh_with_variance():
    """Tanh (no closed form) at q = 2.5 against nested adaptive quadrature."""
    q = 2.5
    s = math.sqrt(q)
    pdf = lambda t: math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)
    for c in (-0.8, 0.3, 1.0):
        r = math.sqrt(1 - c * c)

        def inner(x, r=r, c=c):
            g = lambda y: math.tanh(s * (c * x + r * y)) * pdf(y)
            return integrate.quad(g, -12, 12, epsabs=1e-14)[0]

        g = lambda x, inner=inner: math.tanh(s * x) * inner(x) * pdf(x)
        ref = integrate.quad(g, -12, 12, epsabs=1e-14)[0]
        assert float(tau(Tanh(), c, q)) == pytest.approx(ref, abs=1e-10)


# --- Corollary 3.2 (sigma_b = 0), as property tests ---


def _reflected(act: Activation) -> Activation:
    """phi(-z) built from other parameters (so the kernel code sees new atoms)."""
    if isinstance(act, Sin | Cos):
        return type(act)(act.amplitude, -act.frequency, act.phase)
    if isinstance(act, Exp):
        return Exp(act.amplitude, -act.frequency)
    if isinstance(act, HermiteSeries):
        return HermiteSeries(tuple((-1) ** k * b for k, b in enumerate(act.coeffs)))
    if isinstance(act, Ansatz):  # relu(-z - b) = relu(z + b) - z - b
        p = act
        return (
            p.alpha * (Relu(-p.beta) - Identity() - Constant(p.beta))
            + Cos(p.gamma, -p.delta, p.epsilon)
            - p.zeta * Identity()
            + p.eta
        )
    raise AssertionError(act)


_finite = st.floats(-2.0, 2.0, allow_nan=False)
_activations = st.one_of(
    st.builds(Sin, _finite, st.floats(0.1, 3.0), _finite),
    st.builds(Cos, _finite, st.floats(0.1, 3.0), _finite),
    st.builds(Exp, _finite, st.floats(-1.0, 1.0)),
    st.lists(_finite, min_size=1, max_size=7).map(lambda b: HermiteSeries(tuple(b))),
    st.builds(Ansatz, _finite, _finite, _finite, st.floats(0.1, 6.0), *[_finite] * 3),
)
_sigma_w = st.floats(0.3, 2.0)
_C = np.linspace(-1.0, 1.0, 9)


@settings(max_examples=25, deadline=None)
@given(act=_activations, w=_sigma_w, alpha=st.floats(-3.0, 3.0))
def test_corollary_3_2_b_scaling(act, w, alpha):
    for fn in (nngp_1hl, ntk_1hl):
        base = fn(act, _C, W_std=w)
        np.testing.assert_allclose(
            fn(alpha * act, _C, W_std=w), alpha**2 * base, rtol=1e-11, atol=1e-11
        )


@settings(max_examples=25, deadline=None)
@given(act=_activations, w=_sigma_w)
def test_corollary_3_2_c_reflection(act, w):
    """Relative to the kernel's size: reflected ansatz terms cancel (z + b)."""
    for fn in (nngp_1hl, ntk_1hl):
        base = fn(act, _C, W_std=w)
        scale = 1e-10 * (1 + np.abs(base).max())
        np.testing.assert_allclose(fn(_reflected(act), _C, W_std=w), base, atol=scale)


@settings(max_examples=25, deadline=None)
@given(act=_activations, w=_sigma_w)
def test_corollary_3_2_a_derivative(act, w):
    """NNGP of phi' = sigma_w^-2 d/dc NNGP of phi, by central differences on
    [-0.9, 0.9] (h = 1e-5: error ~ h^2 K''' + eps K / h ~ 1e-9 relative).
    (For the NTK the identity does not hold: by SPEC eq. 14 the phi' NTK has
    coefficients (k+1)^2 b_{k+1}^2, the derivative (k+1)(k+2) b_{k+1}^2.)"""
    c, h = np.linspace(-0.9, 0.9, 7), 1e-5
    fd = (nngp_1hl(act, c + h, W_std=w) - nngp_1hl(act, c - h, W_std=w)) / (2 * h)
    mine = nngp_1hl(act.derivative(), c, W_std=w)
    scale = 1e-7 * (1 + np.abs(fd).max() + np.abs(nngp_1hl(act, c, W_std=w)).max())
    np.testing.assert_allclose(mine, fd / w**2, atol=scale)


@pytest.mark.parametrize("beta", [3.36e-173, 1e-300, 5e-324, -1e-200])
def test_relu_shift_below_underflow_is_the_unshifted_kernel(beta):
    """A kink shifted by less than ~1e-162 once flipped the kernel in c: the
    product of the two orthant bounds underflowed to 0 and picked the wrong
    branch of Owen's formula. The kernel is continuous in the shift."""
    for fn in (nngp_1hl, ntk_1hl):
        np.testing.assert_allclose(
            fn(Relu(shift=beta), _C), fn(Relu(), _C), rtol=1e-12, atol=1e-15
        )
        shifted = Ansatz(1.0, beta, 0.0, 1.0, 0.0, 0.0, 0.0)
        np.testing.assert_allclose(fn(shifted, _C), fn(Relu(), _C), atol=1e-12)
