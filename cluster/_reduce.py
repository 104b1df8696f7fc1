"""Streaming reduction: merge per-shard moments, read results file by file.

A reducer over, say, kernels averaged on thousands of networks never holds
every shard: each task writes the count, mean and sum of squared deviations
(``m2``) of its own networks, and :meth:`Moments.merge` combines two such
summaries exactly (Chan, Golub and LeVeque's parallel update), so the shards
are folded one file at a time with :func:`iter_table`.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from cluster._store import DONE_DIR, PARTITION
from cluster._task import check_name


@dataclasses.dataclass(frozen=True)
class Moments:
    """Count, mean and sum of squared deviations of samples, elementwise.

    Args:
        count: number of samples n (a scalar, or an array broadcasting with
            ``mean`` when elements have different counts).
        mean: the sample mean, shape S.
        m2: sum over samples of (x - mean)^2, shape S.

    Merging A and B (Chan et al. 1979, eq. 2.1b)::

        n = n_A + n_B,  d = mean_B - mean_A,
        mean = mean_A + d n_B / n,
        m2 = m2_A + m2_B + d^2 n_A n_B / n,

    is exact in exact arithmetic and stable in floating point (no
    subtraction of large sums of squares).
    """

    count: Any
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def from_samples(cls, x: Any, axis: int = 0) -> Moments:
        """Moments of the samples of ``x`` along ``axis``."""
        x = np.asarray(x, dtype=np.float64)
        n = x.shape[axis]
        if n == 0:
            raise ValueError(
                f"`x` must have samples along axis {axis}; got shape {x.shape}"
            )
        mean = x.mean(axis=axis)
        m2 = ((x - np.expand_dims(mean, axis)) ** 2).sum(axis=axis)
        return cls(count=n, mean=mean, m2=m2)

    def merge(self, other: Moments) -> Moments:
        """The moments of the union of both sample sets."""
        n_a = np.asarray(self.count, dtype=np.float64)
        n_b = np.asarray(other.count, dtype=np.float64)
        n = n_a + n_b
        if np.any(n <= 0):
            raise ValueError("cannot merge two empty Moments")
        delta = np.asarray(other.mean) - np.asarray(self.mean)
        mean = self.mean + delta * (n_b / n)
        m2 = self.m2 + other.m2 + delta**2 * (n_a * n_b / n)
        count = self.count + other.count
        return Moments(count=count, mean=mean, m2=m2)

    def variance(self, ddof: int = 1) -> np.ndarray:
        """m2 / (n - ddof); NaN where n <= ddof."""
        n = np.asarray(self.count, dtype=np.float64) - ddof
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, np.asarray(self.m2) / np.where(n > 0, n, 1), np.nan)

    def std(self, ddof: int = 1) -> np.ndarray:
        """Square root of :meth:`variance` (sample std for ``ddof=1``)."""
        return np.sqrt(self.variance(ddof))


def merge_all(moments: Sequence[Moments] | Iterator[Moments]) -> Moments:
    """Folds :meth:`Moments.merge` over an iterable (one pass, O(1) memory)."""
    total = None
    for m in moments:
        total = m if total is None else total.merge(m)
    if total is None:
        raise ValueError("`moments` is empty")
    return total


def _partition_dir(root: str | os.PathLike[str], table: str, experiment: str):
    check_name(table, "table")
    check_name(experiment, "experiment")
    return pathlib.Path(root) / table / f"{PARTITION}={experiment}"


def iter_table(
    store_root: str | os.PathLike[str],
    table: str,
    experiment: str,
    filters: Any = None,
    *,
    columns: Sequence[str] | None = None,
    done_only: bool = True,
) -> Iterator[pa.Table]:
    """Yields ``table`` of ``experiment`` one task file at a time.

    Args:
        store_root: the results directory.
        table: the table name.
        experiment: the experiment partition to read.
        filters: row filter as ``pyarrow.parquet.read_table`` takes it, e.g.
            ``[("kind", "=", "ntk")]`` or a ``pyarrow.compute`` expression.
        columns: columns to read; all when None.
        done_only: skip files of tasks without a done marker (a task whose
            driver stopped between writing its tables and its marker).

    Yields:
        One ``pyarrow.Table`` per file, files in sorted order; hidden
        temporary files are never read. The partition column is not added.
    """
    folder = _partition_dir(store_root, table, experiment)
    if not folder.is_dir():
        return
    done = pathlib.Path(store_root) / DONE_DIR
    for path in sorted(folder.glob("*.parquet")):
        if path.name.startswith((".", "_")):
            continue
        if done_only and not (done / f"{path.stem}.json").exists():
            continue
        yield pq.read_table(path, columns=columns, filters=filters)


def dataset(
    root: str | os.PathLike[str], table: str, *, schema: pa.Schema | None = None
) -> ds.Dataset:
    """``table`` of every experiment as one ``pyarrow.dataset.Dataset``.

    The ``experiment`` partition column is a string column. ``schema`` (e.g.
    ``ResultStore.schema(table)``) pins the column types even where a file
    is missing; the partition column is appended to it.
    """
    check_name(table, "table")
    partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    if schema is not None and PARTITION not in schema.names:
        schema = schema.append(pa.field(PARTITION, pa.string()))
    return ds.dataset(
        pathlib.Path(root) / table,
        format="parquet",
        partitioning=partitioning,
        schema=schema,
    )


def read_table(
    root: str | os.PathLike[str],
    table: str,
    *,
    filter: Any = None,
    columns: Sequence[str] | None = None,
    schema: pa.Schema | None = None,
) -> pa.Table:
    """Reads ``table`` of every experiment into memory (see :func:`dataset`).

    Args:
        root: the results directory.
        table: the table name.
        filter: a ``pyarrow.compute`` expression, e.g.
            ``pc.field("experiment") == "e1"``.
        columns: columns to read; all when None.
        schema: the table's schema, to pin column types.
    """
    return dataset(root, table, schema=schema).to_table(columns=columns, filter=filter)
