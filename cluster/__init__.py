"""Ray + Parquet, no science: tasks, scheduling, retries, resume, reduction.

A job builds :class:`Task` objects (a module-level function, plain-data
keyword arguments, resources), hands them with a :class:`ResultStore` (a
results directory and the schemas of its tables) to :func:`run_tasks`, and
reads the results back with :func:`read_table` / :func:`iter_table` or plain
``pyarrow.dataset``. See ``cluster._store`` for the directory layout.
"""

from cluster._connect import connect
from cluster._provenance import (
    PROVENANCE_SCHEMA,
    git_commit,
    local_provenance,
    package_version,
)
from cluster._reduce import Moments, dataset, iter_table, merge_all, read_table
from cluster._scheduler import (
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_WORKER_ENV,
    PROGRESS_LOGGER,
    RunSummary,
    new_run_id,
    run_tasks,
)
from cluster._store import FAILURES_SCHEMA, FAILURES_TABLE, ResultStore
from cluster._task import TASK_ID_HEX, Resources, Task, canonical_json

__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_WORKER_ENV",
    "FAILURES_SCHEMA",
    "FAILURES_TABLE",
    "PROGRESS_LOGGER",
    "PROVENANCE_SCHEMA",
    "TASK_ID_HEX",
    "Moments",
    "Resources",
    "ResultStore",
    "RunSummary",
    "Task",
    "canonical_json",
    "connect",
    "dataset",
    "git_commit",
    "iter_table",
    "local_provenance",
    "merge_all",
    "new_run_id",
    "package_version",
    "read_table",
    "run_tasks",
]
