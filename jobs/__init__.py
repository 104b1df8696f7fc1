"""The paper's experiments E1-E4 as validated specs and resumable Ray jobs.

Python API::

    from jobs import run_experiment, load_spec
    summary = run_experiment("parity", preset="smoke", results="results/")

or one module per experiment on the command line (locally, or under
``ray job submit --working-dir . -- ...``)::

    python -m jobs.parity --preset quick --results results/ --set trials=6

Experiments (aliases in brackets): ``kernel_mimicry`` (e1), ``ansatz`` (e2),
``mimic_training`` (e3), ``parity`` (e4). Results are Parquet tables whose
columns are documented in :mod:`jobs.schemas`.
"""

from __future__ import annotations

import importlib
import logging
import os
import pathlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from ._spec_base import (
    PRESETS,
    DatasetsUnavailableError,
    ExperimentSpec,
    SpecError,
    build_spec,
    has_field,
    spec_hash,
)

__all__ = [
    "ALIASES",
    "EXPERIMENTS",
    "PRESETS",
    "DatasetsUnavailableError",
    "ExperimentSpec",
    "SpecError",
    "experiment_module",
    "load_spec",
    "load_specs",
    "preflight",
    "resolve_experiment",
    "run_experiment",
    "run_spec",
    "spec_hash",
]

logger = logging.getLogger(__name__)

#: Experiment names, in the order ``revntk reproduce`` runs them (E2 before E3,
#: so E3 can use the fitted ansatz).
EXPERIMENTS: tuple[str, ...] = ("kernel_mimicry", "ansatz", "mimic_training", "parity")
#: Short names accepted wherever an experiment name is.
ALIASES: dict[str, str] = {f"e{i + 1}": name for i, name in enumerate(EXPERIMENTS)}

_REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def resolve_experiment(name: str) -> str:
    """The experiment name of ``name`` or its alias (``"e4"`` -> ``"parity"``).

    Raises:
        SpecError: for an unknown name, listing the valid ones.
    """
    key = str(name).strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in EXPERIMENTS:
        valid = ", ".join(f"{n} ({a})" for a, n in ALIASES.items())
        raise SpecError(f"unknown experiment {name!r}; valid names: {valid}")
    return key


def experiment_module(name: str) -> ModuleType:
    """The module ``jobs.<name>`` of an experiment (``Spec``, ``execute``)."""
    return importlib.import_module(f"jobs.{resolve_experiment(name)}")


def load_spec(
    name: str,
    *,
    preset: str | None = "smoke",
    spec_file: str | os.PathLike[str] | None = None,
    overrides: Sequence[str] | None = None,
) -> ExperimentSpec:
    """Builds and validates the spec of one experiment (no task runs).

    Args:
        name: experiment name or alias.
        preset: ``"smoke"``, ``"quick"``, ``"paper"``, or None for the model's
            defaults (the paper protocol).
        spec_file: YAML/TOML file of fields merged over the preset.
        overrides: ``"field=value"`` strings (values parsed as YAML; dotted
            paths for nested fields).

    Raises:
        SpecError: naming the field of every problem.
    """
    from ._specs import SPEC_MODELS

    model = SPEC_MODELS[resolve_experiment(name)]
    return build_spec(model, preset=preset, spec_file=spec_file, overrides=overrides)


def load_specs(
    names: Sequence[str],
    *,
    preset: str | None = "smoke",
    overrides: Sequence[str] | None = None,
) -> list[ExperimentSpec]:
    """Specs of several experiments sharing one list of overrides.

    Each ``"field=value"`` applies to every experiment whose spec has that
    field (``resources.num_gpus=0`` to all four, ``trials=4`` to parity
    only). This is ``revntk reproduce --set``.

    Args:
        names: experiment names or aliases.
        preset: as for :func:`load_spec`.
        overrides: ``"field=value"`` strings.

    Raises:
        SpecError: an override whose field no experiment of ``names`` has,
            or any problem of one spec.
    """
    from ._specs import SPEC_MODELS

    names = [resolve_experiment(n) for n in names]
    overrides = list(overrides or ())
    chosen: dict[str, list[str]] = {n: [] for n in names}
    for text in overrides:
        path = text.split("=", 1)[0].strip()
        takers = [n for n in names if has_field(SPEC_MODELS[n], path)]
        if "=" in text and not takers:
            top = path.split(".")[0]
            for n in names:  # a known field, wrongly addressed: its own error
                if has_field(SPEC_MODELS[n], top):
                    load_spec(n, preset=preset, overrides=[text])
            raise SpecError(
                f"`--set {text}`: no experiment of this run ({', '.join(names)}) "
                f"has a field `{path}`; see `revntk spec NAME` for the fields"
            )
        for n in takers or names:  # no '=': let load_spec report the syntax
            chosen[n].append(text)
    return [load_spec(n, preset=preset, overrides=chosen[n]) for n in names]


def preflight(spec: ExperimentSpec) -> None:
    """Checks what a spec needs beyond its fields, before Ray or any task.

    For E3 that every required dataset loads (downloading it into the cache
    if allowed) and a note for each optional dataset that is skipped; the
    other experiments need nothing. :func:`run_spec` calls it first.

    Raises:
        DatasetsUnavailableError: a required dataset cannot be loaded; the
            message has one line per dataset.
    """
    check = getattr(experiment_module(spec.experiment), "preflight", None)
    if check is not None:
        check(spec)


def _merge_summaries(summaries: list[Any]):
    from cluster import RunSummary

    if not summaries:
        return RunSummary("", 0, 0, 0, 0, 0.0, [])
    return RunSummary(
        run_id=summaries[0].run_id,
        total=sum(s.total for s in summaries),
        skipped=sum(s.skipped for s in summaries),
        done=sum(s.done for s in summaries),
        failed=sum(s.failed for s in summaries),
        wall_s=sum(s.wall_s for s in summaries),
        failures=[f for s in summaries for f in s.failures],
    )


def _connect(address: str | None) -> None:
    """Connects to ``address``/``RAY_ADDRESS``, else starts a private local Ray.

    A local Ray's workers import jobs/revntk_core/cluster from this checkout
    even when it is not pip-installed.
    """
    from cluster import connect

    runtime_env = None
    if not (address or os.environ.get("RAY_ADDRESS")):
        path = os.pathsep.join(
            p for p in (str(_REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        runtime_env = {"env_vars": {"PYTHONPATH": path}}
    connect(address, runtime_env=runtime_env)


def run_spec(
    spec: ExperimentSpec,
    *,
    results: str | os.PathLike[str],
    address: str | None = None,
    progress: bool = True,
    check: bool = True,
):
    """Runs a validated spec to completion; returns a ``cluster.RunSummary``.

    Runs :func:`preflight` (unless ``check`` is False: the caller already
    did), connects to Ray (``address``, else ``RAY_ADDRESS``, else a local
    Ray in this process), then schedules the experiment's phases. Finished
    tasks in ``results`` are skipped, so a rerun completes an interrupted run.

    Raises:
        DatasetsUnavailableError: a required dataset cannot be loaded
            (nothing ran, Ray was not started).
    """
    from ._runner import RunContext

    module = experiment_module(spec.experiment)
    if check:
        preflight(spec)
    _connect(address)
    ctx = RunContext(spec, pathlib.Path(results), progress=progress)
    logger.info("%s: spec hash %s", spec.experiment, ctx.spec_hash)
    module.execute(spec, ctx)
    summary = _merge_summaries(ctx.summaries)
    if summary.failed:
        logger.warning(
            "%s: %d task(s) failed; see the failures table in %s",
            spec.experiment,
            summary.failed,
            results,
        )
    return summary


def run_experiment(
    name: str,
    *,
    preset: str | None = "smoke",
    results: str | os.PathLike[str],
    overrides: Sequence[str] | None = None,
    spec_file: str | os.PathLike[str] | None = None,
    address: str | None = None,
    progress: bool = True,
):
    """Validates the spec of experiment ``name`` and runs it.

    Every check of the spec happens before any task starts.

    Args:
        name: experiment name or alias (see :data:`EXPERIMENTS`).
        preset: ``"smoke"`` (seconds), ``"quick"`` (minutes on a CPU),
            ``"paper"`` (the full protocol) or None.
        results: the results directory.
        overrides: ``"field=value"`` strings.
        spec_file: YAML/TOML file of spec fields.
        address: Ray cluster address; None uses ``RAY_ADDRESS`` or a local Ray.
        progress: show progress bars.

    Returns:
        The ``cluster.RunSummary`` of all phases together.

    Raises:
        SpecError: for an invalid spec or a required dataset that cannot be
            loaded (:class:`DatasetsUnavailableError`); nothing ran.
    """
    spec = load_spec(name, preset=preset, spec_file=spec_file, overrides=overrides)
    return run_spec(spec, results=results, address=address, progress=progress)
