"""k-fold cross-validation of the stopping epoch of multi-seed training.

Every fold trains all seeds on the other folds with :func:`train_multi_seed`
and validates at the config's record epochs; the chosen epoch maximises the
validation accuracy averaged over folds and seeds.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence

import numpy as np

from ._nets import FCN
from ._train import TrainConfig, train_multi_seed

__all__ = ["CVResult", "cross_validate_stop_epoch"]


@dataclasses.dataclass(frozen=True)
class CVResult:
    """k-fold cross-validation of the stopping epoch.

    Attributes:
        record_epochs: ``(R,)`` candidate stopping epochs.
        val_accuracy: ``(folds, S, R)`` validation accuracy per fold and seed.
        val_mse: ``(folds, S, R)`` validation MSE.
        mean_val_accuracy: ``(R,)`` mean over folds and seeds, NaN (diverged)
            entries left out.
        chosen_epoch: the record epoch of the largest ``mean_val_accuracy``,
            the earliest on ties; ``None`` when every seed diverged.
        fold_of: ``(n,)`` the fold index of every sample.
    """

    record_epochs: np.ndarray
    val_accuracy: np.ndarray
    val_mse: np.ndarray
    mean_val_accuracy: np.ndarray
    chosen_epoch: int | None
    fold_of: np.ndarray


def _choose_epoch(mean_acc: np.ndarray, epochs: np.ndarray) -> int | None:
    """Epoch of the largest finite ``mean_acc``, the earliest on ties."""
    finite = np.isfinite(mean_acc)
    if not finite.any():
        return None
    best = np.max(mean_acc[finite])
    return int(epochs[np.flatnonzero(finite & (mean_acc == best))[0]])


def cross_validate_stop_epoch(
    fcn: FCN,
    seeds: Sequence[int],
    x: np.ndarray,
    y: np.ndarray,
    *,
    folds: int = 3,
    config: TrainConfig,
    seed: int,
) -> CVResult:
    """Choose the stopping epoch by k-fold cross-validation (SPEC E3 sweep).

    The samples are shuffled by ``numpy.random.default_rng(seed)`` and cut into
    ``folds`` near-equal folds; for each fold, every seed trains on the other
    folds (by :func:`train_multi_seed` with ``config``) and is validated on it
    at ``config.record_epochs``. The chosen epoch maximises the validation
    accuracy averaged over folds and seeds (earliest on ties).

    Args:
        fcn: the architecture. seeds: network seeds, as in
            :func:`train_multi_seed`.
        x: ``(n, d_in)`` training inputs. y: targets as in
            :func:`train_multi_seed`.
        folds: number of folds ``k >= 2``.
        config: training settings; its ``record_epochs`` are the candidates
            and must not be empty.
        seed: seed of the fold assignment.

    Returns:
        A :class:`CVResult`.
    """
    if isinstance(folds, bool) or not isinstance(folds, numbers.Integral):
        raise TypeError(f"`folds` must be an int; got {folds!r}")
    n = np.shape(x)[0]
    if not 2 <= folds <= n:
        raise ValueError(f"`folds` must be in [2, n={n}]; got {folds}")
    if not config.record_epochs:
        raise ValueError(
            "`config.record_epochs` must list the candidate epochs; got ()"
        )
    x = np.asarray(x)
    y = np.asarray(y)
    perm = np.random.default_rng(seed).permutation(n)
    fold_of = np.empty(n, dtype=np.int64)
    for k, idx in enumerate(np.array_split(perm, folds)):
        fold_of[idx] = k
    accs, mses = [], []
    for k in range(folds):
        tr, va = fold_of != k, fold_of == k
        res = train_multi_seed(fcn, seeds, x[tr], y[tr], x[va], y[va], config)
        accs.append(res.test_accuracy)
        mses.append(res.test_mse)
    val_acc = np.stack(accs)
    counts = np.sum(np.isfinite(val_acc), axis=(0, 1))
    sums = np.nansum(val_acc, axis=(0, 1))
    mean_acc = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    epochs = np.asarray(config.record_epochs, dtype=np.int64)
    return CVResult(
        record_epochs=epochs,
        val_accuracy=val_acc,
        val_mse=np.stack(mses),
        mean_val_accuracy=mean_acc,
        chosen_epoch=_choose_epoch(mean_acc, epochs),
        fold_of=fold_of,
    )
