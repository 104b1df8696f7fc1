"""Empirical 1HL kernels averaged over many nets: shard tasks and their reduction.

Each shard task computes the kernel of a group of independent nets on the
circle inputs and writes, per input point, the count, mean and sum of squared
deviations (``kernel_shards`` table). The driver then folds the shard files of
one (target, width) one file at a time with ``cluster.Moments`` (memory
O(points), whatever the number of nets) and writes ``kernels`` rows of source
``"empirical"``: value = mean over nets, std = sample std over nets.
"""

from __future__ import annotations

import logging
from typing import Any

from cluster import Task

__all__ = ["circle", "kernel_rows", "reduce_shards", "shard_task", "shard_tasks"]

logger = logging.getLogger(__name__)


def circle(n_points: int):
    """E1's inputs sqrt2 (cos t, sin t), t uniform on [0, pi], and c = cos t."""
    import numpy as np

    t = np.linspace(0.0, np.pi, n_points)
    x = np.sqrt(2.0) * np.stack([np.cos(t), np.sin(t)], axis=1)
    return x, np.cos(t)


def kernel_rows(target, kind, source, arch, c, values, **extra) -> list[dict]:
    """``kernels`` rows of one curve, one per point."""
    return [
        {
            "target": target,
            "kind": kind,
            "source": source,
            "architecture": arch,
            "point": i,
            "c": float(ci),
            "value": float(v),
            "status": "ok",
            **extra,
        }
        for i, (ci, v) in enumerate(zip(c, values, strict=True))
    ]


def shard_task(
    *,
    target: str,
    kind: str,
    activation: dict,
    width: int,
    n_nets: int,
    shard: int,
    seed: int,
    n_points: int,
    float64: bool,
) -> dict[str, Any]:
    """Empirical 1HL kernel (sigma_w=1, sigma_b=0) of one group of nets.

    The nets of shard ``s`` draw from ``fold_in(fold_in(PRNGKey(seed), width),
    s)``, so shards are independent and a rerun repeats them exactly.
    """
    import jax
    import numpy as np

    from revntk_core.engine import empirical_nngp_1hl, empirical_ntk_1hl
    from revntk_core.kernels import activation_from_dict

    from ._worker import provenance, setup_worker

    setup_worker(float64)
    phi = activation_from_dict(activation)
    x, c = circle(n_points)
    key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed), width), shard)
    fn = empirical_ntk_1hl if kind == "ntk" else empirical_nngp_1hl
    stats = fn(phi, x, x[:1], width=width, n_nets=n_nets, key=key)
    per_net = np.asarray(stats.per_net, dtype=np.float64)[:, :, 0]
    mean = per_net.mean(axis=0)
    m2 = ((per_net - mean) ** 2).sum(axis=0)
    rows = [
        {
            "target": target,
            "kind": kind,
            "width": width,
            "shard": shard,
            "point": i,
            "c": float(c[i]),
            "count": n_nets,
            "mean": float(mean[i]),
            "m2": float(m2[i]),
            "status": "ok",
        }
        for i in range(n_points)
    ]
    return {"kernel_shards": rows, "_provenance": provenance()}


def shard_tasks(
    ctx, *, target: str, kind: str, activation: dict, empirical, n_points: int
) -> list[tuple[int, list[Task]]]:
    """``(width, shard tasks)`` for every width of an ``EmpiricalSpec``."""
    out = []
    for width in empirical.widths:
        shards = []
        for shard in range(empirical.n_shards):
            start = shard * empirical.nets_per_shard
            n = min(empirical.nets_per_shard, empirical.n_nets - start)
            shards.append(
                Task(
                    ctx.experiment,
                    shard_task,
                    {
                        "target": target,
                        "kind": kind,
                        "activation": activation,
                        "width": width,
                        "n_nets": n,
                        "shard": shard,
                        "seed": empirical.seed,
                        "n_points": n_points,
                        "float64": ctx.spec.float64,
                    },
                    labels={"target": target, "width": width, "shard": shard},
                    resources=ctx.resources(),
                    name=f"shard {target} w={width} #{shard}",
                )
            )
        out.append((width, shards))
    return out


def reduced_kernel(**kwargs: Any) -> dict[str, Any]:
    """Identity of a driver-side reduction (its task id); never run remotely."""
    raise RuntimeError("reduced_kernel is computed on the driver by reduce_shards")


def reduce_shards(
    ctx,
    shards: list[Task],
    *,
    target: str,
    kind: str,
    width: int,
    architecture: str = "1hl",
) -> bool:
    """Folds the shard files of one (target, width) into ``kernels`` rows.

    Reads one shard file at a time. Writes nothing unless every shard is
    done, so a rerun that completes a failed shard never adds a second set of
    rows. Returns True when the reduction is (now or already) written.
    """
    import numpy as np
    import pyarrow.parquet as pq

    from cluster import Moments

    task = Task(
        ctx.experiment,
        reduced_kernel,
        {
            "target": target,
            "kind": kind,
            "width": width,
            "architecture": architecture,
            "shards": sorted(t.id for t in shards),
        },
        name=f"reduce {target} w={width}",
    )
    if ctx.store.is_done(task.id):
        return True
    missing = [t.display_name for t in shards if not ctx.store.is_done(t.id)]
    if missing:
        logger.warning(
            "not reducing %s width %d: %d shard(s) failed (%s); rerun to retry",
            target,
            width,
            len(missing),
            ", ".join(missing[:3]),
        )
        return False
    total, c = None, None
    for shard in shards:
        table = pq.read_table(
            ctx.store.path("kernel_shards", ctx.experiment, shard.id),
            columns=["point", "c", "count", "mean", "m2"],
        ).sort_by("point")
        part = Moments(
            count=table["count"].to_numpy().astype(np.float64),
            mean=table["mean"].to_numpy(),
            m2=table["m2"].to_numpy(),
        )
        c = table["c"].to_numpy()
        total = part if total is None else total.merge(part)
    counts = np.asarray(total.count)
    rows = kernel_rows(
        target,
        kind,
        "empirical",
        architecture,
        c,
        total.mean,
        width=width,
        n_nets=int(np.max(counts)),
    )
    for row, s in zip(rows, np.broadcast_to(total.std(ddof=1), c.shape), strict=True):
        row["std"] = float(s) if np.isfinite(s) else None
    ctx.write_driver_task(task, {"kernels": rows})
    return True
