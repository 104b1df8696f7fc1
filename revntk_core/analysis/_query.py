"""Filtering and aggregating result rows in memory (the core of ``revntk query``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from revntk_core.analysis._frames import TableLike, as_frame
from revntk_core.analysis._tables import STD_DDOF

AGG_STATS = ("mean", "std", "count", "min", "max", "median")
"""Statistics :func:`aggregate` can compute per group."""


def filter_rows(
    table: TableLike | None, filters: Mapping[str, Sequence[Any] | Any]
) -> pd.DataFrame:
    """Rows whose columns take one of the given values.

    Args:
      table: the rows (DataFrame or pyarrow Table).
      filters: ``{column: value or list of values}``; ``None`` or an empty
        list means no condition on that column.

    Returns:
      The matching rows, index reset.

    Raises:
      ValueError: if a filtered column is not in the table.
    """
    frame = as_frame(table)
    mask = pd.Series(True, index=frame.index)
    for column, wanted in filters.items():
        if wanted is None:
            continue
        values = list(wanted) if isinstance(wanted, list | tuple | set) else [wanted]
        if not values:
            continue
        if column not in frame.columns:
            raise ValueError(
                f"cannot filter on `{column}`: the table has no such column; "
                f"columns are {sorted(frame.columns)}."
            )
        mask &= frame[column].isin(values)
    return frame[mask].reset_index(drop=True)


def numeric_columns(table: TableLike | None) -> list[str]:
    """The columns of ``table`` that hold numbers, sorted.

    A column counts as numeric when its dtype is numeric or boolean (not a
    date or duration), or when
    every non-null value converts to a number (an object column of
    numbers); an all-null column does not count.
    """
    frame = as_frame(table)
    out = []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(
            series
        ) or pd.api.types.is_timedelta64_dtype(series):
            continue
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            out.append(str(column))
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            continue
        present = series.dropna()
        if present.empty or present.map(lambda v: isinstance(v, str | bytes)).any():
            continue
        try:
            converted = pd.to_numeric(present, errors="coerce")
        except (TypeError, ValueError):  # arrays or other objects in cells
            continue
        if converted.notna().all():
            out.append(str(column))
    return sorted(out)


def aggregate(
    table: TableLike | None,
    group_by: Sequence[str],
    columns: Sequence[str],
    stats: Sequence[str] = ("mean", "std", "count"),
) -> pd.DataFrame:
    """Statistics of ``columns`` per group of ``group_by``.

    Null values are skipped (a diverged run's null metric does not enter a
    mean); ``count`` counts non-null values. Stds are population stds
    (``ddof = 0``), as everywhere in the analysis. Groups with a null key
    are kept.

    Args:
      table: the rows.
      group_by: grouping columns; empty means one group of all rows.
      columns: numeric columns to aggregate.
      stats: a subset of :data:`AGG_STATS`.

    Returns:
      One row per group: the ``group_by`` columns, then ``<column>_<stat>``.

    Raises:
      ValueError: for an unknown column or statistic, a column of
        ``columns`` that is not numeric (see :func:`numeric_columns`), or no
        columns.
    """
    frame = as_frame(table)
    if not columns:
        raise ValueError("`columns` must name at least one column to aggregate.")
    for stat in stats:
        if stat not in AGG_STATS:
            raise ValueError(f"`stats` must be among {list(AGG_STATS)}, got {stat!r}.")
    for column in [*group_by, *columns]:
        if column not in frame.columns:
            raise ValueError(
                f"unknown column `{column}`; columns are {sorted(frame.columns)}."
            )
    numeric = numeric_columns(frame)
    for column in columns:
        if column not in numeric:
            raise ValueError(
                f"cannot aggregate `{column}`: it is not numeric "
                f"(dtype {frame[column].dtype}); numeric columns are {numeric}."
            )
    spec = {}
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        frame[column] = values
        for stat in stats:
            func: Any = (lambda s: s.std(ddof=STD_DDOF)) if stat == "std" else stat
            spec[f"{column}_{stat}"] = (column, func)
    if not group_by:
        row = {name: frame[col].agg(func) for name, (col, func) in spec.items()}
        return pd.DataFrame([row])
    out = frame.groupby(list(group_by), dropna=False, sort=True).agg(**spec)
    return out.reset_index()
