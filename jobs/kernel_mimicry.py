"""E1: any PSD kernel as the NTK of a one-hidden-layer net (SPEC section 5).

For each target kernel: fit a degree-5 PSD polynomial, build phi by Theorem
3.1, and record the target, the fit and the exact 1HL NTK of phi on the circle
inputs (``designs`` and ``kernels`` tables). Then the empirical NTK of finite
1HL nets: one shard task per group of nets writes ``kernel_shards`` (count,
mean, m2 per point), and the driver folds the shard files one at a time with
``cluster.Moments`` into ``kernels`` rows of source ``"empirical"``.

Run: ``python -m jobs.kernel_mimicry --preset smoke --results DIR``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from cluster import Task

from ._shards import circle, kernel_rows, reduce_shards, shard_tasks
from ._specs import KernelMimicrySpec

Spec = KernelMimicrySpec
EXPERIMENT = Spec.experiment

__all__ = ["EXPERIMENT", "Spec", "design_task", "execute", "main"]

logger = logging.getLogger(__name__)


def _design(target: str, kind: str, degree: int, endpoint_weight: float, signs: str):
    from revntk_core.design import design, parse_target

    return design(
        parse_target(target),
        degree=degree,
        kind=kind,
        signs=signs,
        endpoint_weight=endpoint_weight,
    )


def design_task(
    *,
    target: str,
    kind: str,
    degree: int,
    endpoint_weight: float,
    signs: str,
    n_points: int,
    float64: bool,
) -> dict[str, Any]:
    """Designs phi for one target; ``designs`` row and target/fit/exact curves."""
    import json

    import numpy as np

    from revntk_core.design import parse_target
    from revntk_core.kernels import nngp_1hl, ntk_1hl

    from ._worker import provenance, setup_worker

    setup_worker(float64)
    start = time.perf_counter()
    d = _design(target, kind, degree, endpoint_weight, signs)
    seconds = time.perf_counter() - start
    _, c = circle(n_points)
    want = parse_target(target).evaluate(c)
    fit = d.fitted_kernel(c)
    exact = np.asarray((ntk_1hl if kind == "ntk" else nngp_1hl)(d.activation, c))
    err = exact - want
    row = {
        "target": target,
        "kind": kind,
        "method": "hermite",
        "degree": d.degree,
        "signs": "".join("+" if s > 0 else "-" for s in d.signs),
        "fit_coeffs": [float(a) for a in d.fit_coeffs],
        "hermite_coeffs": [float(b) for b in d.hermite_coeffs],
        "monomial_coeffs": [float(m) for m in d.monomial_coeffs],
        "max_error": float(np.max(np.abs(err))),
        "rms_error": float(np.sqrt(np.mean(err**2))),
        "seconds": seconds,
        "activation": json.dumps(d.activation.to_dict(), sort_keys=True),
        "status": "ok",
    }
    kernels = [
        *kernel_rows(target, kind, "target", None, c, want),
        *kernel_rows(target, kind, "fit", None, c, fit),
        *kernel_rows(target, kind, "exact", "1hl", c, exact),
    ]
    return {"designs": [row], "kernels": kernels, "_provenance": provenance()}


def execute(spec: KernelMimicrySpec, ctx) -> None:
    """Runs E1: design tasks and empirical shards, then the shard reduction."""
    tasks, groups = [], []
    for target in spec.targets:
        tasks.append(
            Task(
                EXPERIMENT,
                design_task,
                {
                    "target": target,
                    "kind": spec.kind,
                    "degree": spec.degree,
                    "endpoint_weight": spec.endpoint_weight,
                    "signs": spec.signs,
                    "n_points": spec.n_points,
                    "float64": spec.float64,
                },
                labels={"target": target, "phase": "design"},
                resources=ctx.resources(num_gpus=0),
                name=f"design {target}",
            )
        )
        if spec.empirical is None:
            continue
        # The design is cheap and deterministic: the driver repeats it to
        # give the shard tasks their activation.
        d = _design(target, spec.kind, spec.degree, spec.endpoint_weight, spec.signs)
        for width, shards in shard_tasks(
            ctx,
            target=target,
            kind=spec.kind,
            activation=d.activation.to_dict(),
            empirical=spec.empirical,
            n_points=spec.n_points,
        ):
            tasks.extend(shards)
            groups.append((target, width, shards))
    ctx.run(tasks, "kernels")
    for target, width, shards in groups:
        reduce_shards(ctx, shards, target=target, kind=spec.kind, width=width)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m jobs.kernel_mimicry --help``."""
    from ._entry import entry_main

    return entry_main(EXPERIMENT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
