"""Hermite basis: orthonormality, explicit form, coefficients, conversions."""

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.special as sp

from revntk_core.kernels import (
    Exp,
    Relu,
    Sin,
    Step,
    hermite_coefficients,
    hermite_to_monomial,
    hermite_values,
    monomial_to_hermite,
)


def _gauss_hermite(n: int):
    x, w = sp.roots_hermitenorm(n)
    return x, w / math.sqrt(2 * math.pi)


def test_orthonormal_to_degree_300():
    """Gauss-Hermite with 310 nodes integrates h_k h_l (degree <= 600)
    exactly; 1e-10 allows rounding in 300 recurrence steps. (Beyond degree
    ~360 the Gaussian weight at the outer nodes underflows float64, so the
    check moves to exact values below.)"""
    x, w = _gauss_hermite(310)
    h = hermite_values(x, 300)
    gram = (h * w) @ h.T
    np.testing.assert_allclose(gram, np.eye(301), atol=1e-10)


@pytest.mark.parametrize("z", [Fraction(0), Fraction(7, 3), Fraction(-61, 2)])
def test_degree_500_against_exact_rational_arithmetic(z):
    """He_k(z) by the integer recurrence in exact rationals, normalised by
    sqrt(k!) only at the end: 1e-11 relative after 500 float steps."""
    he_prev, he = Fraction(1), z
    for k in range(2, 501):
        he_prev, he = he, z * he - (k - 1) * he_prev
    log_abs = math.log(abs(he.numerator)) - math.log(he.denominator)
    exact = (1 if he > 0 else -1) * math.exp(log_abs - 0.5 * math.lgamma(501))
    ours = hermite_values(float(z), 500)[500]
    assert np.isfinite(ours)
    assert ours == pytest.approx(exact, rel=1e-11, abs=1e-14)


def test_explicit_form_and_low_degrees():
    """SPEC section 2: h_k = sum (-1)^{(k-l)/2} sqrt(k!) / ((k-l)!! l!) z^l."""
    z = np.linspace(-3, 3, 13)
    h = hermite_values(z, 10)
    np.testing.assert_allclose(h[2], (z**2 - 1) / math.sqrt(2), atol=1e-14)
    np.testing.assert_allclose(h[3], (z**3 - 3 * z) / math.sqrt(6), atol=1e-14)
    for k in range(11):
        explicit = sum(
            (-1) ** ((k - l) // 2)
            * math.sqrt(math.factorial(k))
            / (sp.factorial2(k - l) * math.factorial(l))
            * z**l
            for l in range(k % 2, k + 1, 2)
        )
        np.testing.assert_allclose(h[k], explicit, rtol=1e-12, atol=1e-12)


def test_shape_and_bad_degree():
    assert hermite_values(np.zeros((2, 3)), 4).shape == (5, 2, 3)
    with pytest.raises(ValueError, match="`degree` must be >= 0"):
        hermite_values(0.0, -1)


def test_eq_9_correlated_expectation():
    """E[h_k(z1) h_l(z2)] = c^k delta_kl by a 2-D Gauss-Hermite rule, exact
    for these polynomial degrees (<= 16 per variable with 40 nodes)."""
    x, w = _gauss_hermite(40)
    for c in (-0.7, 0.0, 0.45, 1.0):
        z2 = c * x[:, None] + math.sqrt(1 - c * c) * x[None, :]
        h1 = hermite_values(x, 8)
        h2 = hermite_values(z2, 8)
        m = np.einsum("ka,lab,a,b->kl", h1, h2, w, w)
        np.testing.assert_allclose(m, np.diag(c ** np.arange(9)), atol=1e-12)


def _relu_closed(degree):
    """b_0 = 1/sqrt(2 pi), b_1 = 1/2, b_k = phi(0) h_{k-2}(0) / sqrt(k(k-1))
    (two integrations by parts, relu'' = delta)."""
    h0 = hermite_values(0.0, degree)
    b = np.zeros(degree + 1)
    b[0], b[1] = 1 / math.sqrt(2 * math.pi), 0.5
    k = np.arange(2, degree + 1)
    b[2:] = h0[:-2] / math.sqrt(2 * math.pi) / np.sqrt(k * (k - 1))
    return b


def _log_fact_sqrt(k):
    return 0.5 * sp.gammaln(k + 1)


@pytest.mark.parametrize(
    ("activation", "closed"),
    [
        (Relu(), _relu_closed),
        # sin(a z): b_k = (-1)^{(k-1)/2} a^k e^{-a^2/2} / sqrt(k!) for odd k
        (
            Sin(1.0, 6.0),
            lambda n: np.where(
                np.arange(n + 1) % 2 == 1,
                (-1.0) ** ((np.arange(n + 1) - 1) // 2)
                * np.exp(
                    np.arange(n + 1) * math.log(6.0)
                    - 18.0
                    - _log_fact_sqrt(np.arange(n + 1))
                ),
                0.0,
            ),
        ),
        # exp(a z): b_k = e^{a^2/2} a^k / sqrt(k!)
        (
            Exp(1.0, 1.0),
            lambda n: np.exp(0.5 - _log_fact_sqrt(np.arange(n + 1))),
        ),
        # step: b_0 = 1/2, b_k = phi(0) h_{k-1}(0) / sqrt(k)
        (
            Step(),
            lambda n: np.concatenate(
                [
                    [0.5],
                    hermite_values(0.0, n - 1)
                    / math.sqrt(2 * math.pi)
                    / np.sqrt(np.arange(1, n + 1)),
                ]
            ),
        ),
    ],
)
def test_coefficients_against_closed_forms(activation, closed):
    """Split Gauss-Legendre is exact to rounding even across a kink or jump:
    1e-12 absolute, at degree 120 (and 500 for relu below)."""
    np.testing.assert_allclose(
        hermite_coefficients(activation, 120), closed(120), atol=1e-12
    )


def test_relu_coefficients_to_degree_500():
    np.testing.assert_allclose(
        hermite_coefficients(Relu(), 500), _relu_closed(500), atol=1e-11
    )


def test_shifted_kink_uses_breakpoints():
    """relu(z - 1.06): the coefficients (split at the kink) against the kernel
    code's orthant closed form, through SPEC eq. 13 (truncation at degree 40
    leaves < 1e-4 at |c| <= 0.9) and exactly at c = 0, where only b_0 counts."""
    exact = hermite_coefficients(Relu(1.06), 40)
    c = np.linspace(-0.9, 0.9, 5)
    # E[relu(z1-b) relu(z2-b)] = sum b_k^2 c^k, cross-checked with the kernel code
    from revntk_core.kernels import tau

    series = (c[:, None] ** np.arange(41)) @ exact**2
    np.testing.assert_allclose(series, tau(Relu(1.06), c), atol=1e-4)
    np.testing.assert_allclose(tau(Relu(1.06), 0.0), exact[0] ** 2, atol=1e-14)


def test_monomial_conversions():
    # h_3 = (z^3 - 3z)/sqrt 6
    np.testing.assert_allclose(
        hermite_to_monomial([0, 0, 0, 1]),
        np.array([0, -3, 0, 1]) / math.sqrt(6),
        atol=1e-15,
    )
    rng = np.random.default_rng(1)
    for n in (5, 20):
        b = rng.normal(size=n + 1)
        a = hermite_to_monomial(b)
        # value check against hermite_values, and the round trip
        z = np.linspace(-2, 2, 9)
        np.testing.assert_allclose(
            np.polynomial.polynomial.polyval(z, a), b @ hermite_values(z, n), rtol=1e-10
        )
        np.testing.assert_allclose(monomial_to_hermite(a), b, atol=1e-9)
    # z^2 = h_0 + sqrt 2 h_2
    np.testing.assert_allclose(
        monomial_to_hermite([0, 0, 1]), [1, 0, math.sqrt(2)], atol=1e-15
    )
    with pytest.raises(ValueError, match="`a` must be a non-empty 1-D"):
        monomial_to_hermite([])
