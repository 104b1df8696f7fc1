"""E2: a shallow activation phi~ whose 1HL NTK mimics the 4HL ReLU NTK.

The ansatz phi~(z) = alpha ReLU(z - beta) + gamma cos(delta z + epsilon)
+ zeta z + eta (SPEC eq. 19) is fitted by Nelder-Mead on EXACT infinite-width
kernels (no empirical averaging): the 1HL NTK of phi~ against the NTK of a
deep ReLU net on a grid of c in [-1, 1]. The ``designs`` table gets two rows
side by side, the fitted phi~ (method ``"ansatz"``) and the paper's phi~
(method ``"paper"``), each with its error against the same target on the same
grid; the ``kernels`` table gets the three curves (architecture
``"4hl-relu"`` for the target, ``"1hl-ansatz-fit"`` and
``"1hl-ansatz-paper"``). With ``empirical`` set, the NTKs of both phi~ are
also measured on finite nets (E1's shard tasks).

Run: ``python -m jobs.ansatz --preset quick --results DIR``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from cluster import Task

from ._shards import kernel_rows, reduce_shards, shard_tasks
from ._specs import AnsatzSpec

Spec = AnsatzSpec
EXPERIMENT = Spec.experiment

__all__ = ["EXPERIMENT", "Spec", "execute", "fit_task", "fitted_ansatz", "main"]

FIT_ARCH = "1hl-ansatz-fit"
PAPER_ARCH = "1hl-ansatz-paper"


def _starts(n_starts: int, seed: int):
    """The paper's phi~, then random relative perturbations of it."""
    import numpy as np

    from revntk_core.kernels import PAPER_ANSATZ, Ansatz

    base = np.array(
        [
            getattr(PAPER_ANSATZ, k)
            for k in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta")
        ]
    )
    rng = np.random.default_rng(seed)
    out = [PAPER_ANSATZ]
    for _ in range(n_starts - 1):
        out.append(Ansatz(*(base * (1 + 0.3 * rng.standard_normal(7))).tolist()))
    return out


def _design_row(target, method, ansatz, ntk, want, **extra) -> dict[str, Any]:
    import numpy as np

    err = ntk - want
    params = [
        float(getattr(ansatz, k))
        for k in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta")
    ]
    return {
        "target": target,
        "kind": "ntk",
        "method": method,
        "ansatz": params,
        "max_error": float(np.max(np.abs(err))),
        "rms_error": float(np.sqrt(np.mean(err**2))),
        "objective": float(np.sum(err**2)),
        "activation": json.dumps(ansatz.to_dict(), sort_keys=True),
        "status": "ok",
        **extra,
    }


def fit_task(
    *,
    depth: int,
    W_std: float,
    b_std: float,
    n_grid: int,
    max_iter: int,
    n_starts: int,
    max_seconds: float,
    seed: int,
    float64: bool,
) -> dict[str, Any]:
    """Fits phi~ to the deep ReLU NTK; rows for the fit and the paper's phi~."""
    import numpy as np

    from revntk_core.design import DeepKernel, fcn_kernels, fit_ansatz
    from revntk_core.kernels import PAPER_ANSATZ

    from ._worker import provenance, setup_worker

    setup_worker(float64)
    target = DeepKernel(depth, "relu", W_std, b_std, "ntk")
    c = np.linspace(-1.0, 1.0, n_grid)
    want = target.evaluate(c)
    start = time.perf_counter()
    best, n_evals = None, 0
    for init in _starts(n_starts, seed):
        left = max_seconds - (time.perf_counter() - start)
        if best is not None and left <= 0:
            break
        fit = fit_ansatz(
            target, init=init, c=c, maxiter=max_iter, max_seconds=max(left, 1.0)
        )
        n_evals += fit.n_evals
        if best is None or fit.objective < best.objective:
            best = fit
    seconds = time.perf_counter() - start

    def ntk_of(ansatz):
        return fcn_kernels(c, depth=1, activation=ansatz, W_std=1.0, b_std=0.0)[1]

    fit_ntk, paper_ntk = ntk_of(best.ansatz), ntk_of(PAPER_ANSATZ)
    designs = [
        _design_row(
            target.name,
            "ansatz",
            best.ansatz,
            fit_ntk,
            want,
            n_evals=n_evals,
            seconds=seconds,
        ),
        _design_row(target.name, "paper", PAPER_ANSATZ, paper_ntk, want),
    ]
    kernels = [
        *kernel_rows(target.name, "ntk", "target", f"{depth}hl-relu", c, want),
        *kernel_rows(target.name, "ntk", "exact", FIT_ARCH, c, fit_ntk),
        *kernel_rows(target.name, "ntk", "exact", PAPER_ARCH, c, paper_ntk),
    ]
    return {"designs": designs, "kernels": kernels, "_provenance": provenance()}


def fitted_ansatz(results, task_id: str) -> list[float]:
    """alpha..eta of the fitted phi~ written by the fit task ``task_id``."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from cluster import ResultStore

    from .schemas import SCHEMAS

    store = ResultStore(results, SCHEMAS)
    table = pq.read_table(store.path("designs", EXPERIMENT, task_id))
    table = table.filter(pc.field("method") == "ansatz")
    return [float(v) for v in table["ansatz"][0].as_py()]


def _fit_task(spec: AnsatzSpec, ctx) -> Task:
    return Task(
        EXPERIMENT,
        fit_task,
        {
            "depth": spec.depth,
            "W_std": spec.W_std,
            "b_std": spec.b_std,
            "n_grid": spec.n_grid,
            "max_iter": spec.max_iter,
            "n_starts": spec.n_starts,
            "max_seconds": spec.max_seconds,
            "seed": spec.seed,
            "float64": spec.float64,
        },
        labels={"phase": "fit"},
        resources=ctx.resources(num_gpus=0),
        name="fit ansatz",
    )


def execute(spec: AnsatzSpec, ctx) -> None:
    """Runs E2: the fit, then (optionally) the empirical check of both phi~."""
    from revntk_core.kernels import PAPER_ANSATZ, Ansatz

    fit = _fit_task(spec, ctx)
    summary = ctx.run([fit], "fit")
    if spec.empirical is None or summary.failed:
        return
    target = f"ntk:{spec.depth}hl-relu"
    fitted = Ansatz(*fitted_ansatz(ctx.results, fit.id))
    groups, tasks = [], []
    for arch, phi in ((FIT_ARCH, fitted), (PAPER_ARCH, PAPER_ANSATZ)):
        for width, shards in shard_tasks(
            ctx,
            target=arch,
            kind="ntk",
            activation=phi.to_dict(),
            empirical=spec.empirical,
            n_points=spec.n_grid,
        ):
            tasks.extend(shards)
            groups.append((arch, width, shards))
    ctx.run(tasks, "empirical")
    for arch, width, shards in groups:
        reduce_shards(
            ctx, shards, target=target, kind="ntk", width=width, architecture=arch
        )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m jobs.ansatz --help``."""
    from ._entry import entry_main

    return entry_main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
