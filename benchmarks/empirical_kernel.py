"""Empirical NTK of a 1HL net: revntk's closed form against neural-tangents.

SPEC E1 setting: phi(z) = 0.5 sin(6z), sigma_w = 1, sigma_b = 0, readout 1, 0;
100 inputs sqrt2 (cos t, sin t), t uniform on [0, pi], each against the first.

(i) ``avg``: 16 nets of width 2^14 (E1's averaging). revntk's
    ``empirical_ntk_1hl`` (one call for all nets) against
    ``neural_tangents.empirical_kernel_fn(apply_fn)`` as users call it
    (``jax.jit``, default settings, a Python loop over the 16 parameter sets),
    and against NT's faster options (``vmap_axes=0`` with each explicit
    ``implementation``; ``AUTO`` fails under jax 0.5.3). Same parameters for
    both (revntk's ``init_params`` draws NT's ``init_fn`` numbers), so the
    largest |difference| between the kernels is float32 rounding.
(ii) ``big``: one net of width 2^18, the same comparisons.
(iii) ``signs``: for the SPEC E1 4HL ReLU NTK target at degree 5, predicted
    (exact) and measured (32 nets of width 2^10) std of the empirical NTK for
    the signs ``choose_signs`` picks, all-positive signs and the paper's.

Times exclude compilation (reported separately as ``compile_s``: first call
minus a steady call) and keep the best of ``repeats`` runs. Memory, two ways:
``xla_temp_mb`` is the scratch memory XLA plans for one call of the compiled
program (``memory_analysis()``: deterministic, the program's extra peak
beyond its inputs and outputs); ``peak_extra_mb`` is the extra resident set
size during one steady call (high-water mark reset through
``/proc/self/clear_refs``, then ``VmHWM - VmRSS``), which under-reads when the
allocator reuses memory freed by earlier calls. XLA allocates outside
Python's allocator, so ``tracemalloc`` sees none of it, and on CPU
``device.memory_stats()`` is unavailable.

Run ``python -m benchmarks.empirical_kernel`` (JSON on stdout; ``--quick``
for a small smoke run).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import time

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks._timing import best_time
from revntk_core.engine import (
    FCN,
    choose_signs,
    device_info,
    empirical_ntk_1hl,
    measured_ntk_std,
    predicted_ntk_std,
)
from revntk_core.engine._empirical import _auto_chunk, _per_net_1hl
from revntk_core.kernels import Sin

N_INPUTS = 100
"""SPEC E1: 100 circle points."""
REPEATS = 3
"""Timings keep the best of this many runs (noise on a shared machine)."""
NT_IMPLEMENTATIONS = (
    "JACOBIAN_CONTRACTION",
    "NTK_VECTOR_PRODUCTS",
    "STRUCTURED_DERIVATIVES",
)
"""Explicit NT implementations tried with ``vmap_axes=0``."""
PAPER_SIGNS = (1, 1, -1, -1, 1, 1)
"""SPEC E1's signs on h_0..h_5."""


def circle_inputs(n: int = N_INPUTS) -> np.ndarray:
    t = np.linspace(0.0, np.pi, n)
    return math.sqrt(2.0) * np.stack([np.cos(t), np.sin(t)], axis=1).astype(np.float32)


def _status_mb(field: str) -> float:
    text = open("/proc/self/status").read()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1)) / 1024


def peak_extra_mb(fn) -> float | None:
    """Extra resident memory (MB) at the peak of ``fn()``; None without /proc."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # Reset the high-water mark VmHWM to the current RSS.
        before = _status_mb("VmRSS")
    except OSError:
        fn()
        return None
    fn()
    return _status_mb("VmHWM") - before


def xla_temp_mb(jitted, *args, **kwargs) -> float:
    """Scratch memory (MB) XLA plans for one call of a compiled program.

    ``memory_analysis()`` of the compiled executable: the buffers beyond the
    arguments and outputs, i.e. the program's extra peak. Deterministic, and
    the same on CPU and GPU, unlike resident-set readings.
    """
    compiled = jitted.lower(*args, **kwargs).compile()
    return compiled.memory_analysis().temp_size_in_bytes / 2**20


def _block(result):
    """Wait for a result (an array or a ``KernelStats``) to be computed."""
    return jax.block_until_ready(getattr(result, "per_net", result))


def _timed(fn, repeats: int) -> dict:
    """Compile time, best steady time and extra peak memory of ``fn``."""
    t0 = time.perf_counter()
    out = fn()
    _block(out)
    first = time.perf_counter() - t0
    best = best_time(lambda: _block(fn()), repeats)
    mem = peak_extra_mb(lambda: _block(fn()))
    return {
        "time_s": best,
        "compile_s": max(first - best, 0.0),
        "peak_extra_mb": mem,
    }, out


def _nt_cases(width: int, keys, x, repeats: int, nt_default: bool) -> dict:
    """neural-tangents' empirical NTK on the same nets, each option timed."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import neural_tangents as nt  # Imported here only: the engine never needs it.

    init_fn, apply_fn, _ = nt.stax.serial(
        nt.stax.Dense(width, W_std=1.0, b_std=0.0),
        nt.stax.Sin(a=0.5, b=6.0),
        nt.stax.Dense(1, W_std=1.0, b_std=0.0),
    )
    params = [init_fn(k, x.shape)[1] for k in keys]
    options = {"default": {}} if nt_default else {}
    for name in NT_IMPLEMENTATIONS:
        impl = getattr(nt.NtkImplementation, name)
        options[f"vmap_axes=0,{name}"] = {"vmap_axes": 0, "implementation": impl}
    cases = {}
    for label, kwargs in options.items():
        kfn = jax.jit(nt.empirical_kernel_fn(apply_fn, **kwargs), static_argnames="get")
        run = lambda kfn=kfn: jnp.stack([kfn(x, x[:1], "ntk", p) for p in params])
        try:
            # NT's default is slow (tens of seconds): time it once.
            stats, out = _timed(run, 1 if label == "default" else repeats)
        except Exception as err:  # Report the failure, keep benchmarking.
            cases[label] = {"error": f"{type(err).__name__}: {str(err)[:200]}"}
            continue
        stats["kernel"] = np.asarray(out)
        stats["xla_temp_mb"] = xla_temp_mb(kfn, x, x[:1], "ntk", params[0])
        cases[label] = stats
    return cases


def _compare(width: int, n_nets: int, x, repeats: int, with_nt: bool, nt_default: bool):
    key = jax.random.PRNGKey(0)
    act = Sin(amplitude=0.5, frequency=6.0)
    ours, stats = _timed(
        lambda: empirical_ntk_1hl(act, x, x[:1], width=width, n_nets=n_nets, key=key),
        repeats,
    )
    fcn = FCN(d_in=2, widths=(width,), d_out=1, activation=act)
    # One group of nets is one compiled program (all 16 nets fit one group).
    ours["xla_temp_mb"] = xla_temp_mb(
        _per_net_1hl,
        jax.random.split(key, n_nets),
        jnp.asarray(x),
        jnp.asarray(x[:1]),
        fcn,
        _auto_chunk(width, len(x) + 1),
        "ntk",
    )
    result = {"width": width, "n_nets": n_nets, "revntk": ours}
    if not with_nt:
        return result
    keys = jax.random.split(key, n_nets)
    cases = _nt_cases(width, keys, x, repeats, nt_default)
    ok = {k: v for k, v in cases.items() if "error" not in v}
    ours_k = np.asarray(stats.per_net)
    for v in ok.values():
        v["max_abs_diff"] = float(np.max(np.abs(v.pop("kernel") - ours_k)))
    result["neural_tangents"] = cases
    result["kernel_scale"] = float(np.max(np.abs(ours_k)))
    if "default" in ok:
        result["speedup_vs_nt_default"] = ok["default"]["time_s"] / ours["time_s"]
    fast = {k: v for k, v in ok.items() if k != "default"}
    if fast:
        best = min(fast, key=lambda k: fast[k]["time_s"])
        result["nt_fastest_option"] = best
        result["speedup_vs_nt_fastest"] = fast[best]["time_s"] / ours["time_s"]
    return result


def _relu_target_coeffs() -> np.ndarray:
    """|b_0..b_5| of the degree-5 design for the SPEC E1 4HL ReLU NTK."""
    from revntk_core.design import E1_TARGETS, design

    d = design(E1_TARGETS["ntk:4hl-relu"], degree=5, kind="ntk")
    return np.abs(np.asarray(d.hermite_coeffs))


def _signs(n_nets: int, width: int) -> dict:
    b = _relu_target_coeffs()
    c = np.cos(np.linspace(0.0, np.pi, N_INPUTS))
    chosen = choose_signs(b, width=width, c_grid=c)
    key = jax.random.PRNGKey(1)  # One key for all sign vectors: a paired test.
    rows = {}
    for label, s in (
        ("chosen", chosen),
        ("all_positive", (1,) * b.size),
        ("paper", PAPER_SIGNS),
    ):
        pred = predicted_ntk_std(b, s, c, width=width)
        meas = measured_ntk_std(b, s, c, width=width, n_nets=n_nets, key=key)
        rows[label] = {
            "signs": list(s),
            "predicted_std_mean": float(pred.mean()),
            "measured_std_mean": float(meas.mean()),
            "predicted_std_at_c1": float(pred[0]),
            "measured_std_at_c1": float(meas[0]),
        }
    return {"hermite_abs_coeffs": b.tolist(), "n_nets": n_nets, "width": width, **rows}


def run(
    *,
    width: int = 2**14,
    n_nets: int = 16,
    big_width: int = 2**18,
    repeats: int = REPEATS,
    with_nt: bool = True,
    nt_default: bool = True,
    nt_default_big: bool = False,
    sign_nets: int = 32,
    sign_width: int = 2**10,
) -> dict:
    """Run all three comparisons; returns a JSON-ready dict.

    Args:
        width: width of each averaged net in (i).
        n_nets: number of averaged nets in (i).
        big_width: width of the single net in (ii).
        repeats: timed repetitions (best kept).
        with_nt: compare with neural-tangents (needs the ``full`` install).
        nt_default: include NT's default call in (i) (~35 s, ~1.3 GB on CPU).
        nt_default_big: include it in (ii) too: ~65 s and ~20 GB of RAM on
            CPU (its Jacobian holds a (100 x 100 x width) intermediate), so it
            is off unless asked for.
        sign_nets: nets per measured std in (iii).
        sign_width: width in (iii).
    """
    x = circle_inputs()
    out = {
        "benchmark": "empirical_kernel",
        "device": device_info(),
        "activation": "0.5 sin(6z)",
        "n_inputs": N_INPUTS,
        "targets": {
            "speedup_vs_nt_default": 30.0,
            "speedup_vs_nt_fastest": 10.0,
            "big_peak_extra_mb_below": 100.0,
        },
    }
    out["avg"] = _compare(width, n_nets, x, repeats, with_nt, nt_default)
    out["big"] = _compare(big_width, 1, x, repeats, with_nt, nt_default_big)
    out["signs"] = _signs(sign_nets, sign_width)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small widths, smoke run")
    parser.add_argument("--no-nt", action="store_true", help="skip neural-tangents")
    parser.add_argument(
        "--nt-default-big",
        action="store_true",
        help="also time NT's default call at the big width (~20 GB of RAM)",
    )
    args = parser.parse_args()
    kwargs = {"with_nt": not args.no_nt, "nt_default_big": args.nt_default_big}
    if args.quick:
        kwargs |= {"width": 2**10, "big_width": 2**12, "repeats": 1, "sign_nets": 8}
    print(json.dumps(run(**kwargs), indent=2))


if __name__ == "__main__":
    main()
