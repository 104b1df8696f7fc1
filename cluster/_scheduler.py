"""Runs tasks on Ray: skip done ones, bound in-flight, retry, write, report.

The driver submits each task as a Ray remote call, keeps at most
``max_in_flight`` of them running or queued, and writes every result to the
:class:`ResultStore` as soon as it arrives (only the driver touches the
results directory, so a cluster needs no shared filesystem). A task that
raises or whose worker dies (killed, out of memory) is resubmitted up to
``max_retries`` times and then recorded in the ``failures`` table; the rest
of the run goes on.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import ray
import ray.exceptions

from cluster._connect import connect
from cluster._provenance import (
    driver_provenance,
    git_commit,
    package_version,
    utc_now,
    worker_provenance,
)
from cluster._store import ResultStore, _atomic_write_bytes
from cluster._task import Task, check_name

logger = logging.getLogger(__name__)

#: Logger of the progress lines written when stderr is not a terminal. It is
#: separate so that a command line can show progress (INFO) while the rest of
#: ``cluster`` logs only warnings.
PROGRESS_LOGGER = "cluster.progress"
progress_logger = logging.getLogger(PROGRESS_LOGGER)

#: Environment every worker gets unless ``worker_env`` overrides it: tasks
#: that share a GPU must not each preallocate 75 % of its memory (JAX default).
DEFAULT_WORKER_ENV = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}

#: Default bound on tasks submitted but not finished. Large enough that an
#: autoscaling cluster sees demand for many workers, small enough that the
#: driver never queues a whole sweep's results at once.
DEFAULT_MAX_IN_FLIGHT = 64

#: Seconds between progress log lines (when not on a terminal) and between
#: manifest updates.
LOG_INTERVAL_S = 10.0
MANIFEST_INTERVAL_S = 30.0

#: Characters of an error message kept in the failures table and manifest.
MAX_ERROR_CHARS = 4000


@dataclasses.dataclass(frozen=True)
class RunSummary:
    """What :func:`run_tasks` did.

    Attributes:
        run_id: id of the run (its manifest is ``ROOT/_runs/<run_id>.json``).
        total: distinct tasks given.
        skipped: tasks already done before this run.
        done: tasks completed in this run.
        failed: tasks that failed after every retry.
        wall_s: seconds the run took.
        failures: ``{"task_id", "name", "error_type", "error", "attempts"}``
            per failed task.
    """

    run_id: str
    total: int
    skipped: int
    done: int
    failed: int
    wall_s: float
    failures: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        """True when every task is done."""
        return self.failed == 0 and self.skipped + self.done == self.total


@ray.remote
def _execute(fn: Any, kwargs: dict[str, Any], attempt: int) -> tuple[Any, dict]:
    """Runs one task on a worker and returns its outputs and provenance."""
    start = time.perf_counter()
    outputs = fn(**kwargs)
    provenance = worker_provenance()
    provenance.update(
        attempt=attempt,
        wall_time_s=time.perf_counter() - start,
        finished_at=utc_now(),
    )
    return outputs, provenance


def new_run_id() -> str:
    """A sortable unique run id: UTC time and 6 random hex characters."""
    return f"{utc_now():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def _cause(err: BaseException) -> BaseException:
    """The user's exception inside a RayTaskError, else ``err`` itself."""
    cause = getattr(err, "cause", None)
    return cause if isinstance(cause, BaseException) else err


def _is_system_error(err: BaseException) -> bool:
    """True for failures of the worker, not of the task's code."""
    return isinstance(err, ray.exceptions.RayError) and not isinstance(
        err, ray.exceptions.RayTaskError
    )


def _check_env(worker_env: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(DEFAULT_WORKER_ENV)
    for key, value in (worker_env or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"`worker_env` must map str to str; got {key!r}: {value!r}")
        env[key] = value
    return env


class _Progress:
    """tqdm on a terminal, else an INFO line of the :data:`PROGRESS_LOGGER`
    every LOG_INTERVAL_S seconds and one at the end."""

    def __init__(self, enabled: bool, total: int, run_id: str):
        self.total, self.run_id = total, run_id
        self.done = self.failed = 0
        self.start = self.last_log = time.monotonic()
        self.bar = None
        if enabled and total and sys.stderr.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=f"run {run_id}", unit="task")
        self.enabled = enabled

    def update(self, done: int = 0, failed: int = 0) -> None:
        self.done += done
        self.failed += failed
        if self.bar is not None:
            self.bar.update(done + failed)
            self.bar.set_postfix(failed=self.failed)
        elif self.enabled and time.monotonic() - self.last_log >= LOG_INTERVAL_S:
            self.log()

    def log(self) -> None:
        self.last_log = time.monotonic()
        finished = self.done + self.failed
        elapsed = self.last_log - self.start
        left = self.total - finished
        eta = f"{elapsed / finished * left:.0f}s" if finished else "?"
        progress_logger.info(
            "run %s: %d/%d done, %d failed, %d left, ETA %s",
            self.run_id,
            self.done,
            self.total,
            self.failed,
            left,
            eta,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            self.log()


def _cluster_info() -> dict[str, Any]:
    try:
        return {
            "address": ray.get_runtime_context().gcs_address,
            "resources": ray.cluster_resources(),
        }
    except Exception as err:  # the manifest must not fail the run
        return {"error": repr(err)}


def run_tasks(
    tasks: Iterable[Task],
    store: ResultStore,
    *,
    spec_hash: str | None,
    spec: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    max_in_flight: int | None = None,
    max_retries: int = 2,
    retry_exceptions: bool = True,
    worker_env: Mapping[str, str] | None = None,
    progress: bool = True,
) -> RunSummary:
    """Runs every task not yet done and writes its results to ``store``.

    Connects to Ray first if needed (see :func:`connect`). Tasks with equal
    ids are run once. Each result is written by this driver as it arrives;
    the run manifest ``ROOT/_runs/<run_id>.json`` (spec, counts, per-task
    status, versions, cluster) is written at the start, every
    ``MANIFEST_INTERVAL_S`` seconds, at the end, and on KeyboardInterrupt
    (in-flight tasks are then cancelled and the interrupt re-raised).

    Args:
        tasks: the tasks of the run.
        store: where results go and done tasks are found.
        spec_hash: hash of the job spec, recorded in every row.
        spec: the job spec as plain data, recorded in the manifest.
        run_id: id of this run; a new time-based one when None.
        max_in_flight: most tasks submitted and not finished at once
            (default :data:`DEFAULT_MAX_IN_FLIGHT`).
        max_retries: extra attempts after a failed one (0: no retry).
        retry_exceptions: retry exceptions raised by the task function too,
            not only worker deaths (killed, out of memory).
        worker_env: environment variables for the workers, on top of
            :data:`DEFAULT_WORKER_ENV`; the only way driver-side settings of
            the environment reach them.
        progress: show progress (tqdm on a terminal, log lines otherwise).

    Returns:
        A :class:`RunSummary`.

    Raises:
        ValueError: for a bad ``max_in_flight``, ``max_retries`` or ``run_id``.
        TypeError: for a task that is not a :class:`Task`, or a bad
            ``worker_env``.
    """
    start = time.monotonic()
    run_id = check_name(run_id, "run_id") if run_id is not None else new_run_id()
    if max_in_flight is None:
        max_in_flight = DEFAULT_MAX_IN_FLIGHT
    if (
        isinstance(max_in_flight, bool)
        or not isinstance(max_in_flight, int)
        or max_in_flight < 1
    ):
        raise ValueError(
            f"`max_in_flight` must be a positive int; got {max_in_flight!r}"
        )
    if (
        isinstance(max_retries, bool)
        or not isinstance(max_retries, int)
        or max_retries < 0
    ):
        raise ValueError(f"`max_retries` must be an int >= 0; got {max_retries!r}")
    env = _check_env(worker_env)
    unique: dict[str, Task] = {}
    for task in tasks:
        if not isinstance(task, Task):
            raise TypeError(f"`tasks` must hold Task objects; got {task!r:.80}")
        unique.setdefault(task.id, task)
    connect()

    status = {tid: "skipped" if store.is_done(tid) else "pending" for tid in unique}
    todo = collections.deque(t for t in unique.values() if status[t.id] == "pending")
    skipped = len(unique) - len(todo)
    attempts: dict[str, int] = {}
    failures: list[dict[str, Any]] = []
    base_provenance = driver_provenance(run_id, spec_hash)
    manifest = {
        "run_id": run_id,
        "spec_hash": spec_hash,
        "spec": spec,
        "started_at": utc_now().isoformat(),
        "package_version": package_version(),
        "git_commit": git_commit(),
        "python_version": sys.version.split()[0],
        "cluster": _cluster_info(),
        "worker_env_keys": sorted(env),
    }

    def write_manifest(state: str) -> None:
        counts = collections.Counter(status.values())
        manifest.update(
            state=state,
            updated_at=utc_now().isoformat(),
            wall_s=time.monotonic() - start,
            counts={"total": len(unique), **counts},
            tasks={
                tid: {
                    "name": t.display_name,
                    "experiment": t.experiment,
                    "labels": t.labels,
                    "status": status[tid],
                    "attempts": attempts.get(tid, 0),
                }
                for tid, t in unique.items()
            },
            failures=failures,
        )
        path = store.root / "_runs" / f"{run_id}.json"
        _atomic_write_bytes(path, json.dumps(manifest, indent=1, default=str).encode())

    logger.info(
        "run %s: %d tasks, %d already done, %d to run",
        run_id,
        len(unique),
        skipped,
        len(todo),
    )
    write_manifest("running")
    bar = _Progress(progress, len(todo), run_id)
    in_flight: dict[ray.ObjectRef, Task] = {}

    def submit(task: Task) -> None:
        attempts[task.id] = attempts.get(task.id, 0) + 1
        options = task.resources.ray_options()
        ref = _execute.options(
            **options,
            max_retries=0,
            retry_exceptions=False,
            runtime_env={"env_vars": env},
            name=task.display_name[:100],
        ).remote(task.fn, dict(task.kwargs), attempts[task.id])
        in_flight[ref] = task
        status[task.id] = "running"

    def fail(task: Task, err: BaseException) -> None:
        status[task.id] = "failed"
        message = str(err)[-MAX_ERROR_CHARS:]
        failures.append(
            {
                "task_id": task.id,
                "name": task.display_name,
                "error_type": type(err).__name__,
                "error": message,
                "attempts": attempts[task.id],
            }
        )
        try:
            store.record_failure(task, err, attempts[task.id], {**base_provenance})
        except Exception as write_err:  # keep running; the manifest has it
            logger.error("could not record failure of %s: %r", task.id, write_err)
        bar.update(failed=1)

    last_manifest = time.monotonic()
    try:
        while todo or in_flight:
            while todo and len(in_flight) < max_in_flight:
                submit(todo.popleft())
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=LOG_INTERVAL_S)
            for ref in ready:
                task = in_flight.pop(ref)
                try:
                    outputs, provenance = ray.get(ref)
                except Exception as err:
                    cause = _cause(err)
                    retry = _is_system_error(err) or retry_exceptions
                    if retry and attempts[task.id] <= max_retries:
                        logger.warning(
                            "task %s failed on attempt %d (%s: %s); retrying",
                            task.display_name,
                            attempts[task.id],
                            type(cause).__name__,
                            str(cause)[:200],
                        )
                        submit(task)
                    else:
                        logger.error(
                            "task %s failed after %d attempt(s): %s",
                            task.display_name,
                            attempts[task.id],
                            err,
                        )
                        fail(task, cause)
                    continue
                try:
                    store.write(task, outputs, {**base_provenance, **provenance})
                except Exception as err:  # a bad result fails its task only
                    logger.error(
                        "task %s: result not written: %r", task.display_name, err
                    )
                    fail(task, err)
                    continue
                status[task.id] = "done"
                bar.update(done=1)
            bar.update()
            if time.monotonic() - last_manifest >= MANIFEST_INTERVAL_S:
                write_manifest("running")
                last_manifest = time.monotonic()
    except BaseException as err:
        for ref in in_flight:
            ray.cancel(ref)
        state = "interrupted" if isinstance(err, KeyboardInterrupt) else "crashed"
        manifest["error"] = repr(err)
        write_manifest(state)
        bar.close()
        raise
    bar.close()
    counts = collections.Counter(status.values())
    manifest["finished_at"] = utc_now().isoformat()
    write_manifest("finished")
    summary = RunSummary(
        run_id=run_id,
        total=len(unique),
        skipped=skipped,
        done=counts["done"],
        failed=counts["failed"],
        wall_s=time.monotonic() - start,
        failures=failures,
    )
    logger.info(
        "run %s finished: %d done, %d skipped, %d failed of %d in %.1fs",
        run_id,
        summary.done,
        summary.skipped,
        summary.failed,
        summary.total,
        summary.wall_s,
    )
    return summary
