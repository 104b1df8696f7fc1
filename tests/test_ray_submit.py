"""A job submitted with `ray job submit` gives the results of a local run.

Runs ``python -m jobs.parity --preset smoke`` twice: once as a plain local
command (Ray starts in that process), once submitted with ``ray job submit
--working-dir .`` to a ``ray start --head --num-cpus 2`` cluster started by
this test (and stopped by it, by process id, in a ``finally``). Same spec,
same seeds: the same task ids and the same numbers.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pytest

ROOT = Path(__file__).resolve().parents[1]
RAY = Path(sys.executable).with_name("ray")

pytestmark = pytest.mark.ray


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    # The test cluster authenticates job submissions with a fresh token.
    env["RAY_AUTH_MODE"] = "token"
    env["RAY_AUTH_TOKEN"] = secrets.token_hex(16)
    return env


def _table(root: Path, table: str):
    frame = ds.dataset(root / table, partitioning="hive").to_table().to_pandas()
    keys = [
        c for c in ("architecture", "seed", "kind", "point", "target") if c in frame
    ]
    return frame.sort_values(keys).reset_index(drop=True)


def _wait_for_dashboard(url: str, proc: subprocess.Popen, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`ray start` exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/version", timeout=2) as r:
                if r.status == 200:
                    return
        except urllib.error.HTTPError:
            return  # the dashboard answers (authentication is for clients)
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"Ray dashboard at {url} did not come up in {timeout} s")


def _submit_when_agent_is_up(submit: list[str], env: dict, timeout: float = 90):
    """Runs ``ray job submit``; retries while the head's job agent starts.

    The dashboard answers a few seconds before the agent that runs jobs;
    until then a submission is refused with "No available agent".
    """
    deadline = time.monotonic() + timeout
    while True:
        done = subprocess.run(
            submit, cwd=ROOT, env=env, capture_output=True, text=True, timeout=400
        )
        output = done.stdout + done.stderr
        if done.returncode == 0:
            return
        if "No available agent" not in output or time.monotonic() > deadline:
            raise AssertionError(f"ray job submit failed:\n{output[-4000:]}")
        time.sleep(2)


def test_submitted_job_matches_local_run(tmp_path):
    env = _env()
    command = [
        sys.executable,
        "-m",
        "jobs.parity",
        "--preset",
        "smoke",
        "--no-progress",
    ]
    local, remote = tmp_path / "local", tmp_path / "remote"
    subprocess.run(
        [*command, "--results", str(local)],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=300,
    )

    port, dash = _free_port(), _free_port()
    # Every port of its own: a Ray already running in this process (the
    # session's local Ray) holds the default agent and metrics ports.
    own_ports = [
        f"--{name}={_free_port()}"
        for name in (
            "dashboard-agent-listen-port",
            "dashboard-agent-grpc-port",
            "runtime-env-agent-port",
            "metrics-export-port",
            "ray-client-server-port",
        )
    ]
    head = subprocess.Popen(
        [
            str(RAY),
            "start",
            "--head",
            "--block",
            "--num-cpus",
            "2",
            f"--port={port}",
            "--include-dashboard=true",
            "--dashboard-host=127.0.0.1",
            f"--dashboard-port={dash}",
            "--disable-usage-stats",
            *own_ports,
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{dash}"
    try:
        _wait_for_dashboard(url, head)
        runtime_env = {"working_dir": str(ROOT), "excludes": [".git", ".venv"]}
        submit = [
            str(RAY),
            "job",
            "submit",
            "--address",
            url,
            "--runtime-env-json",
            json.dumps(runtime_env),
            "--",
            *command,
            "--results",
            str(remote),
        ]
        _submit_when_agent_is_up(submit, env)
    finally:
        head.terminate()  # --block: ray start stops what it started
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait(timeout=30)

    for table in ("metrics", "kernels", "designs"):
        a, b = _table(local, table), _table(remote, table)
        assert len(a) == len(b) > 0
        assert sorted(a["task_id"].unique()) == sorted(b["task_id"].unique())
        assert set(a["spec_hash"]) == set(b["spec_hash"])
        numeric = [
            c
            for c in (
                "train_mse",
                "test_mse",
                "train_acc",
                "test_acc",
                "value",
                "epochs_run",
                "max_error",
            )
            if c in a
        ]
        # Same CPU, same XLA program, same seeds: equal up to rounding of
        # thread-order-dependent reductions (1e-6 relative is far above it).
        for col in numeric:
            np.testing.assert_allclose(
                a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-6, atol=1e-9
            )
        assert list(a["status"]) == list(b["status"])
