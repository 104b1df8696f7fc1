"""Reproducible, optionally stratified train/test splits by raw row index.

Stratified sampling takes from each class the share it has in the pool,
rounded by largest remainder (ties broken at random from the seed), so
every class count is within 1 of n * class_share, the counts sum to n, and
no class gets more rows than it has. Within a class, rows are drawn
uniformly without replacement. The same seed gives the same split on every
machine (NumPy's PCG64 through ``np.random.default_rng``).
"""

import numpy as np

__all__ = ["stratified_counts", "train_test_indices"]


def stratified_counts(
    class_counts: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """How many of ``n`` draws each class gets, by largest remainder.

    Args:
        class_counts: (n_classes,) rows per class in the pool.
        n: rows to draw, 0 <= n <= class_counts.sum().
        rng: breaks ties between equal remainders.

    Returns:
        (n_classes,) int64 counts with sum n and |count_c - n p_c| < 1, where
        p_c is the class's share of the pool.
    """
    class_counts = np.asarray(class_counts, dtype=np.int64)
    total = int(class_counts.sum())
    if not 0 <= n <= total:
        raise ValueError(f"`n` must lie in [0, {total}]; got {n}.")
    if total == 0:
        return np.zeros_like(class_counts)
    # Exact integer arithmetic: count_c * n = base_c * total + remainder_c.
    base = class_counts * n // total
    remainder = class_counts * n % total
    short = n - int(base.sum())
    # Each remainder / total < 1 and they sum to `short`, so more than `short`
    # classes have a positive remainder and the top `short` all do: no class
    # is pushed past its own count.
    order = np.lexsort((rng.random(class_counts.size), -remainder))
    base[order[:short]] += 1
    return base


def _draw(
    pool: np.ndarray,
    labels: np.ndarray,
    n: int,
    rng: np.random.Generator,
    stratify: bool,
) -> np.ndarray:
    """``n`` distinct entries of ``pool`` (labels[pool] used to stratify)."""
    if not stratify:
        return rng.choice(pool, size=n, replace=False)
    pool_labels = labels[pool]
    counts = stratified_counts(np.bincount(pool_labels), n, rng)
    return np.concatenate(
        [
            rng.choice(pool[pool_labels == c], size=int(k), replace=False)
            for c, k in enumerate(counts)
        ]
        + [np.empty(0, dtype=np.int64)]
    )


def train_test_indices(
    labels: np.ndarray,
    *,
    n_train: int,
    n_test: int,
    seed: int,
    stratify: bool,
    n_official_train: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint, sorted raw-row indices of a train and a test set.

    Args:
        labels: (n_rows,) int class id of every raw row.
        n_train: training rows to draw.
        n_test: test rows to draw.
        seed: split seed; the same seed gives the same split.
        stratify: keep class shares in both sets (see the module docstring).
        n_official_train: when given, train rows come only from the official
            training rows ``[0, n_official_train)`` and test rows only from the
            rest (CIFAR-10); otherwise test rows come from what train left.

    Returns:
        ``(train_idx, test_idx)``, each sorted int64.

    Raises:
        ValueError: a size does not fit in its pool.
    """
    labels = np.asarray(labels, dtype=np.int64)
    n_rows = labels.size
    rng = np.random.default_rng(seed)
    if n_official_train is None:
        train_pool = np.arange(n_rows)
        limits = (n_rows, n_rows - n_train)
    else:
        train_pool = np.arange(n_official_train)
        limits = (n_official_train, n_rows - n_official_train)
    if not 0 < n_train <= limits[0]:
        raise ValueError(f"`n_train` must lie in [1, {limits[0]}]; got {n_train}.")
    if not 0 <= n_test <= limits[1]:
        raise ValueError(
            f"`n_test` must lie in [0, {limits[1]}] (rows left for the test "
            f"set); got {n_test}."
        )
    train_idx = _draw(train_pool, labels, n_train, rng, stratify)
    if n_official_train is None:
        test_pool = np.setdiff1d(np.arange(n_rows), train_idx)
    else:
        test_pool = np.arange(n_official_train, n_rows)
    test_idx = _draw(test_pool, labels, n_test, rng, stratify)
    return np.sort(train_idx).astype(np.int64), np.sort(test_idx).astype(np.int64)
