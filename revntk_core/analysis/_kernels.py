"""Kernel curves from the ``kernels`` table and their errors against targets.

A *curve* is the kernel K(c) of one (target, source, kind, architecture,
width) on the experiment's points. For every target, the curve with source
``target`` is the reference; every other curve of that target (the PSD fit,
the exact 1HL kernel of the designed activation, the empirical kernel of
finite nets) is compared with it point by point.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from revntk_core.analysis._frames import TableLike, as_frame, ordered_unique

CURVE_KEYS = ("target", "source", "kind", "architecture", "width")
"""Columns that identify one kernel curve."""

_MERGE_DECIMALS = 12  # rounding of c when rows carry no point index


def _key_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in CURVE_KEYS:
        if column not in frame.columns:
            frame[column] = None
    for column in ("std", "n_nets", "point"):
        if column not in frame.columns:
            frame[column] = np.nan
    return frame


def kernel_curves(kernels: TableLike | None) -> list[pd.DataFrame]:
    """Splits the ``kernels`` rows into curves, each sorted by c.

    Returns:
      One DataFrame per curve, in order of first appearance, each with the
      :data:`CURVE_KEYS` columns constant and ``point, c, value, std, n_nets,
      status`` per point.
    """
    frame = as_frame(kernels)
    if frame.empty or not {"c", "value"} <= set(frame.columns):
        return []
    frame = _key_frame(frame)
    keys = list(CURVE_KEYS)
    # groupby drops null keys (infinite width): group on a filled copy instead.
    filled = frame[keys].astype(object).where(frame[keys].notna(), "<null>")
    order = ordered_unique(filled.apply(tuple, axis=1))
    groups = dict(list(frame.groupby([filled[k] for k in keys], sort=False)))
    return [groups[key].sort_values("c", kind="stable") for key in order]


def curve_label(curve: pd.DataFrame, *, with_target: bool = False) -> str:
    """A short legend label: source, architecture, width when finite."""
    first = curve.iloc[0]
    parts = [str(first["source"])]
    if first["architecture"] is not None and not pd.isna(first["architecture"]):
        parts.append(str(first["architecture"]))
    width = first["width"]
    if width is not None and not pd.isna(width):
        parts.append(f"width {int(width)}")
    if with_target:
        parts.insert(0, str(first["target"]))
    return " ".join(parts)


def _align(reference: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Points present in both curves, joined on ``point`` (else on rounded c)."""
    if reference["point"].notna().all() and other["point"].notna().all():
        on = "point"
        left, right = reference, other
    else:
        on = "_c"
        left = reference.assign(_c=reference["c"].round(_MERGE_DECIMALS))
        right = other.assign(_c=other["c"].round(_MERGE_DECIMALS))
    return left[[on, "c", "value"]].merge(
        right[[on, "value", "std"]], on=on, suffixes=("_ref", "")
    )


def kernel_errors(kernels: TableLike | None) -> pd.DataFrame:
    """Every non-target curve against its target's ``target`` curve.

    Returns:
      One row per compared curve: the :data:`CURVE_KEYS`, ``points`` (points
      in common), ``max_abs_error`` = max_c |K - K_target|, ``rms_error``,
      ``max_rel_error`` = max |K - K_target| / max |K_target|, ``max_std``
      (largest std over nets; empirical curves only) and ``n_nets``. Curves
      without a target curve are left out; empty when there is nothing to
      compare.
    """
    curves = kernel_curves(kernels)
    targets = {}
    for curve in curves:
        first = curve.iloc[0]
        if first["source"] == "target":
            # A target given as both NNGP and NTK keeps its first-seen kind.
            targets.setdefault(first["target"], curve)
    rows = []
    for curve in curves:
        first = curve.iloc[0]
        if first["source"] == "target" or first["target"] not in targets:
            continue
        joined = _align(targets[first["target"]], curve)
        diff = (joined["value"] - joined["value_ref"]).to_numpy(float)
        scale = np.nanmax(np.abs(joined["value_ref"].to_numpy(float)), initial=0.0)
        finite = diff[np.isfinite(diff)]
        max_abs = float(np.max(np.abs(finite))) if finite.size else math.nan
        std = pd.to_numeric(curve["std"], errors="coerce")
        rows.append(
            {
                **{key: first[key] for key in CURVE_KEYS},
                "points": int(finite.size),
                "max_abs_error": max_abs,
                "rms_error": float(np.sqrt(np.mean(finite**2)))
                if finite.size
                else math.nan,
                "max_rel_error": max_abs / scale if scale > 0 else math.nan,
                "max_std": float(std.max()) if std.notna().any() else math.nan,
                "n_nets": pd.to_numeric(curve["n_nets"], errors="coerce").max(),
            }
        )
    columns = [
        *CURVE_KEYS,
        "points",
        "max_abs_error",
        "rms_error",
        "max_rel_error",
        "max_std",
        "n_nets",
    ]
    return pd.DataFrame(rows, columns=columns)


def _width_key(width: Any) -> str:
    """A finite width as ``"1024"``; no width (infinite) as ``"inf"``."""
    if width is None or pd.isna(width):
        return "inf"
    return str(int(width))


def errors_by_target(
    errors: pd.DataFrame, source: str, column: str = "max_abs_error"
) -> dict[str, Any]:
    """``column`` of ``source``'s rows of :func:`kernel_errors` by target.

    Returns ``{target: value}``.

    Empirical curves, one per finite width, nest by width:
    ``{target: {"<width>": value}}`` (widths ascending).
    """
    part = errors[errors["source"] == source]
    if source != "empirical":
        return {str(r.target): getattr(r, column) for r in part.itertuples(index=False)}
    out: dict[str, dict[str, Any]] = {}
    part = part.assign(_w=pd.to_numeric(part["width"], errors="coerce"))
    for r in part.sort_values("_w", kind="stable").itertuples(index=False):
        out.setdefault(str(r.target), {})[_width_key(r.width)] = getattr(r, column)
    return out


SOURCE_ORDER = ("target", "fit", "exact", "empirical")
"""Kernel sources in the order tables and figures show them."""


def sort_errors(errors: pd.DataFrame) -> pd.DataFrame:
    """``errors`` sorted by target, source (fit, exact, empirical), width."""
    rank = {s: i for i, s in enumerate(SOURCE_ORDER)}
    keys = pd.DataFrame(
        {
            "target": errors["target"].astype(str),
            "source": errors["source"].map(rank).fillna(len(rank)),
            "width": pd.to_numeric(errors["width"], errors="coerce"),
        }
    )
    order = keys.sort_values(
        ["target", "source", "width"], kind="stable", na_position="first"
    ).index
    return errors.loc[order].reset_index(drop=True)
