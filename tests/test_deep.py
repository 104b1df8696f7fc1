"""Deep FCN kernels: own layer recursion against neural-tangents and closed forms."""

import math

import numpy as np
import pytest

from revntk_core.design import fcn_kernels, nt_fcn_kernels
from revntk_core.kernels import Relu, Scaled, Sin

# 101 cosines of the SPEC E1 inputs (c = cos t, t uniform on [0, pi]) plus
# values a few ulps outside [-1, 1], which must be clipped, not NaN.
C = np.concatenate(
    [np.cos(np.linspace(0.0, np.pi, 101)), [1.0 + 4e-16, -1.0 - 4e-16, 0.3]]
)
# Both sides are float64 closed forms of the same recursion; they differ only by
# rounding (measured ~1e-15), so 1e-6 relative leaves a wide margin while still
# catching any wrong variance or layer count (errors of order 1e-2 or more).
RTOL_NT = 1e-6


@pytest.mark.parametrize("activation", ["relu", "erf"])
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("b_std", [0.0, 0.1])
def test_recursion_matches_neural_tangents(activation, depth, b_std):
    ours = fcn_kernels(C, depth=depth, activation=activation, W_std=2**0.5, b_std=b_std)
    theirs = nt_fcn_kernels(
        C, depth=depth, activation=activation, W_std=2**0.5, b_std=b_std
    )
    for mine, ref in zip(ours, theirs, strict=True):
        assert np.all(np.isfinite(mine))
        np.testing.assert_allclose(mine, ref, rtol=RTOL_NT, atol=0)


def test_readout_and_other_scales_match_neural_tangents():
    kwargs = dict(depth=3, W_std=1.3, b_std=0.7, readout_W_std=0.8, readout_b_std=0.2)
    for act in ("relu", "erf"):
        ours = fcn_kernels(C, activation=act, **kwargs)
        theirs = nt_fcn_kernels(C, activation=act, **kwargs)
        np.testing.assert_allclose(ours, theirs, rtol=RTOL_NT, atol=0)


def test_relu_one_layer_closed_form():
    """sigma_w = 1, sigma_b = 0: the 1HL ReLU kernels of SPEC eqs. 36 and 18."""
    c = np.clip(C, -1, 1)
    nngp, ntk = fcn_kernels(C, depth=1, W_std=1.0, b_std=0.0)
    acos = np.arccos(c)
    np.testing.assert_allclose(
        nngp,
        ((np.pi - acos) * c + np.sqrt(1 - c**2)) / (2 * np.pi),
        rtol=1e-13,
        atol=1e-15,
    )
    np.testing.assert_allclose(
        ntk,
        (np.sqrt(1 - c**2) + 2 * c * (np.pi - acos)) / (2 * np.pi),
        rtol=1e-13,
        atol=1e-15,
    )


def test_relu_he_scaling_keeps_unit_diagonal():
    """With sigma_w = sqrt 2, sigma_b = 0 every layer keeps K(1) = 1, and the NTK
    at c = 1 is depth + 1 (each layer adds sigma_w^2 * E[step^2] = 1)."""
    for depth in range(1, 6):
        nngp, ntk = fcn_kernels([1.0], depth=depth, W_std=math.sqrt(2), b_std=0.0)
        assert nngp[0] == pytest.approx(1.0, rel=1e-14)
        assert ntk[0] == pytest.approx(depth + 1.0, rel=1e-14)


def test_general_path_matches_closed_form():
    """Scaled(1, Relu()) is not recognised as plain ReLU, so it goes through
    revntk_core.kernels.tau with a variance argument; agreement to 1e-10 checks
    the variance handling of that path (both sides are float64 closed forms or
    converged quadrature)."""
    kwargs = dict(depth=3, W_std=2**0.5, b_std=0.1)
    direct = fcn_kernels(C, activation="relu", **kwargs)
    general = fcn_kernels(C, activation=Scaled(1.0, Relu()), **kwargs)
    np.testing.assert_allclose(general, direct, rtol=1e-10, atol=1e-12)


def test_sin_one_layer_closed_form():
    """tau of sin(z) is e^-1 sinh(c) and its NTK e^-1 (sinh c + c cosh c)."""
    c = np.clip(C, -1, 1)
    nngp, ntk = fcn_kernels(C, depth=1, activation=Sin(), W_std=1.0, b_std=0.0)
    np.testing.assert_allclose(nngp, np.exp(-1) * np.sinh(c), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(
        ntk, np.exp(-1) * (np.sinh(c) + c * np.cosh(c)), rtol=1e-10, atol=1e-13
    )


@pytest.mark.filterwarnings("ignore:Numerical Activation Layer")
@pytest.mark.filterwarnings("ignore:Using JAX autodiff")
def test_sin_deep_matches_neural_tangents_numerical():
    """Depth 2, sigma_b = 0.1 against NT's ElementwiseNumerical (64-point
    Gauss-Hermite on a smooth activation: accurate to ~1e-8 here); 1e-6."""
    kwargs = dict(depth=2, activation=Sin(), W_std=1.2, b_std=0.1)
    ours = fcn_kernels(C[::5], **kwargs)
    theirs = nt_fcn_kernels(C[::5], **kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


def test_shape_is_kept():
    c = np.linspace(-1, 1, 12).reshape(3, 4)
    nngp, ntk = fcn_kernels(c, depth=2, W_std=1.0, b_std=0.1)
    assert nngp.shape == ntk.shape == (3, 4)
    assert nngp.dtype == np.float64


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(depth=0, W_std=1.0, b_std=0.0), "`depth`"),
        (dict(depth=2, W_std=-1.0, b_std=0.0), "`W_std`"),
        (dict(depth=2, W_std=1.0, b_std=float("nan")), "`b_std`"),
        (dict(depth=2, W_std=1.0, b_std=0.0, activation="nonsense"), "`activation`"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fcn_kernels([0.5], **kwargs)


def test_nan_cosine_is_rejected():
    with pytest.raises(ValueError, match="`c`"):
        fcn_kernels([np.nan], depth=1, W_std=1.0, b_std=0.0)
