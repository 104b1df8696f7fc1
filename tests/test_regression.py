"""Kernel regression against sklearn and closed forms."""

import numpy as np
import pytest
from sklearn.kernel_ridge import KernelRidge

from revntk_core.engine import (
    kernel_regression,
    kernel_regression_at_epochs,
    kernel_regression_on_data,
)
from revntk_core.engine._regression import DEFAULT_RIDGE


def _rbf(a, b):
    d2 = np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None, :] - 2 * a @ b.T
    return np.exp(-0.5 * np.clip(d2, 0, None))


def _data(n=40, m=15, d=3, k=2, seed=0):
    rng = np.random.default_rng(seed)
    x, xt = rng.normal(size=(n, d)), rng.normal(size=(m, d))
    y = rng.normal(size=(n, k))
    return x, y, xt


@pytest.mark.parametrize("ridge", [1e-3, 0.1, DEFAULT_RIDGE])
@pytest.mark.parametrize("k", [1, 3])
def test_equals_sklearn_kernel_ridge(ridge, k):
    """KernelRidge(alpha = ridge * mean diag K) on the same Gram matrices.

    Both solve the same float64 system; the RBF Gram matrix of 40 points has
    condition number <~1e9 at the smallest ridge, so predictions agree to
    1e-6 relative (measured ~1e-9); to 1e-9 at the larger ridges.
    """
    x, y, xt = _data(k=k)
    y = y[:, 0] if k == 1 else y
    K, Kt = _rbf(x, x), _rbf(xt, x)
    ours = kernel_regression(K, y, Kt, ridge=ridge)
    sk = KernelRidge(kernel="precomputed", alpha=ridge * np.mean(np.diag(K)))
    sk.fit(K, y)
    tol = 1e-6 if ridge < 1e-6 else 1e-9
    scale = np.max(np.abs(y))
    np.testing.assert_allclose(ours.test, sk.predict(Kt), atol=tol * scale)
    np.testing.assert_allclose(ours.train, sk.predict(K), atol=tol * scale)
    assert ours.test.shape == (len(xt),) + y.shape[1:]


def test_interpolates_without_ridge():
    """ridge=0 on a nonsingular Gram matrix reproduces the training targets."""
    x, y, xt = _data(n=20)
    pred = kernel_regression(_rbf(x, x), y, _rbf(xt, x), ridge=0.0)
    np.testing.assert_allclose(pred.train, y, atol=1e-6)


def test_duplicate_rows_need_the_default_ridge():
    """Duplicate inputs make K singular; the default ridge keeps Cholesky
    defined, averages the duplicates' targets, and matches sklearn."""
    x, y, xt = _data(n=20)
    x = np.concatenate([x, x[:5]])
    y = np.concatenate([y, y[:5] + 1.0])  # conflicting labels on duplicates
    K, Kt = _rbf(x, x), _rbf(xt, x)
    pred = kernel_regression(K, y, Kt)
    assert np.all(np.isfinite(pred.test))
    # A duplicated pair gets the mean of its two targets (up to the ridge).
    np.testing.assert_allclose(pred.train[:5], pred.train[20:], atol=1e-9)
    np.testing.assert_allclose(pred.train[:5], y[:5] + 0.5, atol=1e-4)
    sk = KernelRidge(kernel="precomputed", alpha=DEFAULT_RIDGE * np.mean(np.diag(K)))
    np.testing.assert_allclose(pred.test, sk.fit(K, y).predict(Kt), atol=1e-5)


def test_singular_without_ridge_warns_and_falls_back():
    x, y, xt = _data(n=10)
    x = np.concatenate([x, x[:2]])
    y = np.concatenate([y, y[:2]])
    with pytest.warns(UserWarning, match="not positive definite"):
        pred = kernel_regression(
            _rbf(x, x) * 0 + 1.0, y, _rbf(xt, x) * 0 + 1.0, ridge=0
        )
    # K = all ones (rank 1): the pseudo-inverse fit predicts the mean target.
    np.testing.assert_allclose(pred.test, np.broadcast_to(y.mean(0), pred.test.shape))


def test_on_data_equals_precomputed():
    x, y, xt = _data()
    a = kernel_regression_on_data(_rbf, x, y, xt, ridge=1e-3)
    b = kernel_regression(_rbf(x, x), y, _rbf(xt, x), ridge=1e-3)
    np.testing.assert_array_equal(a.test, b.test)


def test_at_epochs_closed_forms():
    """t=0: zero; t=1: one GD step from 0, (2 eta / n) K_* Y; large t: the
    ridgeless regression; every t: the linear recursion iterated by hand."""
    x, y, xt = _data(n=25)
    K, Kt = _rbf(x, x) + 0.1 * np.eye(25), _rbf(xt, x)
    n, eta = 25, 0.5
    epochs = np.array([0, 1, 7, 200_000])
    pred = kernel_regression_at_epochs(K, y, Kt, step_size=eta, epochs=epochs)
    np.testing.assert_array_equal(pred.test[0], 0.0)
    np.testing.assert_allclose(pred.test[1], 2 * eta / n * Kt @ y, rtol=1e-12)
    # Linearised GD: f_{t+1} = f_t - (2 eta / n) K (f_t - Y) on train, and the
    # same update through K_* on test.
    f, ft = np.zeros_like(y), np.zeros((len(xt), 2))
    for _ in range(7):
        f, ft = f - 2 * eta / n * K @ (f - y), ft - 2 * eta / n * Kt @ (f - y)
    np.testing.assert_allclose(pred.train[2], f, rtol=1e-10)
    np.testing.assert_allclose(pred.test[2], ft, rtol=1e-10)
    limit = kernel_regression(K, y, Kt, ridge=0.0)
    np.testing.assert_allclose(pred.test[3], limit.test, atol=1e-8)


def test_bad_input_messages():
    K = np.eye(3)
    with pytest.raises(ValueError, match=r"`k_train` must be a square"):
        kernel_regression(np.ones((3, 2)), np.ones(3), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"`y_train` must have shape \(3,\)"):
        kernel_regression(K, np.ones(4), np.ones((1, 3)))
    with pytest.raises(
        ValueError, match=r"`k_test_train` must have shape \(n_test, 3\)"
    ):
        kernel_regression(K, np.ones(3), np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"`ridge` must be finite and >= 0; got -1"):
        kernel_regression(K, np.ones(3), np.ones((1, 3)), ridge=-1)
    with pytest.raises(ValueError, match=r"`k_train` holds NaN"):
        kernel_regression(K * np.nan, np.ones(3), np.ones((1, 3)))
