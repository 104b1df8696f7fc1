"""Provenance columns appended to every result row, and where their values
come from."""

from __future__ import annotations

import datetime
import functools
import importlib.metadata
import logging
import pathlib
import platform
import socket
import subprocess
import tomllib
from typing import Any

import pyarrow as pa

logger = logging.getLogger(__name__)

#: Distribution whose version is recorded as ``package_version``.
PACKAGE = "revntk"

_REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
_GIT_TIMEOUT_S = 5.0

PROVENANCE_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), metadata={"doc": "Run that wrote the row."}),
        pa.field("spec_hash", pa.string(), metadata={"doc": "Hash of the job spec."}),
        pa.field(
            "task_id", pa.string(), metadata={"doc": "Content-derived id of the task."}
        ),
        pa.field(
            "attempt",
            pa.int32(),
            metadata={"doc": "1 for the first try, 2 for a retry."},
        ),
        pa.field("package_version", pa.string()),
        pa.field(
            "git_commit", pa.string(), metadata={"doc": "HEAD, '+dirty' if modified."}
        ),
        pa.field("python_version", pa.string(), metadata={"doc": "Of the worker."}),
        pa.field("hostname", pa.string(), metadata={"doc": "Of the worker."}),
        pa.field("jax_version", pa.string()),
        pa.field(
            "jax_backend", pa.string(), metadata={"doc": "'cpu', 'gpu' or 'tpu'."}
        ),
        pa.field("device_kind", pa.string(), metadata={"doc": "e.g. 'NVIDIA A10G'."}),
        pa.field(
            "wall_time_s",
            pa.float64(),
            metadata={"doc": "Seconds the task function ran."},
        ),
        pa.field("finished_at", pa.timestamp("us", tz="UTC")),
    ]
)


def utc_now() -> datetime.datetime:
    """The current time, timezone-aware UTC."""
    return datetime.datetime.now(datetime.UTC)


@functools.cache
def package_version() -> str | None:
    """Version of the installed package, else of the checkout's pyproject."""
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        with open(_REPO_ROOT / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return None


def _git(*args: str) -> str:
    """Stripped stdout of ``git *args`` in the checkout; raises if git fails."""
    return subprocess.run(
        ["git", *args],
        cwd=_REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=_GIT_TIMEOUT_S,
        check=True,
    ).stdout.strip()


@functools.cache
def git_commit() -> str | None:
    """HEAD of the checkout holding this package, '+dirty' if modified.

    None outside a git checkout (an installed wheel, a Ray job's uploaded
    working directory) or without git.
    """
    try:
        head = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError) as err:
        logger.debug("no git commit recorded: %s", err)
        return None
    return head + ("+dirty" if dirty else "") if head else None


def worker_provenance() -> dict[str, Any]:
    """Provenance values known on the process that ran the task."""
    return {
        "python_version": platform.python_version(),
        "hostname": socket.gethostname(),
    }


def driver_provenance(run_id: str, spec_hash: str | None) -> dict[str, Any]:
    """Provenance values the driver knows for every task of a run."""
    return {
        "run_id": run_id,
        "spec_hash": spec_hash,
        "package_version": package_version(),
        "git_commit": git_commit(),
    }


def local_provenance(
    run_id: str, spec_hash: str | None, *, attempt: int = 1
) -> dict[str, Any]:
    """Provenance of a result computed in this process (e.g. a reduction run
    on the driver), for ``ResultStore.write``; add ``wall_time_s`` and the
    jax columns as known."""
    return {
        **driver_provenance(run_id, spec_hash),
        **worker_provenance(),
        "attempt": attempt,
    }


def provenance_columns(values: dict[str, Any], num_rows: int) -> list[pa.Array]:
    """One constant column per provenance field, for ``num_rows`` rows.

    Raises:
        ValueError: for a key that is not a provenance column.
    """
    unknown = sorted(set(values) - set(PROVENANCE_SCHEMA.names))
    if unknown:
        raise ValueError(
            f"`provenance` has unknown column(s) {unknown}; the provenance "
            f"columns are {PROVENANCE_SCHEMA.names}"
        )
    return [
        pa.array([values.get(field.name)] * num_rows, type=field.type)
        for field in PROVENANCE_SCHEMA
    ]
