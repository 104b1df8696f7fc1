"""Logging and start-up noise: quiet by default, ``-v`` for detail."""

from __future__ import annotations

import logging
import os
import warnings

__all__ = [
    "PROGRESS_LOGGER",
    "RAY_AUTH_NOTICE_LOGGER",
    "configure_logging",
    "silence_startup_noise",
]

#: The scheduler's progress lines (``cluster.PROGRESS_LOGGER``; a literal
#: here so that setting up logging does not import Ray).
PROGRESS_LOGGER = "cluster.progress"
#: Ray's logger of the "Token authentication is enabled ... Set
#: RAY_AUTH_MODE=disabled to opt out" notice, printed on every local start.
RAY_AUTH_NOTICE_LOGGER = "ray._private.authentication.authentication_token_setup"


def silence_startup_noise() -> None:
    """Silences TensorFlow/XLA C++ logs; call before importing JAX or TF."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    # Show each user-relevant warning once, not once per call site.
    warnings.simplefilter("once", UserWarning)
    warnings.filterwarnings(
        "ignore",
        category=DeprecationWarning,
        module=r"(tensorflow|tf2jax|neural_tangents|ray)(\.|$)",
    )


def configure_logging(verbose: int = 0) -> None:
    """WARNING by default, INFO with ``-v``, DEBUG with ``-vv``.

    Third-party loggers (Ray, JAX, absl) stay at WARNING unless ``-vv``.
    Always shown: the scheduler's progress lines (INFO of
    :data:`PROGRESS_LOGGER`, written only when stderr is not a terminal and
    progress is on). Hidden unless ``-v``: Ray's token-authentication notice
    (:data:`RAY_AUTH_NOTICE_LOGGER`), which the private local Ray these
    commands start prints every time; the authentication itself is unchanged.
    """
    silence_startup_noise()
    level = logging.WARNING
    if verbose == 1:
        level = logging.INFO
    elif verbose >= 2:
        level = logging.DEBUG
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().setLevel(level)
    for name in ("jobs", "cluster", "revntk_core"):
        logging.getLogger(name).setLevel(level)
    third = logging.DEBUG if verbose >= 2 else logging.WARNING
    for name in ("ray", "jax", "absl", "tensorflow", "urllib3", "filelock"):
        logging.getLogger(name).setLevel(third)
    logging.getLogger(PROGRESS_LOGGER).setLevel(min(level, logging.INFO))
    logging.getLogger(RAY_AUTH_NOTICE_LOGGER).setLevel(
        logging.ERROR if verbose == 0 else logging.NOTSET
    )
