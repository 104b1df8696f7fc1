r"""Input preprocessing of SPEC E3, fitted on the training rows only.

In order, for a train matrix X (n, d) and a test matrix X' (m, d):

1. Optional per-feature standardisation (raw UCI files, whose columns have
   their own units): :math:`x_j \to (x_j - \mu_j) / s_j` with the train
   column means and standard deviations; a column with s_j = 0 is only
   centred.
2. Global z-score: :math:`x \to (x - \mu) / s` with the scalar mean and
   standard deviation of all entries of X (s = 0 leaves the scale alone).
3. Radius, so the 1HL kernels see inputs near the sphere of radius
   :math:`\sqrt{d}` they were derived for:

   * ``"uniform"``: every row to norm :math:`\sqrt{d}`, train and test.
   * ``"mean"``: one factor for all rows, chosen so the mean train norm is
     :math:`\sqrt{d}`.
   * ``"none"``: no rescaling.
"""

import numpy as np

from revntk_core.datasets._errors import DatasetError

__all__ = ["NORMALISATIONS", "preprocess"]

NORMALISATIONS = ("uniform", "mean", "none")


def _safe(scale: np.ndarray) -> np.ndarray:
    """Standard deviations with zeros replaced by 1 (centre only)."""
    return np.where(scale > 0, scale, 1.0)


def preprocess(
    x_train: np.ndarray,
    x_test: np.ndarray,
    *,
    normalisation: str,
    per_feature: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Standardise and rescale, with statistics from ``x_train`` only.

    Args:
        x_train: (n, d) training inputs (any numeric dtype).
        x_test: (m, d) test inputs.
        normalisation: ``"uniform"``, ``"mean"`` or ``"none"`` (step 3).
        per_feature: run step 1.

    Returns:
        ``(x_train, x_test)`` as new float64 arrays.

    Raises:
        ValueError: unknown ``normalisation``.
        DatasetError: ``"uniform"`` met a row that is zero after step 2, which
            has no direction to scale.
    """
    if normalisation not in NORMALISATIONS:
        raise ValueError(
            f"`normalisation` must be one of {list(NORMALISATIONS)}; got "
            f"{normalisation!r}."
        )
    train = np.asarray(x_train, dtype=np.float64)
    test = np.asarray(x_test, dtype=np.float64)
    d_in = train.shape[1]
    if per_feature:
        mean, std = train.mean(axis=0), _safe(train.std(axis=0))
        train, test = (train - mean) / std, (test - mean) / std
    mean, std = train.mean(), _safe(np.asarray(train.std()))
    train, test = (train - mean) / std, (test - mean) / std
    radius = np.sqrt(d_in)
    if normalisation == "uniform":
        for name, block in (("train", train), ("test", test)):
            zero = np.flatnonzero(np.linalg.norm(block, axis=1) == 0)
            if zero.size:
                raise DatasetError(
                    f"{name} row {zero[0]} is all zeros after standardisation, "
                    "so it cannot be scaled to radius sqrt(d_in); use "
                    "normalisation='mean' or 'none'."
                )
        train = radius * train / np.linalg.norm(train, axis=1, keepdims=True)
        test = radius * test / np.linalg.norm(test, axis=1, keepdims=True)
    elif normalisation == "mean":
        factor = radius / np.linalg.norm(train, axis=1).mean()
        train, test = factor * train, factor * test
    return train, test
