"""Shared test settings.

The dataset cache points at the pre-seeded copy of the UCI files beside the
checkout (../shared/data) when it exists, so no test downloads anything.
"""

import os
import pathlib

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_SHARED_DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"
if "REVNTK_DATA_DIR" not in os.environ and _SHARED_DATA.is_dir():
    os.environ["REVNTK_DATA_DIR"] = str(_SHARED_DATA)


@pytest.fixture(scope="session")
def shared_data_dir() -> pathlib.Path:
    """The read-only pre-seeded dataset cache; skips the test when absent."""
    path = pathlib.Path(os.environ.get("REVNTK_DATA_DIR", _SHARED_DATA))
    if not (path / "winequality-red.csv").exists():
        pytest.skip(f"real UCI files not found in {path}")
    return path
