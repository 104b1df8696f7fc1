"""Learning curves and width sweeps (E3) reduced over seeds.

All statistics are over initialisation seeds of finite nets (``model ==
"net"``); kernel-regression rows are left to :func:`select` by the caller.
Null metrics (diverged runs) are left out of means and stds and counted in
``diverged`` instead.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from revntk_core.analysis._frames import (
    STATUS_DIVERGED,
    TableLike,
    as_frame,
    ordered_unique,
    select,
)
from revntk_core.analysis._tables import STD_DDOF

METRIC_COLUMNS = ("train_mse", "test_mse", "train_acc", "test_acc")
"""The metrics of the ``curves`` and ``metrics`` tables."""

VARIANT_KEYS = ("dataset", "normalisation")
"""One Figure 2 per distinct value of these columns."""

SHALLOW_ARCH = "1hl-relu"
DEEP_ARCH = "4hl-relu"
ANSATZ_ARCH = "1hl-ansatz"


def _net_rows(frame: pd.DataFrame, phase: str, model: str = "net") -> pd.DataFrame:
    if "model" in frame.columns:
        frame = select(frame, model=model)
    if "phase" in frame.columns:
        frame = select(frame, phase=phase)
    return frame


def _reduce(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean, std (population) and count of each metric per group of ``keys``."""
    metrics = [m for m in METRIC_COLUMNS if m in frame.columns]
    columns = keys + [f"{m}_{s}" for m in metrics for s in ("mean", "std")]
    columns += ["seeds", "diverged"]
    if frame.empty or not set(keys) <= set(frame.columns):
        return pd.DataFrame(columns=columns)
    frame = frame.copy()
    for metric in metrics:
        frame[metric] = pd.to_numeric(frame[metric], errors="coerce")
    status = frame["status"] if "status" in frame.columns else None
    frame["_diverged"] = (status == STATUS_DIVERGED) if status is not None else False
    grouped = frame.groupby(keys, dropna=False, sort=True)
    out = grouped.agg(
        **{f"{m}_mean": (m, "mean") for m in metrics},
        **{f"{m}_std": (m, lambda s: s.std(ddof=STD_DDOF)) for m in metrics},
        seeds=("_diverged", "size"),
        diverged=("_diverged", "sum"),
    ).reset_index()
    out["diverged"] = out["diverged"].astype("int64")
    return out[columns]


def variants(*tables: TableLike | None) -> list[tuple[str, str]]:
    """(dataset, normalisation) pairs present in any of ``tables``, sorted."""
    found = []
    for table in tables:
        frame = as_frame(table)
        if frame.empty or not set(VARIANT_KEYS) <= set(frame.columns):
            continue
        pairs = frame[list(VARIANT_KEYS)].astype(object).fillna("none")
        found += [tuple(map(str, p)) for p in pairs.drop_duplicates().to_numpy()]
    return sorted(set(found))


def curve_stats(curves: TableLike | None, *, model: str = "net") -> pd.DataFrame:
    """Learning curves over seeds: one row per (dataset, normalisation, arch, epoch).

    Uses the ``curves`` rows of ``model`` (default: finite nets; also
    ``"ntk-regression"``, the infinite-width prediction) in phase ``curve``.

    Returns:
      Columns ``dataset, normalisation, architecture, epoch``, then
      ``<metric>_mean``/``<metric>_std`` for each metric, ``seeds`` (rows
      reduced) and ``diverged`` (of those, rows with status diverged).
    """
    frame = _net_rows(as_frame(curves), "curve", model)
    return _reduce(frame, [*VARIANT_KEYS, "architecture", "epoch"])


def sweep_stats(metrics: TableLike | None) -> pd.DataFrame:
    """Final metrics of the width sweep over seeds, per parameter count.

    Uses the ``metrics`` rows of finite nets in phase ``sweep``.

    Returns:
      Columns ``dataset, normalisation, architecture, width, n_params``,
      then the metric means/stds, ``seeds`` and ``diverged``.
    """
    frame = _net_rows(as_frame(metrics), "sweep")
    return _reduce(frame, [*VARIANT_KEYS, "architecture", "width", "n_params"])


def curve_gap(
    stats: pd.DataFrame,
    arch_a: str,
    arch_b: str,
    *,
    metric: str = "test_mse",
    dataset: str | None = None,
    normalisation: str | None = None,
) -> dict[str, float]:
    """Distance between two architectures' mean learning curves.

    Over the epochs both recorded (with a finite seed mean),
    ``mean_abs`` = mean_t |m_a(t) - m_b(t)| and ``max_abs`` = max_t of it,
    where m(t) is the mean of ``metric`` over seeds at epoch t.

    Args:
      stats: the output of :func:`curve_stats`.
      arch_a, arch_b: architectures to compare.
      metric: one of :data:`METRIC_COLUMNS`.
      dataset, normalisation: restrict to one variant (``None``: no filter).

    Returns:
      ``{"mean_abs", "max_abs", "epochs"}``; NaNs and 0 epochs when the two
      curves share no epoch.

    Raises:
      ValueError: if ``metric`` is not a metric column.
    """
    if metric not in METRIC_COLUMNS:
        raise ValueError(
            f"`metric` must be one of {list(METRIC_COLUMNS)}, got {metric!r}."
        )
    column = f"{metric}_mean"
    stats = select(stats, dataset=dataset, normalisation=normalisation)
    if stats.empty or column not in stats.columns:
        return {"mean_abs": math.nan, "max_abs": math.nan, "epochs": 0}
    a = select(stats, architecture=arch_a).set_index("epoch")[column]
    b = select(stats, architecture=arch_b).set_index("epoch")[column]
    diff = (a - b).dropna().to_numpy(float)
    diff = np.abs(diff[np.isfinite(diff)])
    if diff.size == 0:
        return {"mean_abs": math.nan, "max_abs": math.nan, "epochs": 0}
    return {
        "mean_abs": float(diff.mean()),
        "max_abs": float(diff.max()),
        "epochs": int(diff.size),
    }


def final_epoch_stats(stats: pd.DataFrame) -> pd.DataFrame:
    """The last recorded epoch of each (dataset, normalisation, architecture)."""
    if stats.empty:
        return stats
    keys = [*VARIANT_KEYS, "architecture"]
    last = stats.groupby(keys, dropna=False)["epoch"].transform("max")
    return stats[stats["epoch"] == last].reset_index(drop=True)


def architectures(stats: pd.DataFrame) -> list[str]:
    """Architectures in ``stats``: the paper's three first, then others."""
    if stats.empty or "architecture" not in stats.columns:
        return []
    present = ordered_unique(stats["architecture"])
    known = [a for a in (SHALLOW_ARCH, DEEP_ARCH, ANSATZ_ARCH) if a in present]
    return known + sorted(a for a in present if a not in known)
