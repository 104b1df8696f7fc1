"""Tests of the experiment jobs E1-E4 (jobs/*.py) on their smoke presets.

One local Ray session serves the whole module. Each experiment runs once
through its command-line entry point ``main(argv)`` (what ``python -m
jobs.<name>`` calls); the tests then read the Parquet back with plain
``pyarrow.dataset`` and check the schema, the row counts the spec implies,
and science that an independent method pins down.
"""

import math
import os
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

import jobs
from cluster import PROVENANCE_SCHEMA
from jobs.schemas import SCHEMAS

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def results(smoke_results):
    """The shared smoke results, each experiment run on first use."""
    return smoke_results


def _table(root, table, experiment):
    data = ds.dataset(root / table, partitioning="hive").to_table()
    return data.filter(pc.field("experiment") == experiment).to_pandas()


def _check_schema(root, table):
    schema = ds.dataset(root / table, partitioning="hive").schema
    expected = list(SCHEMAS[table]) + list(PROVENANCE_SCHEMA)
    got = [schema.field(f.name) for f in expected]
    assert [(f.name, f.type) for f in got] == [(f.name, f.type) for f in expected]


@pytest.mark.parametrize(
    ("name", "tables"),
    [
        ("kernel_mimicry", ["designs", "kernels", "kernel_shards"]),
        ("ansatz", ["designs", "kernels"]),
        ("mimic_training", ["metrics", "curves"]),
        ("parity", ["metrics", "kernels", "designs"]),
    ],
)
def test_smoke_run_writes_parquet_with_the_schema(results, name, tables):
    root = results(name)
    for table in tables:
        _check_schema(root, table)
        frame = _table(root, table, name)
        assert len(frame) > 0
        assert set(frame["status"]) <= {"ok", "diverged"}
        spec = jobs.load_spec(name, preset="smoke")
        assert set(frame["spec_hash"]) == {jobs.spec_hash(spec)}
        # Worker rows record JAX's backend; the driver's shard reduction
        # (run id "driver-...") runs no JAX.
        worker = ~frame["run_id"].str.startswith("driver-")
        assert worker.any() and frame.loc[worker, "jax_backend"].notna().all()


def test_e1_exact_kernel_of_the_design_matches_a_polynomial_target(results):
    designs = _table(results("kernel_mimicry"), "designs", "kernel_mimicry")
    row = designs.set_index("target").loc["c^3"]
    # c^3 is its own degree-5 fit; phi by Thm 3.1 must reproduce it exactly
    # through the independent 1HL kernel integral: only rounding remains.
    assert row["max_error"] < 1e-12
    assert row["signs"] == "++--++"
    deep = designs.set_index("target").loc["ntk:4hl-relu"]
    # A degree-5 fit of the kinked ReLU NTK: a visible but bounded error.
    assert 1e-3 < deep["max_error"] < 0.5


def test_e1_reduction_equals_the_moments_of_its_shards(results):
    root = results("kernel_mimicry")
    shards = _table(root, "kernel_shards", "kernel_mimicry")
    kernels = _table(root, "kernels", "kernel_mimicry")
    emp = kernels[kernels["source"] == "empirical"]
    spec = jobs.load_spec("kernel_mimicry", preset="smoke")
    assert set(emp["n_nets"]) == {spec.empirical.n_nets}
    for target in spec.targets:
        part = shards[shards["target"] == target]
        # Smoke shards hold one net each (m2 = 0), so the merged mean and
        # sample std must equal those of the per-net values.
        assert set(part["count"]) == {1} and np.allclose(part["m2"], 0.0)
        per_net = part.pivot(index="point", columns="shard", values="mean")
        got = emp[emp["target"] == target].set_index("point").sort_index()
        np.testing.assert_allclose(got["value"], per_net.mean(axis=1), rtol=1e-12)
        np.testing.assert_allclose(
            got["std"], per_net.std(axis=1, ddof=1), rtol=1e-9, atol=1e-15
        )


def test_e2_fit_is_never_worse_than_the_papers_ansatz(results):
    root = results("ansatz")
    designs = _table(root, "designs", "ansatz").set_index("method")
    assert set(designs.index) == {"ansatz", "paper"}
    # Nelder-Mead starts at the paper's phi~ and keeps the best point, both
    # measured against the same exact 4HL ReLU NTK on the same grid.
    assert designs.loc["ansatz", "objective"] <= designs.loc["paper", "objective"]
    assert len(designs.loc["paper", "ansatz"]) == 7
    kernels = _table(root, "kernels", "ansatz")
    target = kernels[kernels["source"] == "target"].sort_values("point")
    paper = kernels[kernels["architecture"] == "1hl-ansatz-paper"].sort_values("point")
    err = np.abs(paper["value"].to_numpy() - target["value"].to_numpy())
    assert math.isclose(err.max(), designs.loc["paper", "max_error"], rel_tol=1e-12)
    # The paper's phi~ mimics the 4HL ReLU NTK to a few percent of its scale.
    assert err.max() < 0.1 * np.abs(target["value"]).max()


def test_e3_rows_per_phase_and_sweep_uses_the_cv_epoch(results):
    metrics = _table(results("mimic_training"), "metrics", "mimic_training")
    spec = jobs.load_spec("mimic_training", preset="smoke")
    n_arch = len(spec.architectures)
    nets = metrics[metrics["model"] == "net"]
    counts = nets.groupby("phase").size().to_dict()
    assert counts == {
        "curve": n_arch * spec.curve.seeds,
        "cv": n_arch * len(spec.sweep.widths),
        "sweep": n_arch * len(spec.sweep.widths) * spec.sweep.seeds,
    }
    cv = nets[nets["phase"] == "cv"].set_index(["architecture", "width"])
    for (arch, width), group in nets[nets["phase"] == "sweep"].groupby(
        ["architecture", "width"]
    ):
        assert set(group["stop_epoch"]) == {cv.loc[(arch, width), "stop_epoch"]}
    reg = metrics[metrics["model"] != "net"]
    assert len(reg) == 2 * n_arch
    # Kernel regression with a 1e-8 ridge interpolates the training set.
    assert (reg["train_acc"] == 1.0).all() and (reg["train_mse"] < 1e-4).all()


def test_e4_sine_series_matches_the_exact_kernel(results):
    root = results("parity")
    designs = _table(root, "designs", "parity").set_index("target")
    assert set(designs.index) == {"1hl-10sin6z", "1hl-0.5sin6z"}
    for name, amp in (("1hl-10sin6z", 10.0), ("1hl-0.5sin6z", 0.5)):
        a = np.asarray(designs.loc[name, "fit_coeffs"])
        # SPEC eq. 21 (closed form) against the tau-integral NTK of the
        # kernels module: two independent routes; 80 terms leave ~1e-9 of the
        # amplitude^2 scale.
        assert designs.loc[name, "max_error"] < 1e-6 * amp**2
        assert np.all(a[::2] == 0.0) and np.argmax(a) in (35, 37)
    metrics = _table(root, "metrics", "parity")
    spec = jobs.load_spec("parity", preset="smoke")
    assert len(metrics) == len(spec.nets) * spec.trials
    assert set(metrics["phase"]) == {"trial"}
    relu = metrics[metrics["architecture"] == "4hl-relu"]
    # n_params of 4 hidden layers of width w on 11 inputs, 1 output.
    w = spec.width
    assert set(relu["n_params"]) == {11 * w + w + 3 * (w * w + w) + w + 1}


@pytest.mark.parametrize("name", ["kernel_mimicry", "parity"])
def test_rerun_adds_no_rows(results, name):
    root = results(name)
    tables = ["designs", "kernels", "kernel_shards", "metrics"]
    before = {t: len(_table(root, t, name)) for t in tables if (root / t).exists()}
    spec = jobs.load_spec(name, preset="smoke")
    summary = jobs.run_spec(spec, results=root, progress=False)
    assert summary.done == 0 and summary.skipped == summary.total > 0
    after = {t: len(_table(root, t, name)) for t in before}
    assert after == before


@pytest.mark.slow
def test_killed_driver_then_rerun_leaves_every_row_once(tmp_path, ray_session):
    import signal
    import subprocess
    import sys
    import time

    root = tmp_path / "killed"
    overrides = ["--set", "trials=4", "--set", "trials_per_task=1"]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobs.parity",
            "--preset",
            "smoke",
            "--no-progress",
            "--results",
            str(root),
            *overrides,
        ],
        cwd=Path(jobs.__file__).resolve().parents[1],
        env={**os.environ, "PYTHONPATH": str(Path(jobs.__file__).resolve().parents[1])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((root / "_done").glob("*.json"))) >= 2:
                break
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its local Ray
        proc.wait(timeout=30)
    spec = jobs.load_spec(
        "parity", preset="smoke", overrides=["trials=4", "trials_per_task=1"]
    )
    summary = jobs.run_spec(spec, results=root, progress=False)
    assert summary.failed == 0 and summary.skipped >= 2
    metrics = _table(root, "metrics", "parity")
    keys = metrics[["architecture", "seed"]].value_counts()
    assert len(keys) == len(spec.nets) * spec.trials and (keys == 1).all()
    kernels = _table(root, "kernels", "parity")
    assert (kernels[["target", "kind", "point"]].value_counts() == 1).all()


# --- Datasets are checked before any task: required fail, optional skip ------


def _forbid_ray(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("Ray was started although a dataset is missing")

    monkeypatch.setattr("cluster.connect", forbidden)


def test_missing_required_dataset_stops_the_run_before_ray(tmp_path, monkeypatch):
    monkeypatch.setenv("REVNTK_OFFLINE", "1")
    monkeypatch.setenv("REVNTK_DATA_DIR", str(tmp_path / "empty_cache"))
    _forbid_ray(monkeypatch)
    with pytest.raises(jobs.DatasetsUnavailableError) as info:
        jobs.run_experiment(
            "mimic_training",
            preset="smoke",
            results=tmp_path / "r",
            overrides=["datasets=[balance-scale, wine-quality-red, cifar10]"],
        )
    lines = str(info.value).splitlines()
    # A header, then one line per dataset that cannot load, naming its file,
    # the cache path and the fix (breast-cancer ships with scikit-learn).
    assert "3 dataset(s)" in lines[0] and len(lines) == 4
    for line, name, file in zip(
        lines[1:],
        ["balance-scale", "wine-quality-red", "cifar10"],
        ["balance-scale.data", "winequality-red.csv", "cifar-10-binary.tar.gz"],
        strict=True,
    ):
        assert line.strip().startswith(f"{name}: {file} is not in the dataset cache")
        assert str(tmp_path / "empty_cache" / file) in line
    assert not (tmp_path / "r").exists()
    assert isinstance(info.value, jobs.SpecError)  # exit status 2 on the CLI


def test_missing_optional_cifar10_is_skipped_with_a_note(
    tmp_path, monkeypatch, caplog, shared_data_dir
):
    from jobs import mimic_training

    monkeypatch.setenv("REVNTK_OFFLINE", "1")
    spec = jobs.load_spec(
        "e3", preset="smoke", overrides=["optional_datasets=[cifar10]"]
    )
    with caplog.at_level("WARNING", logger="jobs"):
        jobs.preflight(spec)  # no error: cifar10 is optional here
    (note,) = [r.getMessage() for r in caplog.records if "cifar10" in r.getMessage()]
    assert "skipping optional dataset cifar10" in note
    assert str(shared_data_dir / "cifar-10-binary.tar.gz") in note
    assert "not the python (pickle) version" in note
    assert mimic_training._datasets(spec) == ["balance-scale"]
    # Once the archive is in the cache, it runs.
    monkeypatch.setattr(
        "revntk_core.datasets.is_available", lambda name, data_dir=None: True
    )
    assert mimic_training._datasets(spec) == ["balance-scale", "cifar10"]
