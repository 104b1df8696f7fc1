"""Sign policy: exact finite-width NTK fluctuations and the sign search."""

import itertools
import math

import jax
import numpy as np
import pytest
from scipy import stats

from revntk_core.engine import choose_signs, measured_ntk_std, predicted_ntk_std

SEED = 1729
# SPEC E1 cosines: the first of 100 circle points against all of them.
E1_COSINES = np.cos(np.linspace(0.0, np.pi, 100))


def _relu_4hl_ntk_coeffs() -> np.ndarray:
    """|b_0..b_5| of the degree-5 NTK design for the 4HL ReLU NTK (SPEC E1)."""
    design = pytest.importorskip("revntk_core.design")
    d = design.design(design.E1_TARGETS["ntk:4hl-relu"], degree=5, kind="ntk")
    return np.abs(np.asarray(d.hermite_coeffs))


def _sin_hermite(degree: int = 21) -> np.ndarray:
    """Hermite coefficients of sin(z): (-1)^((k-1)/2) e^{-1/2} / sqrt(k!), k odd.

    Truncated at degree 21, where the next coefficient is below 1e-11.
    """
    k = np.arange(degree + 1)
    b = np.where(k % 2, (-1.0) ** ((k - 1) // 2) * math.exp(-0.5), 0.0)
    return b / np.sqrt([float(math.factorial(i)) for i in k])


def test_identity_activation_closed_form():
    """phi(z) = z: theta = z z' + v^2 c, Var = 1 + 3 c^2 (Isserlis)."""
    c = np.array([-1.0, -0.3, 0.0, 0.6, 1.0])
    got = predicted_ntk_std([0.0, 1.0], None, c, width=16)
    np.testing.assert_allclose(got, np.sqrt((1 + 3 * c**2) / 16), rtol=1e-12)


def test_predicted_variance_matches_monte_carlo():
    """Degree-2 series with biases and W_std != 1, against 4e6 samples.

    The tolerance is 5 Monte Carlo standard errors of the variance estimate
    (the std of (theta - mean)^2 over the samples / sqrt(n)).
    """
    b = np.array([0.3, -0.8, 0.5])
    W_std, b_std, c = 1.3, 0.4, 0.35
    q, s = W_std**2 + b_std**2, W_std**2 * c + b_std**2
    rng = np.random.default_rng(SEED)
    n = 4_000_000
    g1, g2, v = rng.standard_normal((3, n))
    u = s / q
    z1 = math.sqrt(q) * g1
    z2 = math.sqrt(q) * (u * g1 + math.sqrt(1 - u * u) * g2)

    def phi(z):
        return b[0] + b[1] * z + b[2] * (z * z - 1) / math.sqrt(2)

    def dphi(z):
        return b[1] + b[2] * math.sqrt(2) * z

    theta = phi(z1) * phi(z2) + v * v * dphi(z1) * dphi(z2) * s
    dev2 = (theta - theta.mean()) ** 2
    mc_var, mc_se = dev2.mean(), dev2.std() / math.sqrt(n)
    pred = predicted_ntk_std(b, None, c, width=1, W_std=W_std, b_std=b_std) ** 2
    assert abs(pred - mc_var) < 5 * mc_se, (pred, mc_var, mc_se)


def test_std_is_invariant_under_global_and_odd_flips_only():
    b = _relu_4hl_ntk_coeffs()
    b = b + 0.2  # Make every coefficient nonzero, so every sign matters.
    c = np.linspace(-1, 1, 11)
    base = predicted_ntk_std(b, None, c, width=64)
    odd_flip = np.where(np.arange(b.size) % 2, -1, 1)
    for s in (-np.ones(b.size), odd_flip, -odd_flip):
        np.testing.assert_allclose(
            predicted_ntk_std(b, s, c, width=64), base, rtol=1e-10
        )
    one_flip = np.ones(b.size)
    one_flip[4] = -1
    assert np.max(np.abs(predicted_ntk_std(b, one_flip, c, width=64) - base)) > 1e-3


def test_choose_signs_is_the_brute_force_minimum():
    b = np.array([0.9, 0.4, 0.7, 0.3, 0.5, 0.2])
    grid = np.linspace(-1, 1, 21)
    for objective, reduce in (("mean", np.mean), ("max", np.max)):
        chosen = choose_signs(b, width=512, c_grid=grid, objective=objective)
        assert chosen[0] == 1 and chosen[1] == 1  # Canonical representative.
        best = min(
            reduce(predicted_ntk_std(b, s, grid, width=512))
            for s in itertools.product((1, -1), repeat=b.size)
        )
        score = reduce(predicted_ntk_std(b, chosen, grid, width=512))
        assert score <= best * (1 + 1e-12)


def test_relu_target_chosen_signs_fluctuate_less_than_all_positive():
    """SPEC E1 4HL ReLU NTK at degree 5, 32 nets of width 2^10.

    Both sign vectors are measured on the same random nets (same key), so
    the comparison is paired: the net-to-net noise, which is large here
    (the degree-5 polynomial makes theta heavy-tailed), is common to both.
    """
    b = _relu_4hl_ntk_coeffs()
    chosen = choose_signs(b, width=2**10, c_grid=E1_COSINES)
    ones = np.ones(b.size)
    pred = [
        predicted_ntk_std(b, s, E1_COSINES, width=2**10).mean() for s in (chosen, ones)
    ]
    assert pred[0] < 0.95 * pred[1]
    key = jax.random.PRNGKey(SEED)
    meas = [
        measured_ntk_std(b, s, E1_COSINES, width=2**10, n_nets=32, key=key).mean()
        for s in (chosen, ones)
    ]
    assert meas[0] <= meas[1], (chosen, meas, pred)


def test_predicted_std_matches_measured():
    """phi = sin(z) (bounded, so the std estimate is near chi-square).

    (N - 1) s^2 / sigma^2 ~ chi2(N - 1) for N nets when the kernel, a mean of
    512 neurons with light tails, is Gaussian. The accepted band is the
    two-sided 1e-4 chi-square interval per cosine: 6e-4 over 6 cosines.
    """
    b = _sin_hermite()
    c = np.array([-0.9, -0.4, 0.0, 0.3, 0.7, 1.0])
    n_nets, width = 128, 512
    pred = predicted_ntk_std(b, None, c, width=width)
    meas = measured_ntk_std(
        b, None, c, width=width, n_nets=n_nets, key=jax.random.PRNGKey(SEED)
    )
    lo, hi = stats.chi2.ppf([0.5e-4, 1 - 0.5e-4], n_nets - 1) / (n_nets - 1)
    ratio2 = (meas / pred) ** 2
    assert np.all((ratio2 > lo) & (ratio2 < hi)), ratio2


def test_bad_arguments():
    with pytest.raises(ValueError, match="`signs` must hold 3 entries"):
        predicted_ntk_std([1.0, 0.5, 0.2], [1, 0, 1], 0.5, width=8)
    with pytest.raises(ValueError, match="`hermite_coeffs` must be a non-empty"):
        predicted_ntk_std([], None, 0.5, width=8)
    with pytest.raises(ValueError, match="`width` must be a positive int"):
        predicted_ntk_std([1.0], None, 0.5, width=0)
    with pytest.raises(ValueError, match="`objective` must be 'mean' or 'max'"):
        choose_signs([1.0, 1.0], width=8, objective="median")
    with pytest.raises(ValueError, match="`n_nets` must be an int >= 2"):
        measured_ntk_std([1.0], None, 0.5, width=8, n_nets=1, key=jax.random.PRNGKey(0))
