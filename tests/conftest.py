"""Shared test settings and session fixtures.

The dataset cache points at the pre-seeded copy of the UCI files beside the
checkout (../shared/data) when it exists, so no test downloads anything.
One local Ray serves the whole session, and the four experiments' smoke
presets run at most once into one results folder that every test reading
real results shares: the tables they check were written by the jobs, never by
hand.
"""

import logging
import os
import pathlib

import pytest
from hypothesis import settings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Property tests explore new examples on a developer's machine; in CI
# (CI=true) they replay a fixed derandomised set so that a run is repeatable.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

TESTS = pathlib.Path(__file__).resolve().parent
REPO = TESTS.parent
_SHARED_DATA = REPO.parent / "shared" / "data"
if "REVNTK_DATA_DIR" not in os.environ and _SHARED_DATA.is_dir():
    os.environ["REVNTK_DATA_DIR"] = str(_SHARED_DATA)

SMOKE_EXPERIMENTS = ("kernel_mimicry", "ansatz", "mimic_training", "parity")


@pytest.fixture(scope="session")
def shared_data_dir() -> pathlib.Path:
    """The read-only pre-seeded dataset cache; skips the test when absent."""
    path = pathlib.Path(os.environ.get("REVNTK_DATA_DIR", _SHARED_DATA))
    if not (path / "winequality-red.csv").exists():
        pytest.skip(f"real UCI files not found in {path}")
    return path


@pytest.fixture(scope="session")
def ray_session():
    """One private two-core local Ray for the whole session.

    Its workers find the repository and tests/ (whose task functions the
    cluster tests use) on their path through the runtime environment.
    """
    import ray

    from cluster import connect

    if ray.is_initialized():
        yield
        return
    connect(
        num_cpus=2,
        runtime_env={"env_vars": {"PYTHONPATH": f"{TESTS}{os.pathsep}{REPO}"}},
    )
    logging.getLogger("ray").setLevel(logging.WARNING)
    yield
    ray.shutdown()


@pytest.fixture(scope="session")
def smoke_results(tmp_path_factory, ray_session):
    """``get(name) -> Path``: the shared results folder, with ``name``'s
    smoke preset run into it through its command-line entry point (what
    ``python -m jobs.<name>`` runs) the first time it is asked for; ``get()``
    runs all four."""
    import jobs

    root = tmp_path_factory.mktemp("smoke_results")
    done: set[str] = set()

    def get(*names: str) -> pathlib.Path:
        for name in names or SMOKE_EXPERIMENTS:
            if name in done:
                continue
            if name == "mimic_training":
                from revntk_core.datasets import is_available

                if not is_available("balance-scale"):
                    pytest.skip("balance-scale is not in the dataset cache")
            module = jobs.experiment_module(name)
            argv = ["--preset", "smoke", "--results", str(root), "--no-progress"]
            assert module.main(argv) == 0, f"smoke run of {name} failed"
            done.add(name)
        return root

    return get
