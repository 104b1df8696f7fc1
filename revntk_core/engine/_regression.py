"""Kernel (ridge) regression: the infinite-width limit of trained nets.

An ensemble of infinitely wide nets trained to convergence on MSE from the
centred model ``f(theta, x) - f(theta_0, x)`` predicts

.. math::

    f_\\infty(X_*) = K(X_*, X) \\, (K(X, X) + \\lambda I)^{-1} Y

with ``K`` the NTK (SPEC section 1); with the NNGP it is the posterior mean of
the Gaussian process. ``lambda = 0`` in theory; a small ridge keeps the solve
defined when the Gram matrix is singular (duplicate rows in the data).

Everything here is NumPy float64, whatever JAX's x64 flag says.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import scipy.linalg

__all__ = [
    "DEFAULT_RIDGE",
    "KernelPredictions",
    "kernel_regression",
    "kernel_regression_at_epochs",
    "kernel_regression_on_data",
]

DEFAULT_RIDGE = 1e-8
"""Ridge relative to the mean diagonal of ``K(X, X)`` (dimensionless).

``lambda = DEFAULT_RIDGE * mean(diag K)``. At 1e-8 it moves predictions of a
well-conditioned Gram matrix by about 1e-8 times its condition number, far
below any metric we report, while exact duplicate rows (zero eigenvalues) get
an eigenvalue 1e-8 times the kernel scale, about 1e7 times float64 rounding at
n = 1000, so the Cholesky factorisation succeeds."""


class KernelPredictions(NamedTuple):
    """Predictions of kernel regression.

    Attributes:
        test: predictions on the test inputs, shape ``(n_test,)`` or
            ``(n_test, k)`` like ``y_train``.
        train: predictions on the training inputs, same trailing shape.
    """

    test: np.ndarray
    train: np.ndarray


def _check(k_train, y_train, k_test_train, ridge):
    k_train = np.asarray(k_train, dtype=np.float64)
    y = np.asarray(y_train, dtype=np.float64)
    k_tx = np.asarray(k_test_train, dtype=np.float64)
    n = k_train.shape[0]
    if k_train.ndim != 2 or k_train.shape != (n, n):
        raise ValueError(
            f"`k_train` must be a square (n, n) Gram matrix; got shape {k_train.shape}"
        )
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise ValueError(
            f"`y_train` must have shape ({n},) or ({n}, k) to match `k_train`; "
            f"got shape {y.shape}"
        )
    if k_tx.ndim != 2 or k_tx.shape[1] != n:
        raise ValueError(
            f"`k_test_train` must have shape (n_test, {n}); got shape {k_tx.shape}"
        )
    if not (np.isfinite(ridge) and ridge >= 0):
        raise ValueError(f"`ridge` must be finite and >= 0; got {ridge!r}")
    for name, a in (("k_train", k_train), ("y_train", y), ("k_test_train", k_tx)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"`{name}` holds NaN or inf values")
    return k_train, y, k_tx


def kernel_regression(
    k_train: np.ndarray,
    y_train: np.ndarray,
    k_test_train: np.ndarray,
    *,
    ridge: float = DEFAULT_RIDGE,
) -> KernelPredictions:
    """Kernel ridge regression on precomputed Gram matrices, in float64.

    Solves ``(K + lambda I) alpha = Y`` with ``lambda = ridge * mean(diag K)``
    by Cholesky and returns ``K_* alpha`` and ``K alpha``. This equals
    ``sklearn.kernel_ridge.KernelRidge(kernel="precomputed", alpha=lambda)``.

    Args:
        k_train: ``K(X, X)``, shape ``(n, n)``, symmetric PSD.
        y_train: targets ``Y``, shape ``(n,)`` or ``(n, k)``.
        k_test_train: ``K(X_*, X)``, shape ``(n_test, n)``.
        ridge: ``lambda`` relative to the mean diagonal of ``K(X, X)``; see
            :data:`DEFAULT_RIDGE`. ``0`` interpolates exactly when ``K`` is
            nonsingular.

    Returns:
        :class:`KernelPredictions` ``(test, train)``.

    Raises:
        ValueError: on mismatched shapes, non-finite inputs or a negative ridge.

    If Cholesky fails (``K + lambda I`` not numerically positive definite, e.g.
    ``ridge=0`` with duplicate rows), the solve falls back to an eigenvalue
    pseudo-inverse that drops eigenvalues below ``n * eps * max|eigenvalue|``,
    and warns.
    """
    k_train, y, k_tx = _check(k_train, y_train, k_test_train, ridge)
    n = k_train.shape[0]
    lam = ridge * float(np.mean(np.diag(k_train)))
    a = 0.5 * (k_train + k_train.T) + lam * np.eye(n)
    try:
        alpha = scipy.linalg.cho_solve(scipy.linalg.cho_factor(a, lower=True), y)
    except np.linalg.LinAlgError:
        warnings.warn(
            "kernel_regression: K + ridge * I is not positive definite; using an "
            "eigenvalue pseudo-inverse. Pass a larger `ridge` to avoid this.",
            stacklevel=2,
        )
        evals, evecs = np.linalg.eigh(a)
        cutoff = n * np.finfo(np.float64).eps * np.max(np.abs(evals))
        inv = np.where(evals > cutoff, 1.0 / np.where(evals > cutoff, evals, 1.0), 0.0)
        alpha = evecs @ (inv[:, None] * (evecs.T @ y.reshape(n, -1)))
        alpha = alpha.reshape(y.shape)
    return KernelPredictions(test=k_tx @ alpha, train=k_train @ alpha)


def kernel_regression_at_epochs(
    k_train: np.ndarray,
    y_train: np.ndarray,
    k_test_train: np.ndarray,
    *,
    step_size: float,
    epochs: np.ndarray,
) -> KernelPredictions:
    """Predictions of a linearised (infinite-width) net after ``t`` GD epochs.

    With the centred model (``f_0 = 0``) and the loss
    ``(1/n) sum_i |f(x_i) - y_i|^2`` of SPEC section 5, full-batch gradient
    descent at step ``eta`` on the linearised model with constant NTK ``K``
    gives on the training set ``f_t - Y = (I - 2 eta K / n)^t (f_0 - Y)``, so

    .. math::

        f_t(X_*) = K_* K^{-1} (I - (I - 2\\eta K/n)^t) Y,

    computed through the eigendecomposition of ``K`` (eigenvalues clipped at
    0; zero eigenvalues contribute their limit ``2 eta t / n``).

    Args:
        k_train: NTK ``K(X, X)``, shape ``(n, n)``.
        y_train: targets, shape ``(n,)`` or ``(n, k)``.
        k_test_train: ``K(X_*, X)``, shape ``(n_test, n)``.
        step_size: ``eta``.
        epochs: epochs ``t`` (ints >= 0), shape ``(n_t,)``.

    Returns:
        :class:`KernelPredictions` with a leading axis of length ``n_t``.
    """
    k_train, y, k_tx = _check(k_train, y_train, k_test_train, 0.0)
    epochs = np.asarray(epochs)
    if epochs.ndim != 1 or np.any(epochs < 0):
        raise ValueError(f"`epochs` must be a 1-D array of ints >= 0; got {epochs!r}")
    if not (np.isfinite(step_size) and step_size > 0):
        raise ValueError(f"`step_size` must be finite and > 0; got {step_size!r}")
    n = k_train.shape[0]
    evals, evecs = np.linalg.eigh(0.5 * (k_train + k_train.T))
    evals = np.clip(evals, 0.0, None)
    yv = evecs.T @ y.reshape(n, -1)  # (n, k) in the eigenbasis.
    rate = 2.0 * step_size / n
    t = epochs.astype(np.float64)[:, None]
    # (1 - (1 - rate*lam)^t) / lam, with its limit rate*t at lam = 0.
    decay = np.power(1.0 - rate * evals[None, :], t)
    safe = np.where(evals > 0, evals, 1.0)
    g = np.where(evals[None, :] > 0, (1.0 - decay) / safe, rate * t)  # (n_t, n)
    coef = np.einsum("ij,tj,jk->tik", evecs, g, yv)  # K^{-1}(I - ...)Y per t.
    test = np.einsum("sj,tjk->tsk", k_tx, coef)
    train = np.einsum("sj,tjk->tsk", k_train, coef)
    n_t = len(epochs)
    return KernelPredictions(
        test=test.reshape((n_t, k_tx.shape[0]) + y.shape[1:]),
        train=train.reshape((n_t, n) + y.shape[1:]),
    )


def kernel_regression_on_data(
    kernel_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    *,
    ridge: float = DEFAULT_RIDGE,
) -> KernelPredictions:
    """:func:`kernel_regression` with Gram matrices from a kernel function.

    Args:
        kernel_fn: ``kernel_fn(x1, x2)`` returns ``K(x1, x2)`` of shape
            ``(n1, n2)`` for data matrices ``(n1, d)`` and ``(n2, d)``.
        x_train: ``(n, d)``. y_train: ``(n,)`` or ``(n, k)``.
        x_test: ``(n_test, d)``.
        ridge: as in :func:`kernel_regression`.

    Returns:
        :class:`KernelPredictions` ``(test, train)``.
    """
    if not callable(kernel_fn):
        raise TypeError(f"`kernel_fn` must be callable; got {kernel_fn!r}")
    k_train = np.asarray(kernel_fn(x_train, x_train), dtype=np.float64)
    k_tx = np.asarray(kernel_fn(x_test, x_train), dtype=np.float64)
    return kernel_regression(k_train, y_train, k_tx, ridge=ridge)
