"""E4: 11-bit parity with sine activations against a deep ReLU net.

Every net of the spec (by default 4HL ReLU, 1HL 10 sin(6z) at step 0.01 and
1HL 0.5 sin(6z) at step 0.1, width 128) is trained from ``trials`` seeds,
full batch, until the train MSE is below ``train_mse_tol`` or ``max_epochs``
pass; one ``metrics`` row per trial (phase ``"trial"``; a diverged trial has
status ``"diverged"`` and null metrics). Beside them: the exact NNGP and NTK of
each net against c (``kernels``, source ``"exact"``) and, for each sine net,
a ``designs`` row (method ``"series"``) whose ``fit_coeffs`` are the power
series coefficients of its NTK, e^{-a^2} A^2 a^{2k}/k! (1 + k) for odd k
(SPEC eq. 21), with ``max_error`` the truncation error on the c grid.

Run: ``python -m jobs.parity --preset smoke --results DIR``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from cluster import Task

from ._specs import ParitySpec

Spec = ParitySpec
EXPERIMENT = Spec.experiment
DATASET = "parity11"

__all__ = ["EXPERIMENT", "Spec", "execute", "kernel_task", "main", "train_task"]


def _net_arch(net) -> dict:
    from revntk_core.kernels import parse_activation

    return {
        "depth": net.depth,
        "activation": parse_activation(net.activation).to_dict(),
        "W_std": net.W_std,
        "b_std": net.b_std,
    }


def train_task(
    *,
    name: str,
    arch: dict,
    width: int,
    step_size: float,
    seeds: list[int],
    max_epochs: int,
    train_mse_tol: float,
    split_seed: int,
    n_train: int | None,
    n_test: int | None,
    float64: bool,
) -> dict[str, Any]:
    """Trains one net from several seeds to the stop; one metrics row each."""
    import numpy as np

    from revntk_core.datasets import load_dataset
    from revntk_core.engine import TrainConfig, param_count, train_multi_seed

    from ._training import build_fcn, result_rows
    from ._worker import provenance, setup_worker

    setup_worker(float64)
    data = load_dataset(DATASET, split_seed=split_seed, n_train=n_train, n_test=n_test)
    y_train = np.asarray(data.y_train).reshape(len(data.x_train), -1)
    fcn = build_fcn(
        arch, d_in=data.x_train.shape[1], d_out=y_train.shape[1], width=width
    )
    config = TrainConfig(
        epochs=max_epochs, step_size=step_size, stop_train_mse=train_mse_tol
    )
    result = train_multi_seed(
        fcn, seeds, data.x_train, data.y_train, data.x_test, data.y_test, config
    )
    keys = {
        "dataset": DATASET,
        "normalisation": "none",
        "architecture": name,
        "model": "net",
        "phase": "trial",
        "width": width,
        "n_params": param_count(fcn),
        "fold": None,
        "split_seed": split_seed,
        "step_size": step_size,
    }
    rows = result_rows(result, keys, seeds=seeds, stop_epoch=max_epochs, curves=False)
    return {"metrics": rows["metrics"], "_provenance": provenance()}


def _series_coeffs(activation, n_coeffs: int):
    """NTK power-series coefficients a_0..a_{n-1} of a 1HL net (sigma_w=1)."""
    import numpy as np

    from revntk_core.kernels import Sin, hermite_coefficients

    k = np.arange(n_coeffs)
    if isinstance(activation, Sin) and activation.phase == 0.0:
        amp, freq = abs(activation.amplitude), activation.frequency
        logs = (
            2 * math.log(amp)
            - freq**2
            + 2 * k * math.log(freq)
            - np.array([math.lgamma(i + 1) for i in k])
            + np.log1p(k)
        )
        return np.where(k % 2 == 1, np.exp(logs), 0.0)
    b = np.asarray(hermite_coefficients(activation, n_coeffs - 1), dtype=np.float64)
    return b**2 * (1 + k)


def kernel_task(
    *, name: str, arch: dict, n_grid: int, n_coeffs: int, float64: bool
) -> dict[str, Any]:
    """Exact NNGP/NTK of one net against c; power series of 1HL NTKs."""
    import numpy as np

    from revntk_core.design import fcn_kernels
    from revntk_core.kernels import Sin, activation_from_dict

    from ._worker import provenance, setup_worker

    setup_worker(float64)
    activation = activation_from_dict(arch["activation"])
    c = np.linspace(-1.0, 1.0, n_grid)
    nngp, ntk = fcn_kernels(
        c,
        depth=arch["depth"],
        activation=activation,
        W_std=arch["W_std"],
        b_std=arch["b_std"],
    )
    kernels = []
    for kind, values in (("nngp", nngp), ("ntk", ntk)):
        for i, (ci, v) in enumerate(zip(c, values, strict=True)):
            kernels.append(
                {
                    "target": name,
                    "kind": kind,
                    "source": "exact",
                    "architecture": name,
                    "point": i,
                    "c": float(ci),
                    "value": float(v),
                    "status": "ok",
                }
            )
    out: dict[str, Any] = {"kernels": kernels, "_provenance": provenance()}
    single = arch["depth"] == 1 and arch["W_std"] == 1.0 and arch["b_std"] == 0.0
    if single and isinstance(activation, Sin):
        a = _series_coeffs(activation, n_coeffs)
        err = np.polynomial.polynomial.polyval(c, a) - ntk
        out["designs"] = [
            {
                "target": name,
                "kind": "ntk",
                "method": "series",
                "degree": n_coeffs - 1,
                "fit_coeffs": [float(x) for x in a],
                "max_error": float(np.max(np.abs(err))),
                "rms_error": float(np.sqrt(np.mean(err**2))),
                "activation": json.dumps(activation.to_dict(), sort_keys=True),
                "status": "ok",
            }
        ]
    return out


def execute(spec: ParitySpec, ctx) -> None:
    """Runs E4: one kernel task per net and one training task per seed batch."""
    tasks = []
    for net in spec.nets:
        arch = _net_arch(net)
        tasks.append(
            Task(
                EXPERIMENT,
                kernel_task,
                {
                    "name": net.name,
                    "arch": arch,
                    "n_grid": spec.n_grid,
                    "n_coeffs": spec.n_coeffs,
                    "float64": spec.float64,
                },
                labels={"net": net.name, "phase": "kernels"},
                resources=ctx.resources(num_gpus=0),
                name=f"kernels {net.name}",
            )
        )
        for start in range(0, spec.trials, spec.trials_per_task):
            seeds = list(range(start, min(start + spec.trials_per_task, spec.trials)))
            tasks.append(
                Task(
                    EXPERIMENT,
                    train_task,
                    {
                        "name": net.name,
                        "arch": arch,
                        "width": spec.width,
                        "step_size": net.step_size,
                        "seeds": seeds,
                        "max_epochs": spec.max_epochs,
                        "train_mse_tol": spec.train_mse_tol,
                        "split_seed": spec.split_seed,
                        "n_train": spec.n_train,
                        "n_test": spec.n_test,
                        "float64": spec.float64,
                    },
                    labels={"net": net.name, "seeds": seeds},
                    resources=ctx.resources(),
                    name=f"train {net.name} seeds {seeds[0]}-{seeds[-1]}",
                )
            )
    ctx.run(tasks, "trials")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m jobs.parity --help``."""
    from ._entry import entry_main

    return entry_main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
