"""E3: a 1HL phi~ net trains like a 4HL ReLU net (SPEC section 5).

For each dataset x input normalisation x architecture:

- phase ``"curve"``: nets of one width trained from several seeds, metrics at
  log-spaced epochs (``curves``) and at the end (``metrics``);
- phase ``"cv"``: for each width of the sweep, k-fold cross-validation on the
  train set picks the stopping epoch of best mean validation accuracy
  (``curves`` rows of validation metrics per fold, one ``metrics`` row whose
  ``stop_epoch`` is the choice);
- phase ``"sweep"``: nets of each width trained on the full train set to that
  epoch (``metrics`` per seed). These tasks are built only after every cv
  task has finished: two scheduling phases.
- kernel-regression baselines with the exact infinite-width kernels (model
  ``"ntk-regression"`` / ``"nngp-regression"``, phase ``"sweep"``; the NTK
  one also as a learning curve in phase ``"curve"``); for deep nets only on
  uniform-radius inputs, where the kernels depend on the cosines alone.

Every dataset of ``datasets`` must load (:func:`preflight` stops the run
before any task starts if one cannot); those of ``optional_datasets``
(CIFAR-10 by default) run only when in the dataset cache, else they are
skipped with a logged note. Run: ``python -m jobs.mimic_training --preset quick
--results DIR``.
"""

from __future__ import annotations

import logging
from typing import Any

from cluster import Task

from ._specs import MimicTrainingSpec

Spec = MimicTrainingSpec
EXPERIMENT = Spec.experiment

__all__ = [
    "EXPERIMENT",
    "Spec",
    "cv_task",
    "execute",
    "main",
    "preflight",
    "regression_task",
    "train_task",
]

logger = logging.getLogger(__name__)


def _load(data: dict, float64: bool):
    """Sets up the worker and loads the task's dataset (capped at ``max_train``)."""
    from ._worker import setup_worker

    setup_worker(float64)
    from revntk_core.datasets import DATASETS, load_dataset

    n_train = n_test = None
    if data["max_train"] is not None:
        info = DATASETS[data["dataset"]]
        n_train = min(data["max_train"], info.n_train)
        n_test = min(data["max_train"], info.n_test)
    return load_dataset(
        data["dataset"],
        split_seed=data["split_seed"],
        normalisation=data["normalisation"],
        n_train=n_train,
        n_test=n_test,
    )


def _load_with_net(data: dict, arch: dict, width: int, float64: bool):
    """The task's dataset and the ``arch`` net of ``width`` sized for it."""
    from ._training import build_fcn

    ds = _load(data, float64)
    y = ds.y_train.reshape(len(ds.x_train), -1)
    fcn = build_fcn(arch, d_in=ds.x_train.shape[1], d_out=y.shape[1], width=width)
    return ds, fcn


def _keys(data: dict, phase: str, model: str = "net", **extra) -> dict[str, Any]:
    return {
        "dataset": data["dataset"],
        "normalisation": data["normalisation"],
        "architecture": data["arch_name"],
        "model": model,
        "phase": phase,
        "split_seed": data["split_seed"],
        "step_size": data["step_size"],
        "width": None,
        "n_params": None,
        "fold": None,
        **extra,
    }


def train_task(
    *,
    data: dict,
    arch: dict,
    width: int,
    seeds: list[int],
    epochs: int,
    n_log_points: int | None,
    phase: str,
    float64: bool,
) -> dict[str, Any]:
    """Trains one architecture at one width from several seeds."""
    from revntk_core.engine import TrainConfig, param_count, train_multi_seed

    from ._training import result_rows
    from ._worker import log_epochs, provenance

    ds, fcn = _load_with_net(data, arch, width, float64)
    record = tuple(log_epochs(epochs, n_log_points)) if n_log_points else ()
    config = TrainConfig(
        epochs=epochs, step_size=data["step_size"], record_epochs=record
    )
    result = train_multi_seed(
        fcn, seeds, ds.x_train, ds.y_train, ds.x_test, ds.y_test, config
    )
    keys = _keys(data, phase, width=width, n_params=param_count(fcn))
    rows = result_rows(
        result, keys, seeds=seeds, stop_epoch=epochs, curves=bool(record)
    )
    return {**rows, "_provenance": provenance()}


def cv_task(
    *,
    data: dict,
    arch: dict,
    width: int,
    seeds: list[int],
    folds: int,
    max_epochs: int,
    n_log_points: int,
    fold_seed: int,
    float64: bool,
) -> dict[str, Any]:
    """k-fold cross-validation of the stopping epoch at one width."""
    import numpy as np

    from revntk_core.engine import TrainConfig, cross_validate_stop_epoch, param_count

    from ._worker import finite_or_none, log_epochs, provenance

    ds, fcn = _load_with_net(data, arch, width, float64)
    record = tuple(e for e in log_epochs(max_epochs, n_log_points) if e > 0)
    config = TrainConfig(
        epochs=max_epochs, step_size=data["step_size"], record_epochs=record
    )
    cv = cross_validate_stop_epoch(
        fcn,
        seeds,
        ds.x_train,
        ds.y_train,
        folds=folds,
        config=config,
        seed=fold_seed,
    )
    keys = _keys(data, "cv", width=width, n_params=param_count(fcn))
    curves = []
    for f in range(cv.val_accuracy.shape[0]):
        for s, seed in enumerate(seeds):
            for r, epoch in enumerate(cv.record_epochs):
                acc = finite_or_none(cv.val_accuracy[f, s, r])
                mse = finite_or_none(cv.val_mse[f, s, r])
                curves.append(
                    {
                        **keys,
                        "fold": f,
                        "seed": int(seed),
                        "epoch": int(epoch),
                        "test_acc": acc,
                        "test_mse": mse,
                        "status": "ok" if acc is not None else "diverged",
                    }
                )
    chosen = cv.chosen_epoch
    best = None
    if chosen is not None:
        idx = int(np.flatnonzero(np.asarray(cv.record_epochs) == chosen)[0])
        best = idx
    metric = {
        **keys,
        "stop_epoch": chosen,
        "epochs_run": max_epochs,
        "test_acc": None
        if best is None
        else finite_or_none(cv.mean_val_accuracy[best]),
        "test_mse": None
        if best is None
        else finite_or_none(np.nanmean(cv.val_mse[:, :, best])),
        "status": "ok" if chosen is not None else "diverged",
    }
    return {"curves": curves, "metrics": [metric], "_provenance": provenance()}


def _scores(train_pred, test_pred, ds) -> dict[str, Any]:
    """MSE and accuracy of train and test predictions, as ``ok`` row columns."""
    import numpy as np

    out: dict[str, Any] = {}
    for split, pred, y in (
        ("train", train_pred, ds.y_train),
        ("test", test_pred, ds.y_test),
    ):
        pred = np.asarray(pred).reshape(len(y), -1)
        y = np.asarray(y).reshape(len(y), -1)
        out[f"{split}_mse"] = float(np.mean(np.sum((pred - y) ** 2, axis=-1)))
        if y.shape[1] == 1:
            out[f"{split}_acc"] = float(np.mean(pred[:, 0] * y[:, 0] > 0))
        else:
            out[f"{split}_acc"] = float(
                np.mean(np.argmax(pred, -1) == np.argmax(y, -1))
            )
    return {**out, "status": "ok"}


def regression_task(
    *, data: dict, arch: dict, epochs: int, n_log_points: int, float64: bool
) -> dict[str, Any]:
    """Exact-kernel regression baselines (NTK, NNGP) and the NTK's GD curve."""
    from revntk_core.engine import kernel_regression, kernel_regression_at_epochs

    from ._training import exact_kernels_on_data
    from ._worker import log_epochs, provenance

    ds = _load(data, float64)
    k_tr = exact_kernels_on_data(arch, ds.x_train, ds.x_train)
    k_te = exact_kernels_on_data(arch, ds.x_test, ds.x_train)
    metrics = []
    for i, kind in enumerate(("nngp", "ntk")):
        pred = kernel_regression(k_tr[i], ds.y_train, k_te[i])
        keys = _keys(data, "sweep", model=f"{kind}-regression")
        metrics.append({**keys, **_scores(pred.train, pred.test, ds)})
    record = log_epochs(epochs, n_log_points)
    preds = kernel_regression_at_epochs(
        k_tr[1], ds.y_train, k_te[1], step_size=data["step_size"], epochs=record
    )
    keys = _keys(data, "curve", model="ntk-regression")
    curves = [
        {**keys, "epoch": int(epoch), **_scores(preds.train[j], preds.test[j], ds)}
        for j, epoch in enumerate(record)
    ]
    return {"metrics": metrics, "curves": curves, "_provenance": provenance()}


def _seed_batches(n_seeds: int, per_task: int) -> list[list[int]]:
    return [
        list(range(s, min(s + per_task, n_seeds))) for s in range(0, n_seeds, per_task)
    ]


def _regression_epochs(spec: MimicTrainingSpec) -> tuple[int, int]:
    """Epochs of the NTK-regression learning curve: those of the nets."""
    if spec.curve is not None:
        return spec.curve.epochs, spec.curve.n_log_points
    if spec.sweep is not None:
        return spec.sweep.max_epochs, spec.sweep.n_log_points
    return 2**16, 30


def _datasets(spec: MimicTrainingSpec) -> list[str]:
    """The datasets to run: every required one, then the optional ones in the
    cache (names in both lists count once, as required)."""
    from revntk_core.datasets import is_available

    optional = [
        name
        for name in spec.optional_datasets
        if name not in spec.datasets and is_available(name)
    ]
    return list(dict.fromkeys([*spec.datasets, *optional]))


#: What to add to the skip note of an optional dataset, by name.
_FILE_NOTES = {
    "cifar10": " It must be the binary archive cifar-10-binary.tar.gz, not the "
    "python (pickle) version cifar-10-python.tar.gz.",
}


def preflight(spec: MimicTrainingSpec) -> None:
    """Makes sure every dataset of ``spec`` loads, before any task starts.

    A required dataset (``datasets``) missing from the cache is downloaded
    now, once, by the driver. Every one that cannot be is reported together
    in a :class:`~jobs.DatasetsUnavailableError` (one line per dataset). An
    optional dataset (``optional_datasets``, CIFAR-10 by default) that is not
    in the cache is never downloaded: it is skipped with a logged note naming
    the file to put where.

    Raises:
        DatasetsUnavailableError: some required dataset cannot be loaded.
    """
    from revntk_core.datasets import (
        DatasetError,
        is_available,
        load_dataset,
        unavailable_reason,
    )

    from ._spec_base import DatasetsUnavailableError

    problems = []
    for name in spec.datasets:
        if is_available(name):
            continue
        try:
            load_dataset(name, split_seed=spec.split_seed)
        except DatasetError as err:
            problems.append(f"{name}: {' '.join(str(err).split())}")
    if problems:
        raise DatasetsUnavailableError(
            f"{len(problems)} dataset(s) of {EXPERIMENT} cannot be loaded; "
            "nothing ran:\n  " + "\n  ".join(problems)
        )
    for name in spec.optional_datasets:
        if name in spec.datasets:
            continue
        reason = unavailable_reason(name)
        if reason is not None:
            logger.warning(
                "skipping optional dataset %s: %s%s To require it instead, set "
                "`datasets` to a list that includes it.",
                name,
                reason,
                _FILE_NOTES.get(name, ""),
            )


def _ansatz(spec: MimicTrainingSpec, results) -> str | list[float]:
    """The phi~ parameters: the paper's, given ones, or E2's latest fit."""
    if spec.ansatz != "fitted":
        return spec.ansatz
    import pyarrow.compute as pc

    from cluster import read_table

    from ._spec_base import SpecError

    try:
        table = read_table(
            results,
            "designs",
            filter=(pc.field("experiment") == "ansatz")
            & (pc.field("method") == "ansatz"),
        )
    except (FileNotFoundError, OSError):
        table = None
    if table is None or table.num_rows == 0:
        raise SpecError(
            "`ansatz`: 'fitted' needs an E2 (ansatz) result in the same results "
            "directory; run `python -m jobs.ansatz` first or use 'paper'"
        )
    table = table.sort_by([("finished_at", "descending")])
    return [float(v) for v in table["ansatz"][0].as_py()]


def execute(spec: MimicTrainingSpec, ctx) -> None:
    """Runs E3 in two phases: curves, cv and baselines; then the sweep."""
    from ._training import architecture_dict

    ansatz = _ansatz(spec, ctx.results)
    common = {"float64": spec.float64}
    first, cv_tasks = [], []
    for dataset in _datasets(spec):
        for norm in spec.normalisations:
            for arch_name in spec.architectures:
                arch = architecture_dict(arch_name, ansatz)
                data = {
                    "dataset": dataset,
                    "normalisation": norm,
                    "split_seed": spec.split_seed,
                    "max_train": spec.max_train,
                    "step_size": spec.step_size,
                    "arch_name": arch_name,
                }
                label = f"{dataset}/{norm}/{arch_name}"
                base = {"data": data, "arch": arch, **common}
                if spec.curve is not None:
                    for seeds in _seed_batches(spec.curve.seeds, spec.seeds_per_task):
                        first.append(
                            Task(
                                EXPERIMENT,
                                train_task,
                                {
                                    **base,
                                    "width": spec.curve.width,
                                    "seeds": seeds,
                                    "epochs": spec.curve.epochs,
                                    "phase": "curve",
                                    "n_log_points": spec.curve.n_log_points,
                                },
                                labels={"run": label, "phase": "curve", "seeds": seeds},
                                resources=ctx.resources(),
                                name=f"curve {label} seeds {seeds[0]}-{seeds[-1]}",
                            )
                        )
                if spec.regression and (norm == "uniform" or arch["depth"] == 1):
                    epochs, n_log = _regression_epochs(spec)
                    first.append(
                        Task(
                            EXPERIMENT,
                            regression_task,
                            {**base, "epochs": epochs, "n_log_points": n_log},
                            labels={"run": label, "phase": "regression"},
                            resources=ctx.resources(num_gpus=0),
                            name=f"kernel regression {label}",
                        )
                    )
                if spec.sweep is not None:
                    sw = spec.sweep
                    for width in sw.widths:
                        task = Task(
                            EXPERIMENT,
                            cv_task,
                            {
                                **base,
                                "width": width,
                                "seeds": list(range(sw.cv_seeds)),
                                "folds": sw.folds,
                                "max_epochs": sw.max_epochs,
                                "n_log_points": sw.n_log_points,
                                "fold_seed": spec.split_seed,
                            },
                            labels={"run": label, "phase": "cv", "width": width},
                            resources=ctx.resources(),
                            name=f"cv {label} w={width}",
                        )
                        first.append(task)
                        cv_tasks.append((base, label, width, task))
    ctx.run(first, "curves+cv")
    if spec.sweep is not None:
        ctx.run(_sweep_tasks(spec, ctx, cv_tasks), "sweep")


def _sweep_tasks(spec: MimicTrainingSpec, ctx, cv_tasks) -> list[Task]:
    """Sweep tasks from the stopping epochs the finished cv tasks chose."""
    import pyarrow.parquet as pq

    tasks = []
    for base, label, width, cv in cv_tasks:
        if not ctx.store.is_done(cv.id):
            logger.warning("no sweep for %s width %d: its cv task failed", label, width)
            continue
        table = pq.read_table(ctx.store.path("metrics", EXPERIMENT, cv.id))
        stop = table["stop_epoch"][0].as_py()
        if stop is None:
            logger.warning(
                "no sweep for %s width %d: every cv run diverged", label, width
            )
            continue
        for seeds in _seed_batches(spec.sweep.seeds, spec.seeds_per_task):
            tasks.append(
                Task(
                    EXPERIMENT,
                    train_task,
                    {
                        **base,
                        "width": width,
                        "seeds": seeds,
                        "epochs": int(stop),
                        "phase": "sweep",
                        "n_log_points": None,
                    },
                    labels={
                        "run": label,
                        "phase": "sweep",
                        "width": width,
                        "seeds": seeds,
                    },
                    resources=ctx.resources(),
                    name=f"sweep {label} w={width} seeds {seeds[0]}-{seeds[-1]}",
                )
            )
    return tasks


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m jobs.mimic_training --help``."""
    from ._entry import entry_main

    return entry_main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
