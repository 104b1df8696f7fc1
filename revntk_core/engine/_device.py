"""What JAX runs on, for provenance columns and benchmark headers."""

from __future__ import annotations

import jax

__all__ = ["device_info"]


def device_info() -> dict:
    """Describe the JAX runtime of this process.

    Returns:
        A dict of plain values: ``jax_version`` (str), ``jax_backend``
        (``"cpu"``, ``"gpu"``, ``"tpu"``), ``device_kind`` (e.g. ``"cpu"`` or
        ``"NVIDIA H200"``), ``device_count`` (int, local devices of the default
        backend) and ``x64`` (bool, whether ``jax_enable_x64`` is on).
    """
    devices = jax.devices()
    return {
        "jax_version": jax.__version__,
        "jax_backend": jax.default_backend(),
        "device_kind": devices[0].device_kind,
        "device_count": len(devices),
        "x64": bool(jax.config.jax_enable_x64),
    }
