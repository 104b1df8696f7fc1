"""The results directory: atomic, typed, hive-partitioned Parquet per task.

Layout of a results directory ``ROOT``::

    ROOT/<table>/experiment=<name>/<task_id>.parquet   one file per task
    ROOT/failures/experiment=<name>/<task_id>.parquet  tasks that crashed
    ROOT/_done/<task_id>.json                          done markers
    ROOT/_runs/<run_id>.json                           run manifests

Every file is written under a hidden temporary name (``.<task_id>...tmp``,
which ``pyarrow.dataset`` ignores) and renamed into place when complete; the
done marker is written, the same way, only after all of a task's files. A
task is done when its marker exists and every file it lists has a readable
Parquet footer with the recorded row count and the table's schema, so a
partial or corrupt file is never taken for a result and a rerun rewrites it
under the same name (no row is ever written twice).
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cluster._provenance import PROVENANCE_SCHEMA, provenance_columns, utc_now
from cluster._task import Task, canonical_json, check_name

logger = logging.getLogger(__name__)

FAILURES_TABLE = "failures"
DONE_DIR = "_done"
RUNS_DIR = "_runs"
PARTITION = "experiment"

#: Science columns of the failures table (provenance columns follow).
FAILURES_SCHEMA = pa.schema(
    [
        pa.field("name", pa.string(), metadata={"doc": "Display name of the task."}),
        pa.field(
            "fn", pa.string(), metadata={"doc": "module:qualname of the task function."}
        ),
        pa.field(
            "labels_json", pa.string(), metadata={"doc": "The task's labels as JSON."}
        ),
        pa.field(
            "kwargs_json", pa.string(), metadata={"doc": "The task's kwargs as JSON."}
        ),
        pa.field(
            "error_type", pa.string(), metadata={"doc": "Class of the last error."}
        ),
        pa.field("error", pa.string(), metadata={"doc": "Message of the last error."}),
        pa.field(
            "attempts", pa.int32(), metadata={"doc": "Tries made before giving up."}
        ),
        pa.field("status", pa.string(), metadata={"doc": "Always 'failed'."}),
    ]
)

_STATUS = "status"
_STATUS_OK = "ok"
_STATUS_FAILED = "failed"


def _atomic_write_bytes(path: pathlib.Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` through a hidden temporary and a rename."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _atomic_write_table(path: pathlib.Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            pq.write_table(table, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _same_columns(a: pa.Schema, b: pa.Schema) -> bool:
    """Equal names and types, ignoring metadata and docs."""
    return a.names == b.names and all(
        x.equals(y) for x, y in zip(a.types, b.types, strict=True)
    )


class ResultStore:
    """Writes and finds task results under a results directory.

    Args:
        root: the results directory (a local path; created if missing). A
            cluster needs no shared filesystem: only the driver writes here.
        schemas: ``{table: schema}`` of the science columns of every table a
            task may return. The store appends :data:`PROVENANCE_SCHEMA` and
            adds the ``failures`` table (:data:`FAILURES_SCHEMA`) itself.

    Raises:
        ValueError: for a bad table name, a reserved table name, or a schema
            column that clashes with a provenance column or the partition key.
    """

    def __init__(self, root: str | os.PathLike[str], schemas: Mapping[str, pa.Schema]):
        self.root = pathlib.Path(root)
        self._schemas: dict[str, pa.Schema] = {}
        for table, schema in schemas.items():
            check_name(table, "schemas")
            if table == FAILURES_TABLE:
                raise ValueError(
                    f"`schemas` may not define the reserved table {table!r}"
                )
            if not isinstance(schema, pa.Schema):
                raise TypeError(
                    f"`schemas[{table!r}]` must be a pyarrow.Schema; got "
                    f"{type(schema).__name__}"
                )
            clash = sorted(
                set(schema.names) & (set(PROVENANCE_SCHEMA.names) | {PARTITION})
            )
            if clash:
                raise ValueError(
                    f"`schemas[{table!r}]` has column(s) {clash} reserved for "
                    f"provenance or the partition key"
                )
            self._schemas[table] = schema
        self._schemas[FAILURES_TABLE] = FAILURES_SCHEMA
        for folder in (DONE_DIR, RUNS_DIR):
            (self.root / folder).mkdir(parents=True, exist_ok=True)

    @property
    def tables(self) -> list[str]:
        """Names of the tables this store knows, ``failures`` included."""
        return list(self._schemas)

    def schema(self, table: str) -> pa.Schema:
        """The full schema of ``table``: science then provenance columns."""
        science = self._science_schema(table)
        return pa.schema(list(science) + list(PROVENANCE_SCHEMA), science.metadata)

    def _science_schema(self, table: str) -> pa.Schema:
        try:
            return self._schemas[table]
        except KeyError:
            raise ValueError(
                f"unknown table {table!r}; the store knows {self.tables}"
            ) from None

    def path(self, table: str, experiment: str, task_id: str) -> pathlib.Path:
        """Where the file of ``task_id`` in ``table`` lives."""
        return self.root / table / f"{PARTITION}={experiment}" / f"{task_id}.parquet"

    def marker_path(self, task_id: str) -> pathlib.Path:
        """Where the done marker of ``task_id`` lives."""
        return self.root / DONE_DIR / f"{task_id}.json"

    def to_table(
        self, table: str, rows: Any, provenance: Mapping[str, Any]
    ) -> pa.Table:
        """Casts ``rows`` to the full schema of ``table``.

        Args:
            table: a table of the store.
            rows: a list of dicts or a ``pyarrow.Table`` of science columns.
                Missing columns become typed nulls; a missing or null
                ``status`` becomes ``'ok'`` when the schema has that column.
            provenance: values of provenance columns, the same for every row.

        Raises:
            ValueError: for a column that is not in the table's schema, or a
                value that cannot be cast to its column's type.
        """
        science = self._science_schema(table)
        if isinstance(rows, pa.Table):
            data = rows
        elif isinstance(rows, Sequence) and all(isinstance(r, Mapping) for r in rows):
            names = list(dict.fromkeys(k for r in rows for k in r))
            self._check_columns(table, names)
            try:
                data = pa.Table.from_pylist(list(rows), schema=science)
            except pa.ArrowException as err:
                raise ValueError(
                    f"rows of table {table!r} do not fit its schema: {err}"
                ) from err
        else:
            raise TypeError(
                f"rows of table {table!r} must be a list of dicts or a "
                f"pyarrow.Table; got {type(rows).__name__}"
            )
        self._check_columns(table, data.column_names)
        columns = []
        for field in science:
            if field.name in data.column_names:
                column = data.column(field.name)
                try:
                    column = column.cast(field.type)
                except pa.ArrowException as err:
                    raise ValueError(
                        f"column {field.name!r} of table {table!r} cannot be "
                        f"cast to {field.type}: {err}"
                    ) from err
            else:
                column = pa.nulls(data.num_rows, field.type)
            if field.name == _STATUS:
                column = column.fill_null(_STATUS_OK)
            columns.append(column)
        columns += provenance_columns(dict(provenance), data.num_rows)
        return pa.Table.from_arrays(columns, schema=self.schema(table))

    def _check_columns(self, table: str, names: Sequence[str]) -> None:
        unknown = [n for n in names if n not in self._schemas[table].names]
        if unknown:
            raise ValueError(
                f"table {table!r} has no column(s) {unknown}; its columns are "
                f"{self._schemas[table].names}"
            )

    def write(
        self, task: Task, outputs: Mapping[str, Any], provenance: Mapping[str, Any]
    ) -> dict[str, pathlib.Path]:
        """Writes a task's tables, then its done marker.

        Args:
            task: the task that produced ``outputs``.
            outputs: ``{table: rows}`` as :meth:`to_table` takes them; a
                ``"_provenance"`` entry is merged into ``provenance``. Tables
                with no rows write no file.
            provenance: provenance values (``task_id`` is set from ``task``).

        Returns:
            ``{table: path}`` of the files written.

        Raises:
            ValueError: for an unknown table or column (nothing is marked
                done; files already renamed into place are overwritten by the
                next attempt).
        """
        if not isinstance(outputs, Mapping):
            raise TypeError(
                f"task {task.display_name} must return a dict of tables; got "
                f"{type(outputs).__name__}"
            )
        outputs = dict(outputs)
        provenance = {**provenance, **(outputs.pop("_provenance", None) or {})}
        provenance["task_id"] = task.id
        provenance.setdefault("finished_at", utc_now())
        tables = {}
        for table, rows in outputs.items():
            if table == FAILURES_TABLE:
                raise ValueError(f"task {task.display_name} returned table 'failures'")
            self._science_schema(table)
            data = self.to_table(table, rows, provenance)
            if data.num_rows:
                tables[table] = data
        written = {}
        for table, data in tables.items():
            path = self.path(table, task.experiment, task.id)
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write_table(path, data)
            written[table] = path
        self.path(FAILURES_TABLE, task.experiment, task.id).unlink(missing_ok=True)
        marker = {
            "task_id": task.id,
            "experiment": task.experiment,
            "name": task.name,
            "fn": task.fn_path,
            "kwargs": task.kwargs,
            "labels": task.labels,
            "run_id": provenance.get("run_id"),
            "attempt": provenance.get("attempt"),
            "finished_at": provenance["finished_at"].isoformat(),
            "files": {t: str(p.relative_to(self.root)) for t, p in written.items()},
            "rows": {t: tables[t].num_rows for t in written},
        }
        _atomic_write_bytes(
            self.marker_path(task.id),
            json.dumps(marker, indent=1, default=str).encode(),
        )
        return written

    def is_done(self, task_id: str) -> bool:
        """True when ``task_id`` has a marker and intact files it lists.

        Each listed file must exist, have a readable Parquet footer, hold the
        recorded number of rows, and have the current schema of its table
        (a table whose schema changed since is redone).
        """
        try:
            marker = json.loads(self.marker_path(task_id).read_text())
            files, rows = marker["files"], marker["rows"]
        except (OSError, ValueError, KeyError, TypeError):
            return False
        for table, rel in files.items():
            try:
                meta = pq.read_metadata(self.root / rel)
                schema = meta.schema.to_arrow_schema()
                expected = self.schema(table)
            except (OSError, ValueError, pa.ArrowException):
                return False
            if meta.num_rows != rows.get(table) or not _same_columns(schema, expected):
                return False
        return True

    def record_failure(
        self,
        task: Task,
        error: BaseException | str,
        attempts: int,
        provenance: Mapping[str, Any] | None = None,
    ) -> pathlib.Path:
        """Writes one row to the ``failures`` table for ``task``.

        A later successful :meth:`write` of the task deletes this file, so
        the failures table lists only tasks that have no result.

        Returns:
            The path written.
        """
        if isinstance(error, BaseException):
            error_type, message = type(error).__name__, str(error)
        else:
            error_type, message = None, str(error)
        row = {
            "name": task.display_name,
            "fn": task.fn_path,
            "labels_json": canonical_json(task.labels),
            "kwargs_json": canonical_json(task.kwargs),
            "error_type": error_type,
            "error": message,
            "attempts": attempts,
            "status": _STATUS_FAILED,
        }
        values = {**(provenance or {}), "task_id": task.id}
        values.setdefault("attempt", attempts)
        values.setdefault("finished_at", utc_now())
        data = self.to_table(FAILURES_TABLE, [row], values)
        path = self.path(FAILURES_TABLE, task.experiment, task.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write_table(path, data)
        return path
