"""Connecting to a Ray cluster, or starting a single-node one in-process."""

from __future__ import annotations

import logging
import os
from typing import Any

import ray

logger = logging.getLogger(__name__)


def connect(
    address: str | None = None,
    *,
    runtime_env: dict[str, Any] | None = None,
    num_cpus: int | None = None,
    include_dashboard: bool = False,
) -> str:
    """Connects this driver to Ray; does nothing if already connected.

    ``address`` (e.g. ``"auto"`` or ``"ray://head:10001"``), else the
    ``RAY_ADDRESS`` environment variable (set by ``ray job submit``), picks a
    running cluster. With neither, a private single-node Ray starts in this
    process with ``num_cpus`` cores (all when None) and no dashboard unless
    asked; it never attaches to a cluster that ``ray start`` left running on
    this machine (a bare ``ray.init()`` would, even to a dead one).

    Settings the driver has reach the workers only through task arguments or
    ``runtime_env`` / ``run_tasks(worker_env=...)``: a worker never sees this
    process's environment on a real cluster. Under ``ray job submit`` the
    job's own runtime environment (its working directory) applies and
    per-task ``env_vars`` are merged into it.

    Args:
        address: the cluster address, or None.
        runtime_env: the job-level Ray runtime environment, or None.
        num_cpus: cores of a local single-node Ray; ignored with an address.
        include_dashboard: start the dashboard of a local Ray.

    Returns:
        The GCS address of the cluster connected to.
    """
    if ray.is_initialized():
        logger.debug("ray already initialised; connect() does nothing")
        return ray.get_runtime_context().gcs_address
    address = address or os.environ.get("RAY_ADDRESS") or None
    options: dict[str, Any] = {
        "logging_level": logging.WARNING,
        "runtime_env": runtime_env,
    }
    if address:
        if num_cpus is not None:
            logger.warning(
                "num_cpus=%s ignored: connecting to the running cluster at %s",
                num_cpus,
                address,
            )
        ray.init(address=address, **options)
        logger.info("connected to the Ray cluster at %s", address)
    else:
        ray.init(
            address="local",
            num_cpus=num_cpus,
            include_dashboard=include_dashboard,
            **options,
        )
        logger.info(
            "started a single-node Ray in this process (%s CPUs)",
            ray.cluster_resources().get("CPU"),
        )
    return ray.get_runtime_context().gcs_address
