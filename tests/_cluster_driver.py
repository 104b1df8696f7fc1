"""A driver process for the kill-the-driver test of tests/test_cluster.py.

Usage: python tests/_cluster_driver.py ADDRESS RESULTS N_TASKS SLEEP_S

Connects to the Ray cluster at ADDRESS and runs N_TASKS slow tasks of
``_cluster_tasks.make_rows`` (two in flight) into RESULTS.
"""

import logging
import pathlib
import sys

_TESTS = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(_TESTS), str(_TESTS.parent)]

import _cluster_tasks  # noqa: E402

import cluster  # noqa: E402


def slow_tasks(n_tasks: int, sleep_s: float) -> list[cluster.Task]:
    """The tasks the driver runs; the test rebuilds the same list."""
    return [
        cluster.Task(
            "killed",
            _cluster_tasks.make_rows,
            {"n": 4, "value": float(k), "tag": f"k{k}", "sleep_s": sleep_s},
        )
        for k in range(n_tasks)
    ]


def main() -> None:
    address, root, n_tasks, sleep_s = sys.argv[1:5]
    logging.basicConfig(level=logging.INFO)
    cluster.connect(address)
    store = cluster.ResultStore(root, _cluster_tasks.SCHEMAS)
    cluster.run_tasks(
        slow_tasks(int(n_tasks), float(sleep_s)),
        store,
        spec_hash="driver",
        max_in_flight=2,
        progress=False,
        worker_env={"PYTHONPATH": f"{_TESTS}:{_TESTS.parent}"},
    )


if __name__ == "__main__":
    main()
