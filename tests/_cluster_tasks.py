"""Science-free task functions for tests/test_cluster.py.

Module-level so Ray workers import them by name (the tests put this folder
on the workers' PYTHONPATH).
"""

import os
import pathlib
import signal
import time

import pyarrow as pa

POINTS = pa.schema(
    [
        pa.field("i", pa.int64()),
        pa.field("x", pa.float64()),
        pa.field("tag", pa.string()),
        pa.field("y", pa.float64()),
        pa.field("status", pa.string()),
    ]
)
SCHEMAS = {
    "points": POINTS,
    "env": pa.schema([("key", pa.string()), ("value", pa.string())]),
}


def make_rows(n: int, value: float, tag: str, sleep_s: float = 0.0) -> dict:
    """``n`` rows ``x = value * i``; ``y`` is left out (a typed null)."""
    time.sleep(sleep_s)
    rows = [{"i": i, "x": value * i, "tag": tag} for i in range(n)]
    return {"points": rows, "_provenance": {"jax_backend": "none"}}


def make_arrow(n: int, tag: str) -> dict:
    """The same as make_rows but as a pyarrow table with ``y`` filled."""
    table = pa.table({"i": list(range(n)), "tag": [tag] * n, "y": [0.5] * n})
    return {"points": table}


def crash_once(marker: str, tag: str) -> dict:
    """Kills its own worker process the first time it runs."""
    path = pathlib.Path(marker)
    if not path.exists():
        path.write_text("crashed")
        os._exit(1)
    return make_rows(3, 1.0, tag)


def always_raise(message: str) -> dict:
    raise RuntimeError(message)


def fail_unless(flag: str, tag: str) -> dict:
    """Raises until the file ``flag`` exists."""
    if not pathlib.Path(flag).exists():
        raise RuntimeError(f"flag {flag} missing")
    return make_rows(2, 1.0, tag)


def bad_column(tag: str) -> dict:
    return {"points": [{"i": 0, "tag": tag, "nope": 1.0}]}


def read_env(names: list) -> dict:
    return {"env": [{"key": k, "value": os.environ.get(k)} for k in names]}


def interrupt(pid: int) -> dict:
    """Sends SIGINT (Ctrl-C) to the driver process ``pid``."""
    os.kill(pid, signal.SIGINT)
    time.sleep(5.0)
    return {}
