"""The one timing rule of every benchmark: the best of a few runs."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any


def best_time(fn: Callable[[], Any], repeats: int) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn`` (which must block
    until its result is computed); the least disturbed by other processes."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
