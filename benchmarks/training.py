"""Training throughput of the multi-seed engine, as ratios measured in one run.

(a) ``deep``: epochs per second and achieved float32 FLOP/s of full-batch GD on a
    4HL ReLU net of width 512 (800 x 11 inputs, 6 outputs, one seed), against
    the FLOP/s of a float32 2048 x 2048 matmul measured in the same process.
(b) ``parity``: seeds x epochs per second of the multi-seed program (30 seeds,
    4HL ReLU width 128, 1024 x 11 inputs) against a Python loop over seeds
    calling the same compiled single-seed program; also the program with all
    seeds vmapped at once (``seed_batch=30``, the accelerator default).

Run ``python -m benchmarks.training`` (JSON on stdout). ``REVNTK_BENCH_SCALE``
(default 1) multiplies every epoch count, for a quick run use 0.1.
"""

from __future__ import annotations

import json
import os

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks._timing import best_time
from revntk_core.engine import FCN, TrainConfig, device_info, train_multi_seed

DEEP_EPOCHS = 200
"""Epochs timed in (a): about 4 GFLOP each, so ~10 s on a 2-core CPU."""
PARITY_EPOCHS = 200
"""Epochs timed in (b) per seed."""
PARITY_SEEDS = 30
"""Trials of SPEC E4."""
MATMUL_N = 2048
"""Size of the square float32 matmul that sets the reference FLOP/s."""
REPEATS = 3
"""Timings keep the best of this many runs (noise on a shared machine)."""


def _scale() -> float:
    raw = os.environ.get("REVNTK_BENCH_SCALE", "1")
    try:
        value = float(raw)
    except ValueError as err:
        raise ValueError(f"`REVNTK_BENCH_SCALE` must be a number; got {raw!r}") from err
    if not value > 0:
        raise ValueError(f"`REVNTK_BENCH_SCALE` must be > 0; got {raw!r}")
    return value


def matmul_flops(n: int = MATMUL_N, *, repeats: int = REPEATS) -> float:
    """Measured float32 FLOP/s of an ``n x n`` by ``n x n`` matmul."""
    key_a, key_b = jax.random.split(jax.random.PRNGKey(0))
    a = jax.random.normal(key_a, (n, n), jnp.float32)
    b = jax.random.normal(key_b, (n, n), jnp.float32)
    mm = jax.jit(lambda a, b: a @ b)
    mm(a, b).block_until_ready()
    t = best_time(lambda: mm(a, b).block_until_ready(), repeats)
    return 2.0 * n**3 / t


def gd_epoch_flops(fcn: FCN, n: int) -> float:
    """Matmul FLOPs of one full-batch GD epoch on ``n`` inputs.

    Forward ``2 n fan_in fan_out`` per layer; backward the weight gradient of
    every layer plus the input gradient of every layer but the first (the
    inputs need no gradient): ``2 n (3 S - d_in n_1)`` with
    ``S = sum_l fan_in fan_out``. Elementwise work is not counted.
    """
    sizes = fcn.layer_sizes
    s = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    return 2.0 * n * (3 * s - sizes[0] * sizes[1])


def _data(key: int, n: int, d: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(key)
    x = rng.normal(size=(n, d))
    x *= np.sqrt(d) / np.linalg.norm(x, axis=1, keepdims=True)
    y = np.eye(k)[rng.integers(0, k, n)] if k > 1 else rng.choice([-1.0, 1.0], n)
    return x, y


def bench_deep(
    *, epochs: int, width: int = 512, n: int = 800, repeats: int = REPEATS
) -> dict:
    """(a): one seed, 4HL ReLU, epochs/s and achieved FLOP/s."""
    fcn = FCN(11, (width,) * 4, 6, jax.nn.relu, W_std=2**0.5, b_std=0.1)
    x, y = _data(0, n, 11, 6)
    xt, yt = _data(1, 64, 11, 6)
    warm = TrainConfig(epochs=1, step_size=0.1)
    cfg = TrainConfig(epochs=epochs, step_size=0.1)
    train_multi_seed(fcn, [0], x, y, xt, yt, warm)  # compile once
    t = best_time(lambda: train_multi_seed(fcn, [0], x, y, xt, yt, cfg), repeats)
    flops = gd_epoch_flops(fcn, n) * epochs / t
    return {"epochs": epochs, "seconds": t, "epochs_per_s": epochs / t, "flops": flops}


def bench_parity(
    *, epochs: int, n_seeds: int = PARITY_SEEDS, width: int = 128, repeats: int = 2
) -> dict:
    """(b): seeds x epochs per second, multi-seed program against a loop."""
    fcn = FCN(11, (width,) * 4, 1, jax.nn.relu, W_std=2**0.5, b_std=0.1)
    cube = np.array(np.meshgrid(*[[-1.0, 1.0]] * 11)).reshape(11, -1).T
    y = np.where(np.sum(cube > 0, axis=1) % 2 == 1, 1.0, -1.0)
    perm = np.random.default_rng(0).permutation(len(cube))
    tr, te = perm[:1024], perm[1024:]
    seeds = list(range(n_seeds))
    warm = TrainConfig(epochs=1, step_size=0.1)
    cfg = TrainConfig(epochs=epochs, step_size=0.1)
    args = (cube[tr], y[tr], cube[te], y[te])
    train_multi_seed(fcn, seeds, *args, warm)
    train_multi_seed(fcn, [0], *args, warm)

    def loop():
        for s in seeds:
            train_multi_seed(fcn, [s], *args, cfg)

    def vmap_all():
        train_multi_seed(fcn, seeds, *args, cfg, seed_batch=n_seeds)

    train_multi_seed(fcn, seeds, *args, warm, seed_batch=n_seeds)
    t_multi = t_loop = t_vmap = np.inf
    for _ in range(repeats):  # alternate, so load from others hits all alike
        t_multi = min(
            t_multi, best_time(lambda: train_multi_seed(fcn, seeds, *args, cfg), 1)
        )
        t_loop = min(t_loop, best_time(loop, 1))
        t_vmap = min(t_vmap, best_time(vmap_all, 1))
    work = n_seeds * epochs
    return {
        "epochs": epochs,
        "n_seeds": n_seeds,
        "multi_seed_seconds": t_multi,
        "loop_seconds": t_loop,
        "multi_seed_seed_epochs_per_s": work / t_multi,
        "loop_seed_epochs_per_s": work / t_loop,
        "speedup_multi_over_loop": t_loop / t_multi,
        "vmap_all_seeds_seconds": t_vmap,
        "speedup_vmap_all_over_loop": t_loop / t_vmap,
        "seed_batch": "default (1 on CPU: seeds one after another in one program)",
    }


def run(
    *,
    deep_epochs: int | None = None,
    parity_epochs: int | None = None,
    parity_seeds: int = PARITY_SEEDS,
    deep_width: int = 512,
    matmul_n: int = MATMUL_N,
) -> dict:
    """Run both benchmarks; returns a JSON-ready dict.

    Epoch counts default to :data:`DEEP_EPOCHS` and :data:`PARITY_EPOCHS`
    times ``REVNTK_BENCH_SCALE``.
    """
    scale = _scale()
    deep_epochs = deep_epochs or max(1, round(DEEP_EPOCHS * scale))
    parity_epochs = parity_epochs or max(1, round(PARITY_EPOCHS * scale))
    with jax.experimental.disable_x64():
        peak = matmul_flops(matmul_n)
        deep = bench_deep(epochs=deep_epochs, width=deep_width)
        parity = bench_parity(epochs=parity_epochs, n_seeds=parity_seeds)
        peak = max(peak, matmul_flops(matmul_n))  # measured again after: noise
    deep["fraction_of_matmul_peak"] = deep["flops"] / peak
    return {
        "benchmark": "training",
        "device": device_info(),
        "matmul_n": matmul_n,
        "matmul_flops": peak,
        "deep_4hl_relu": deep,
        "parity": parity,
        "targets": {
            "fraction_of_matmul_peak": 0.6,
            "speedup_multi_over_loop": 1.0,
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
