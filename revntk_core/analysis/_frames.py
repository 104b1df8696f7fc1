"""In-memory result tables: conversion, per-experiment views, status counts.

Everything in :mod:`revntk_core.analysis` takes the result tables as pandas
DataFrames or pyarrow Tables, already read from disk by the caller. A table
that does not exist (an experiment that never ran) is ``None`` or empty; every
function here accepts that and returns an empty result rather than raising.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pandas as pd

EXPERIMENTS: dict[str, str] = {
    "kernel_mimicry": "E1",
    "ansatz": "E2",
    "mimic_training": "E3",
    "parity": "E4",
}
"""Experiment names as written in the ``experiment=`` partition, with labels."""

TABLE_NAMES: tuple[str, ...] = (
    "kernels",
    "kernel_shards",
    "designs",
    "curves",
    "metrics",
    "failures",
)
"""The tables of a results directory, in the order a report lists them."""

STATUS_OK = "ok"
STATUS_DIVERGED = "diverged"
STATUS_FAILED = "failed"

TableLike = pd.DataFrame | Any  # a pandas DataFrame or a pyarrow Table


def as_frame(table: TableLike | None) -> pd.DataFrame:
    """Returns ``table`` as a pandas DataFrame (empty for ``None``).

    Dictionary-encoded columns (hive partition keys read by ``pyarrow.dataset``
    arrive as categoricals) are turned back into plain strings so that
    filters and group-bys behave the same for every source.

    Args:
      table: a pandas DataFrame, a pyarrow Table, or ``None``.

    Returns:
      A DataFrame; the caller's object is never modified.

    Raises:
      TypeError: if ``table`` is neither.
    """
    if table is None:
        return pd.DataFrame()
    if isinstance(table, pd.DataFrame):
        frame = table.copy()
    elif hasattr(table, "to_pandas") and hasattr(table, "schema"):
        frame = table.to_pandas()
    else:
        raise TypeError(
            "`table` must be a pandas DataFrame, a pyarrow Table or None, got "
            f"{type(table).__name__}."
        )
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(object)
    return frame


def select(frame: pd.DataFrame, **equal: Any) -> pd.DataFrame:
    """Rows of ``frame`` whose columns equal the given values.

    A column that ``frame`` lacks matches nothing (an empty frame comes back),
    so callers need not check the schema first. A value of ``None`` means "no
    condition on this column".
    """
    mask = pd.Series(True, index=frame.index)
    for column, value in equal.items():
        if value is None:
            continue
        if column not in frame.columns:
            return frame.iloc[0:0]
        if isinstance(value, list | tuple | set | frozenset):
            mask &= frame[column].isin(list(value))
        else:
            mask &= frame[column] == value
    return frame[mask]


def ordered_unique(values: pd.Series) -> list[Any]:
    """Non-null unique values of ``values`` in order of first appearance."""
    return list(dict.fromkeys(v for v in values.tolist() if not _isnull(v)))


def _isnull(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclasses.dataclass(frozen=True)
class ResultTables:
    """The result tables of one results directory, in memory.

    Attributes:
      kernels, kernel_shards, designs, curves, metrics, failures: one
        DataFrame per table (empty when the table does not exist), each with
        an ``experiment`` column when read from the hive-partitioned layout.
      manifests: the run manifests (one dict per run), possibly empty.
    """

    kernels: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    kernel_shards: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    designs: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    curves: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    metrics: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    failures: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    manifests: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_tables(
        cls,
        tables: Mapping[str, TableLike | None] | None = None,
        *,
        manifests: Any = (),
    ) -> ResultTables:
        """Builds the bundle from a mapping of table name to table.

        Args:
          tables: ``{"metrics": df_or_arrow, ...}``; missing names are empty.
          manifests: run manifests (dicts), e.g. the parsed ``_runs/*.json``.

        Raises:
          ValueError: if a name in ``tables`` is not a result table.
        """
        tables = dict(tables or {})
        unknown = sorted(set(tables) - set(TABLE_NAMES))
        if unknown:
            raise ValueError(
                f"`tables` has unknown table names {unknown}; expected a subset "
                f"of {list(TABLE_NAMES)}."
            )
        frames = {name: as_frame(tables.get(name)) for name in TABLE_NAMES}
        return cls(**frames, manifests=tuple(manifests or ()))

    def table(self, name: str) -> pd.DataFrame:
        """The table called ``name``.

        Raises:
          ValueError: if ``name`` is not a result table.
        """
        if name not in TABLE_NAMES:
            raise ValueError(
                f"`name` must be one of {list(TABLE_NAMES)}, got {name!r}."
            )
        return getattr(self, name)

    def experiment(self, name: str) -> ResultTables:
        """The rows of experiment ``name`` in every table (and its manifests)."""
        frames = {}
        for table in TABLE_NAMES:
            frame = self.table(table)
            if "experiment" in frame.columns:
                frame = frame[frame["experiment"] == name]
            elif not frame.empty:
                frame = frame.iloc[0:0]
            frames[table] = frame
        manifests = tuple(m for m in self.manifests if name in manifest_experiments(m))
        return ResultTables(**frames, manifests=manifests)

    def experiments(self) -> list[str]:
        """Experiments with at least one row in any table, in canonical order."""
        found: set[str] = set()
        for table in TABLE_NAMES:
            frame = self.table(table)
            if "experiment" in frame.columns:
                found.update(str(v) for v in frame["experiment"].dropna().unique())
        known = [name for name in EXPERIMENTS if name in found]
        return known + sorted(found - set(EXPERIMENTS))

    def is_empty(self) -> bool:
        """True when no table has a row."""
        return all(self.table(name).empty for name in TABLE_NAMES)


def manifest_experiments(manifest: Mapping[str, Any]) -> set[str]:
    """Experiments a run manifest covers.

    Read from a top-level ``experiment``, else ``spec.experiment``, else the
    ``experiment`` of each entry of ``tasks``; empty when none is recorded.
    """
    if manifest.get("experiment"):
        return {str(manifest["experiment"])}
    spec = manifest.get("spec")
    if isinstance(spec, Mapping) and spec.get("experiment"):
        return {str(spec["experiment"])}
    tasks = manifest.get("tasks")
    if isinstance(tasks, Mapping):
        return {
            str(t["experiment"])
            for t in tasks.values()
            if isinstance(t, Mapping) and t.get("experiment")
        }
    return set()


def status_counts(tables: ResultTables) -> pd.DataFrame:
    """Row counts per experiment, table and status (failures count as failed).

    Rows with status ``diverged`` or ``failed`` are results too: a report shows
    these counts beside every table and figure instead of dropping the rows.

    Returns:
      Columns ``experiment, table, status, rows``, sorted; empty when there
      are no rows.
    """
    parts = []
    for name in TABLE_NAMES:
        frame = tables.table(name)
        if frame.empty:
            continue
        experiment = (
            frame["experiment"].astype(str)
            if "experiment" in frame.columns
            else pd.Series("?", index=frame.index)
        )
        if name == "failures":
            status = pd.Series(STATUS_FAILED, index=frame.index)
        elif "status" in frame.columns:
            status = frame["status"].fillna("?").astype(str)
        else:
            status = pd.Series("?", index=frame.index)
        counted = (
            pd.DataFrame({"experiment": experiment, "status": status})
            .groupby(["experiment", "status"])
            .size()
            .rename("rows")
            .reset_index()
        )
        counted.insert(1, "table", name)
        parts.append(counted)
    if not parts:
        return pd.DataFrame(columns=["experiment", "table", "status", "rows"])
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["experiment", "table", "status"], ignore_index=True)
