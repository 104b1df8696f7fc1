"""What every task function does first and last on its Ray worker.

Task functions take plain JSON kwargs and never rely on the driver's process
state: the float64 flag arrives as a kwarg, the dataset cache through the
``REVNTK_DATA_DIR`` variable of the runtime environment.
"""

from __future__ import annotations

import math
import os
from typing import Any

__all__ = ["finite_or_none", "log_epochs", "provenance", "setup_worker"]

_PROVENANCE_KEYS = ("jax_version", "jax_backend", "device_kind")


def setup_worker(float64: bool) -> None:
    """Silences TensorFlow/XLA start-up noise and sets JAX's x64 flag."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import jax

    jax.config.update("jax_enable_x64", bool(float64))


def provenance() -> dict[str, Any]:
    """The ``_provenance`` entry of a task's output: JAX version and device."""
    from revntk_core.engine import device_info

    info = device_info()
    return {key: info[key] for key in _PROVENANCE_KEYS if key in info}


def finite_or_none(value: Any) -> float | None:
    """``float(value)``, or None for NaN/inf (a diverged metric is null)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def log_epochs(max_epoch: int, n_points: int) -> list[int]:
    """About ``n_points`` distinct epochs, log-spaced in [1, max_epoch].

    Epoch 0 (initialisation) is always included, and ``max_epoch`` is last.
    """
    import numpy as np

    grid = np.unique(np.round(np.geomspace(1, max_epoch, n_points)).astype(int))
    return [0, *(int(e) for e in grid)]
