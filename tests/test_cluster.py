"""Tests of cluster: task ids, the result store, the Ray scheduler, resume,
faults and streaming reduction. Science-free: the task functions live in
tests/_cluster_tasks.py."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

TESTS = pathlib.Path(__file__).resolve().parent
REPO = TESTS.parent
# Importable however pytest was started: the repo for `cluster`, tests/ for
# the task module the workers import by name.
sys.path[:0] = [p for p in (str(REPO), str(TESTS)) if p not in sys.path]

import _cluster_driver  # noqa: E402
import _cluster_tasks as ct  # noqa: E402

import cluster  # noqa: E402

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray

#: Ray workers import the task functions by name: put tests/ and the repo on
#: their path through the job's runtime environment.
WORKER_PATH = f"{TESTS}{os.pathsep}{REPO}"


@pytest.fixture(autouse=True)
def _ray(ray_session):
    """Every test here runs on the session's local Ray (tests/conftest.py)."""


def _task(k, n=3, experiment="exp", **extra):
    kwargs = {"n": n, "value": float(k), "tag": f"t{k}", **extra}
    return cluster.Task(experiment, ct.make_rows, kwargs, labels={"k": k})


def _run(tasks, store, **kw):
    kw.setdefault("spec_hash", "test")
    kw.setdefault("progress", False)
    return cluster.run_tasks(tasks, store, **kw)


def _points(root):
    return cluster.read_table(root, "points").to_pylist()


# --- tasks -------------------------------------------------------------------


def test_task_id_depends_on_fn_experiment_and_kwargs_only():
    a = cluster.Task("e", ct.make_rows, {"n": 1, "value": 2.0, "tag": "a"})
    b = cluster.Task(
        "e",
        ct.make_rows,
        {"tag": "a", "value": 2.0, "n": 1},
        labels={"x": 1},
        resources=cluster.Resources(num_cpus=0.5, num_gpus=0.25, memory_mb=100),
        name="other",
    )
    assert a.id == b.id and len(a.id) == cluster.TASK_ID_HEX
    assert (
        cluster.Task("e", ct.make_rows, {"n": 1, "value": 2.5, "tag": "a"}).id != a.id
    )
    assert (
        cluster.Task("f", ct.make_rows, {"n": 1, "value": 2.0, "tag": "a"}).id != a.id
    )
    assert cluster.Task("e", ct.make_arrow, {"n": 1, "tag": "a"}).id != a.id
    # The id is a function of content alone: a fixed value pins the recipe
    # (sha256 of canonical JSON), so ids stay stable across releases.
    fixed = cluster.Task("exp", ct.always_raise, {"message": "boom"})
    assert fixed.id == "d4e1fb4657b68ed3"


def test_task_rejects_non_plain_kwargs_naming_the_key():
    with pytest.raises(TypeError, match=r"kwargs\['w'\]\[1\].*tolist"):
        cluster.Task("e", ct.make_rows, {"w": [1, np.int64(3)]})
    with pytest.raises(TypeError, match=r"kwargs\['a'\]"):
        cluster.Task("e", ct.make_rows, {"a": {1, 2}})
    with pytest.raises(ValueError, match="module-level"):
        cluster.Task("e", lambda: None, {})
    with pytest.raises(ValueError, match="`experiment`"):
        cluster.Task("bad/name", ct.make_rows, {})
    with pytest.raises(ValueError, match="`num_gpus`"):
        cluster.Resources(num_gpus=-1)


# --- store -------------------------------------------------------------------


def test_store_casts_fills_nulls_and_rejects_unknown_columns(tmp_path):
    store = cluster.ResultStore(tmp_path, ct.SCHEMAS)
    table = store.to_table("points", [{"i": 1, "tag": "a"}], {"attempt": 1})
    assert table.schema == store.schema("points")
    row = table.to_pylist()[0]
    assert row["status"] == "ok" and row["x"] is None and row["attempt"] == 1
    with pytest.raises(ValueError, match=r"no column\(s\) \['nope'\]"):
        store.to_table("points", [{"i": 1, "nope": 2}], {})
    with pytest.raises(ValueError, match="unknown column"):
        store.to_table("points", [{"i": 1}], {"gpu_name": "x"})
    with pytest.raises(ValueError, match="cannot be cast|do not fit"):
        store.to_table("points", [{"i": "one"}], {})
    with pytest.raises(ValueError, match="reserved"):
        cluster.ResultStore(tmp_path, {"t": pa.schema([("task_id", pa.string())])})


def test_typed_null_column_keeps_its_type_in_every_file(tmp_path):
    """A column null in one file (``y`` of make_rows) has the same type as in
    a file where it is filled (make_arrow): every file has one schema."""
    store = cluster.ResultStore(tmp_path, ct.SCHEMAS)
    tasks = [_task(0), cluster.Task("exp", ct.make_arrow, {"n": 2, "tag": "b"})]
    assert _run(tasks, store).done == 2
    files = sorted((tmp_path / "points").rglob("*.parquet"))
    assert len(files) == 2
    schemas = [pq.read_schema(f) for f in files]
    assert schemas[0].equals(schemas[1])
    # Discovery with no schema given infers the type from the files.
    table = ds.dataset(tmp_path / "points", partitioning="hive").to_table()
    assert table.schema.field("y").type == pa.float64()
    assert sorted(table.column("y").to_pylist(), key=str) == [
        0.5,
        0.5,
        None,
        None,
        None,
    ]


# --- scheduler, resume -------------------------------------------------------


def test_run_writes_every_row_once_and_rerun_skips(tmp_path):
    store = cluster.ResultStore(tmp_path, ct.SCHEMAS)
    tasks = [_task(k) for k in range(5)]
    summary = _run(tasks + tasks[:2], store)  # duplicates run once
    assert (summary.total, summary.done, summary.failed) == (5, 5, 0)
    rows = _points(tmp_path)
    keys = sorted((r["tag"], r["i"]) for r in rows)
    assert keys == sorted((f"t{k}", i) for k in range(5) for i in range(3))
    assert all(r["x"] == float(r["tag"][1:]) * r["i"] for r in rows)
    assert {r["spec_hash"] for r in rows} == {"test"}
    assert {r["jax_backend"] for r in rows} == {"none"}  # from "_provenance"
    mtimes = sorted(p.stat().st_mtime_ns for p in tmp_path.rglob("*.parquet"))

    again = _run(tasks, store)
    assert (again.skipped, again.done) == (5, 0)
    assert sorted(p.stat().st_mtime_ns for p in tmp_path.rglob("*.parquet")) == mtimes
    assert len(_points(tmp_path)) == 15

    # A changed argument makes a new task; the old ones are still skipped.
    changed = [_task(k, n=4) if k == 0 else _task(k) for k in range(5)]
    third = _run(changed, store)
    assert (third.skipped, third.done) == (4, 1)
    assert len(_points(tmp_path)) == 15 + 4

    manifest = json.loads((tmp_path / "_runs" / f"{third.run_id}.json").read_text())
    assert manifest["state"] == "finished"
    assert manifest["counts"] == {"total": 5, "skipped": 4, "done": 1}


def test_corrupt_file_or_missing_marker_is_not_done(tmp_path):
    store = cluster.ResultStore(tmp_path, ct.SCHEMAS)
    tasks = [_task(k) for k in range(3)]
    _run(tasks, store)
    assert all(store.is_done(t.id) for t in tasks)

    # Truncated file (as a crash during a non-atomic copy would leave it).
    path = store.path("points", "exp", tasks[0].id)
    path.write_bytes(path.read_bytes()[:-20])
    # Missing marker.
    store.marker_path(tasks[1].id).unlink()
    # A stray hidden temporary must never be read.
    (path.parent / f".{tasks[2].id}.deadbeef.tmp").write_bytes(b"partial")
    assert not store.is_done(tasks[0].id)
    assert not store.is_done(tasks[1].id)
    assert store.is_done(tasks[2].id)

    summary = _run(tasks, store)
    assert (summary.skipped, summary.done) == (1, 2)
    assert len(_points(tmp_path)) == 9
    # A marker whose file is gone is not done either.
    path.unlink()
    assert not store.is_done(tasks[0].id)


def test_worker_killed_on_first_attempt_is_retried(tmp_path):
    store = cluster.ResultStore(tmp_path / "res", ct.SCHEMAS)
    crash = cluster.Task(
        "exp", ct.crash_once, {"marker": str(tmp_path / "m"), "tag": "c"}
    )
    summary = _run([crash, _task(1)], store, max_retries=1)
    assert (summary.done, summary.failed) == (2, 0)
    rows = _points(tmp_path / "res")
    assert sorted((r["tag"], r["i"]) for r in rows) == [
        ("c", 0),
        ("c", 1),
        ("c", 2),
        ("t1", 0),
        ("t1", 1),
        ("t1", 2),
    ]
    assert {r["attempt"] for r in rows if r["tag"] == "c"} == {2}


def test_failing_task_is_recorded_and_others_finish(tmp_path):
    store = cluster.ResultStore(tmp_path / "res", ct.SCHEMAS)
    flag = tmp_path / "flag"
    tasks = [
        cluster.Task("exp", ct.always_raise, {"message": "boom 42"}),
        cluster.Task("exp", ct.fail_unless, {"flag": str(flag), "tag": "f"}),
        cluster.Task("exp", ct.bad_column, {"tag": "b"}),
        _task(0),
    ]
    summary = _run(tasks, store, max_retries=1)
    assert (summary.done, summary.failed) == (1, 3)
    failures = {
        r["fn"].split(":")[1]: r
        for r in cluster.read_table(tmp_path / "res", "failures").to_pylist()
    }
    assert set(failures) == {"always_raise", "fail_unless", "bad_column"}
    boom = failures["always_raise"]
    assert (boom["error_type"], boom["error"]) == ("RuntimeError", "boom 42")
    assert (boom["attempts"], boom["status"]) == (2, "failed")
    assert "nope" in failures["bad_column"]["error"]
    assert len(_points(tmp_path / "res")) == 3

    # Once it can succeed, a rerun runs only the failed tasks and the
    # failure row of the one that now succeeds is gone.
    flag.write_text("")
    again = _run(tasks, store, max_retries=0)
    assert (again.skipped, again.done, again.failed) == (1, 1, 2)
    names = cluster.read_table(tmp_path / "res", "failures").column("fn").to_pylist()
    assert sorted(n.split(":")[1] for n in names) == ["always_raise", "bad_column"]
    assert len(_points(tmp_path / "res")) == 5


def test_worker_env_reaches_the_worker(tmp_path):
    store = cluster.ResultStore(tmp_path, ct.SCHEMAS)
    names = ["CLUSTER_TEST_VAR", "XLA_PYTHON_CLIENT_PREALLOCATE"]
    os.environ["CLUSTER_TEST_DRIVER_ONLY"] = "driver"  # set after ray.init
    try:
        task = cluster.Task(
            "exp", ct.read_env, {"names": [*names, "CLUSTER_TEST_DRIVER_ONLY"]}
        )
        _run([task], store, worker_env={"CLUSTER_TEST_VAR": "hello"})
    finally:
        del os.environ["CLUSTER_TEST_DRIVER_ONLY"]
    env = {
        r["key"]: r["value"] for r in cluster.read_table(tmp_path, "env").to_pylist()
    }
    assert env == {
        "CLUSTER_TEST_VAR": "hello",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        "CLUSTER_TEST_DRIVER_ONLY": None,
    }


def test_killed_driver_then_rerun_has_every_row_once(tmp_path):
    """SIGKILL a driver process after some tasks finished; a rerun on the same
    results directory completes with no duplicate and no missing row."""
    n_tasks, sleep_s = 10, 0.4
    root = tmp_path / "res"
    address = ray.get_runtime_context().gcs_address
    env = {**os.environ, "PYTHONPATH": WORKER_PATH}
    proc = subprocess.Popen(
        [
            sys.executable,
            str(TESTS / "_cluster_driver.py"),
            address,
            str(root),
            str(n_tasks),
            str(sleep_s),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 40
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((root / "_done").glob("*.json"))) >= 3:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    done_before = len(list((root / "_done").glob("*.json")))
    assert 3 <= done_before < n_tasks

    store = cluster.ResultStore(root, ct.SCHEMAS)
    # The same list the driver built (sleep_s is an argument, so part of ids).
    tasks = _cluster_driver.slow_tasks(n_tasks, sleep_s)
    summary = _run(tasks, store)
    assert summary.skipped >= done_before
    assert summary.skipped + summary.done == n_tasks
    rows = _points(root)
    keys = [(r["tag"], r["i"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert sorted(keys) == sorted(
        (f"k{k}", i) for k in range(n_tasks) for i in range(4)
    )


# --- reduction ---------------------------------------------------------------


def test_moments_merge_matches_numpy_on_all_samples():
    rng = np.random.default_rng(0)
    shards = [rng.normal(3.0, 2.0, size=(n, 4)) for n in (1, 5, 17, 2)]
    merged = cluster.merge_all(cluster.Moments.from_samples(s) for s in shards)
    everything = np.concatenate(shards)
    # Chan's update is exact up to rounding: float64 with 25 samples of O(1)
    # values agrees to ~1e-15 relative; 1e-12 leaves room for summation order.
    assert merged.count == 25
    np.testing.assert_allclose(merged.mean, everything.mean(0), rtol=1e-12)
    np.testing.assert_allclose(merged.std(), everything.std(0, ddof=1), rtol=1e-12)
    assert np.isnan(cluster.Moments.from_samples(shards[0]).std()).all()


def test_iter_table_yields_one_table_per_done_file(tmp_path):
    store = cluster.ResultStore(tmp_path, ct.SCHEMAS)
    tasks = [_task(k, n=k + 1) for k in range(3)]
    _run(tasks, store)
    store.marker_path(tasks[0].id).unlink()
    sizes = sorted(t.num_rows for t in cluster.iter_table(tmp_path, "points", "exp"))
    assert sizes == [2, 3]
    everything = cluster.iter_table(tmp_path, "points", "exp", done_only=False)
    assert sorted(t.num_rows for t in everything) == [1, 2, 3]
    assert list(cluster.iter_table(tmp_path, "points", "absent")) == []


def test_keyboard_interrupt_writes_the_manifest(tmp_path):
    """Ctrl-C mid-run leaves a manifest marked interrupted.

    Python's own SIGINT handler is installed for the test: a runner started
    in the background by a non-interactive shell inherits SIGINT ignored,
    and then no KeyboardInterrupt would ever arrive.
    """
    store = cluster.ResultStore(tmp_path, ct.SCHEMAS)
    tasks = [_task(0), cluster.Task("exp", ct.interrupt, {"pid": os.getpid()})]
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            _run(tasks, store, run_id="ctrl-c", max_in_flight=1)
    finally:
        signal.signal(signal.SIGINT, previous)
    manifest = json.loads((tmp_path / "_runs" / "ctrl-c.json").read_text())
    assert manifest["state"] == "interrupted"
    statuses = {
        t["name"].split("[")[0]: t["status"] for t in manifest["tasks"].values()
    }
    assert statuses == {"make_rows": "done", "interrupt": "running"}
