"""Smoke-preset results shared by the analysis, report and query tests.

The four experiments' ``smoke`` presets run once per test session into one
folder under pytest's session temp dir; every test that reads real results
uses that folder, so the tables they check were written by the jobs, never
by hand.
"""

from __future__ import annotations

import os
import pathlib

import pytest

SMOKE_EXPERIMENTS = ("kernel_mimicry", "ansatz", "mimic_training", "parity")
_DONE = ".smoke-complete"


def smoke_results(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """Runs the four smoke presets once into the session temp dir; returns it.

    Skips the calling test when ``jobs.run_experiment`` is not available.
    A task that fails inside a job is part of the results (the failures
    table), not a reason to skip: the report must cope with it.
    """
    root = tmp_path_factory.getbasetemp() / "smoke_results"
    if (root / _DONE).exists():
        return root
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        from jobs import run_experiment
    except ImportError as err:
        pytest.skip(f"jobs.run_experiment is not available yet: {err}")
    for name in SMOKE_EXPERIMENTS:
        run_experiment(name, preset="smoke", results=root, progress=False)
    try:
        import ray

        if ray.is_initialized():
            ray.shutdown()
    except ImportError:
        pass
    (root / _DONE).write_text("ok\n")
    return root
