"""The driver side of an experiment: connect, schedule phases, collect summaries.

An experiment module defines ``Spec`` (its spec model) and
``execute(spec, ctx)``, which builds tasks phase by phase and hands each phase
to :meth:`RunContext.run`. Everything a worker needs travels explicitly: task
kwargs (float64, seeds, dataset names) and ``worker_env`` (dataset cache,
log level, XLA settings).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pathlib
from collections.abc import Sequence
from typing import Any

from revntk_core.datasets import data_dir

from ._spec_base import ExperimentSpec, spec_hash

__all__ = ["RunContext", "worker_env"]

logger = logging.getLogger(__name__)


def worker_env() -> dict[str, str]:
    """Environment variables every worker gets, resolved on the driver."""
    env = {
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        "REVNTK_LOG_LEVEL": logging.getLevelName(logging.getLogger().level),
    }
    env["REVNTK_DATA_DIR"] = str(data_dir())
    if os.environ.get("REVNTK_OFFLINE"):
        env["REVNTK_OFFLINE"] = os.environ["REVNTK_OFFLINE"]
    return env


@dataclasses.dataclass
class RunContext:
    """One experiment run: its spec, result store and scheduling settings.

    Attributes:
        spec: the validated spec.
        results: the results directory.
        progress: show a progress bar per phase.
        summaries: the ``cluster.RunSummary`` of every phase run so far.
    """

    spec: ExperimentSpec
    results: pathlib.Path
    progress: bool = True
    summaries: list[Any] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        from cluster import ResultStore

        from .schemas import SCHEMAS

        self.results = pathlib.Path(self.results)
        self.store = ResultStore(self.results, SCHEMAS)
        self.spec_hash = spec_hash(self.spec)
        self.env = worker_env()

    @property
    def experiment(self) -> str:
        return self.spec.experiment

    def resources(self, **changes: float):
        """``cluster.Resources`` of the spec, with optional changes."""
        from cluster import Resources

        values = self.spec.resources.model_dump()
        values.update(changes)
        return Resources(**values)

    def run(self, tasks: Sequence[Any], phase: str) -> Any:
        """Runs one phase of tasks to completion and returns its summary."""
        from cluster import run_tasks

        logger.info("%s: phase %s, %d tasks", self.experiment, phase, len(tasks))
        summary = run_tasks(
            list(tasks),
            self.store,
            spec_hash=self.spec_hash,
            spec={
                "experiment": self.experiment,
                "phase": phase,
                **self.spec.model_dump(mode="json"),
            },
            max_in_flight=self.spec.max_in_flight,
            max_retries=self.spec.max_retries,
            worker_env=self.env,
            progress=self.progress,
        )
        self.summaries.append(summary)
        return summary

    def write_driver_task(self, task: Any, outputs: dict[str, Any]) -> None:
        """Writes the outputs of a task computed on the driver (a reduction)."""
        import uuid

        from cluster._provenance import driver_provenance, worker_provenance

        prov = {
            **driver_provenance(f"driver-{uuid.uuid4().hex[:12]}", self.spec_hash),
            **worker_provenance(),
            "attempt": 1,
        }
        self.store.write(task, outputs, prov)
