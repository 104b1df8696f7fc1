"""One-shot check of the engine on an accelerator, with JAX alone.

For a CUDA machine that has only the lean install (JAX, optax, NumPy, SciPy;
no neural-tangents, no TensorFlow, no network). In one process it measures:

1. ``matmul``: float32 FLOP/s of an ``n x n`` matmul (JAX's default matmul
   precision, as training uses), the reference for (3).
2. ``e1``: SPEC E1's averaging at full width: the empirical NTK of 16 nets of
   width 2^20 with phi = 0.5 sin(6z) on the 100 circle inputs, its time,
   device memory peak, and its distance to the exact infinite-width NTK in
   units of the standard error over nets.
3. ``e3``: a slice of E3's ``paper`` preset: 4HL ReLU (sigma_w = sqrt2,
   sigma_b = 0.1; readout 1, 0), width 4096, 800 x 11 random inputs on the
   sphere of radius sqrt(11), 6 one-hot outputs, full-batch GD at step 0.1,
   5 seeds in one ``train_multi_seed`` program; epochs per second and
   achieved FLOP/s as a fraction of (1).

Run ``benchmarks/gpu_check.sh`` (it sets ``XLA_PYTHON_CLIENT_PREALLOCATE=false``
and a 5-minute timeout) or ``python -m benchmarks.gpu_check``; ``--tiny`` is a
CPU smoke run at toy sizes. Prints one JSON object.
"""

from __future__ import annotations

import os

# Allocate device memory on demand, so several tasks can share one GPU; must
# be set before JAX initialises its backend.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks._timing import best_time  # noqa: E402
from revntk_core.engine import (  # noqa: E402
    FCN,
    TrainConfig,
    device_info,
    empirical_ntk_1hl,
    train_multi_seed,
)
from revntk_core.kernels import Sin, ntk_1hl  # noqa: E402

FULL = {
    "matmul_n": 8192,
    "e1_width": 2**20,
    "e1_nets": 16,
    "e3_width": 4096,
    "e3_epochs": 300,
    "e3_seeds": 5,
    "e3_train": 800,
}
"""Sizes on a GPU: about a minute on one H100-class card."""
TINY = {
    "matmul_n": 512,
    "e1_width": 2**12,
    "e1_nets": 4,
    "e3_width": 64,
    "e3_epochs": 20,
    "e3_seeds": 2,
    "e3_train": 800,
}
"""Sizes of the CPU smoke run (``--tiny``): seconds."""
E3_TEST = 799
"""Test-set size of wine-quality-red in SPEC E3."""
D_IN, D_OUT = 11, 6
"""Wine-quality-red: 11 features, 6 classes."""


def _device_peak_bytes() -> int | None:
    stats = jax.devices()[0].memory_stats()
    return None if not stats else int(stats.get("peak_bytes_in_use", 0))


def check_matmul(n: int) -> dict:
    a, b = jax.random.normal(jax.random.PRNGKey(0), (2, n, n), jnp.float32)
    mm = jax.jit(jnp.matmul)
    mm(a, b).block_until_ready()
    t = best_time(lambda: mm(a, b).block_until_ready(), 5)
    return {"n": n, "time_s": t, "tflops": 2.0 * n**3 / t / 1e12}


def check_e1(width: int, n_nets: int) -> dict:
    t = np.linspace(0.0, np.pi, 100)
    x = (math.sqrt(2.0) * np.stack([np.cos(t), np.sin(t)], axis=1)).astype(np.float32)
    act = Sin(amplitude=0.5, frequency=6.0)
    key = jax.random.PRNGKey(0)
    run = lambda: empirical_ntk_1hl(act, x, x[:1], width=width, n_nets=n_nets, key=key)
    t0 = time.perf_counter()
    run().per_net.block_until_ready()
    first = time.perf_counter() - t0
    t_run = best_time(lambda: run().per_net.block_until_ready(), 2)
    stats = run()
    exact = ntk_1hl(act, np.clip(x @ x[0] / 2.0, -1.0, 1.0))
    mean = np.asarray(stats.mean[:, 0], np.float64)
    z = np.abs(mean - exact) / np.asarray(stats.sem[:, 0])
    return {
        "width": width,
        "n_nets": n_nets,
        "time_s": t_run,
        "compile_s": max(first - t_run, 0.0),
        "neurons_per_s": width * n_nets / t_run,
        "max_abs_err_vs_exact": float(np.max(np.abs(mean - exact))),
        "max_err_in_sem": float(np.max(z)),
        "device_peak_bytes": _device_peak_bytes(),
    }


def _epoch_flops(fcn: FCN, n: int) -> float:
    """Matmul FLOPs of one full-batch GD epoch on ``n`` inputs.

    Forward ``2 n S`` with ``S = sum_l fan_in fan_out``; backward twice that,
    less the input gradient of the first layer, which is not needed.
    """
    sizes = fcn.layer_sizes
    s = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    return 2.0 * n * (3 * s - sizes[0] * sizes[1])


def _sphere(key, n: int) -> np.ndarray:
    x = np.asarray(jax.random.normal(key, (n, D_IN)), np.float64)
    return x * math.sqrt(D_IN) / np.linalg.norm(x, axis=1, keepdims=True)


def check_e3(width: int, epochs: int, n_seeds: int, n_train: int) -> dict:
    fcn = FCN(
        d_in=D_IN,
        widths=(width,) * 4,
        d_out=D_OUT,
        activation=jax.nn.relu,
        W_std=math.sqrt(2.0),
        b_std=0.1,
    )
    k = jax.random.split(jax.random.PRNGKey(1), 4)
    x_tr, x_te = _sphere(k[0], n_train), _sphere(k[1], E3_TEST)
    y_tr = np.eye(D_OUT)[np.asarray(jax.random.randint(k[2], (n_train,), 0, D_OUT))]
    y_te = np.eye(D_OUT)[np.asarray(jax.random.randint(k[3], (E3_TEST,), 0, D_OUT))]
    seeds = list(range(n_seeds))

    def train(n_epochs: int):
        cfg = TrainConfig(epochs=n_epochs, step_size=0.1, record_epochs=(0, n_epochs))
        return train_multi_seed(fcn, seeds, x_tr, y_tr, x_te, y_te, cfg)

    t0 = time.perf_counter()
    train(1)  # Same program as below: epochs are a runtime value.
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = train(epochs)
    t_run = time.perf_counter() - t0
    flops = _epoch_flops(fcn, n_train) * epochs * n_seeds
    return {
        "width": width,
        "epochs": epochs,
        "seeds": n_seeds,
        "time_s": t_run,
        "compile_and_first_s": compile_s,
        "seed_epochs_per_s": epochs * n_seeds / t_run,
        "tflops": flops / t_run / 1e12,
        "final_train_mse": [float(v) for v in result.final_train_mse],
        "status": [str(s) for s in result.status],
        "device_peak_bytes": _device_peak_bytes(),
    }


def run(*, tiny: bool = False) -> dict:
    """All three checks; returns a JSON-ready dict."""
    sizes = TINY if tiny else FULL
    t0 = time.perf_counter()
    out = {
        "date": time.strftime("%Y-%m-%d"),
        "device": device_info(),
        "tiny": tiny,
        "preallocate": os.environ.get("XLA_PYTHON_CLIENT_PREALLOCATE"),
        "neural_tangents_imported": "neural_tangents" in sys.modules,
        "tensorflow_imported": "tensorflow" in sys.modules,
    }
    out["matmul"] = check_matmul(sizes["matmul_n"])
    out["e1"] = check_e1(sizes["e1_width"], sizes["e1_nets"])
    out["e3"] = check_e3(
        sizes["e3_width"], sizes["e3_epochs"], sizes["e3_seeds"], sizes["e3_train"]
    )
    out["e3"]["fraction_of_matmul"] = out["e3"]["tflops"] / out["matmul"]["tflops"]
    out["total_s"] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="toy sizes (CPU smoke run)")
    args = parser.parse_args()
    print(json.dumps(run(tiny=args.tiny), indent=2))


if __name__ == "__main__":
    main()
