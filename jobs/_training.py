"""Worker-side helpers shared by the training experiments (E3, E4).

Architectures travel to workers as plain dicts (``depth``, ``activation`` as
``Activation.to_dict()``, ``W_std``, ``b_std``), and training results come
back as rows of the ``curves`` and ``metrics`` tables (``jobs.schemas``).
"""

from __future__ import annotations

import math
from typing import Any

from ._worker import finite_or_none

__all__ = [
    "architecture_dict",
    "build_fcn",
    "exact_kernels_on_data",
    "result_rows",
]

_SQRT2 = math.sqrt(2.0)


def architecture_dict(name: str, ansatz: str | list[float] = "paper") -> dict:
    """The plain-dict description of an E3 architecture name.

    ``1hl-relu`` and ``4hl-relu`` use sigma_w = sqrt 2, sigma_b = 0.1 on the
    hidden layers; ``1hl-ansatz`` uses phi~ with sigma_w = 1, sigma_b = 0.
    ``ansatz`` is ``"paper"`` or the seven parameters alpha..eta.
    """
    from revntk_core.kernels import PAPER_ANSATZ, Ansatz, Relu

    if name == "1hl-relu":
        return {
            "depth": 1,
            "activation": Relu().to_dict(),
            "W_std": _SQRT2,
            "b_std": 0.1,
        }
    if name == "4hl-relu":
        return {
            "depth": 4,
            "activation": Relu().to_dict(),
            "W_std": _SQRT2,
            "b_std": 0.1,
        }
    if name == "1hl-ansatz":
        phi = PAPER_ANSATZ if ansatz == "paper" else Ansatz(*map(float, ansatz))
        return {"depth": 1, "activation": phi.to_dict(), "W_std": 1.0, "b_std": 0.0}
    raise ValueError(
        f"`architecture` {name!r} is not one of 1hl-relu, 4hl-relu, 1hl-ansatz"
    )


def build_fcn(arch: dict, *, d_in: int, d_out: int, width: int):
    """The ``revntk_core.engine.FCN`` of an architecture dict at one width."""
    from revntk_core.engine import FCN
    from revntk_core.kernels import activation_from_dict

    return FCN(
        d_in=d_in,
        widths=(width,) * int(arch["depth"]),
        d_out=d_out,
        activation=activation_from_dict(arch["activation"]),
        W_std=float(arch["W_std"]),
        b_std=float(arch["b_std"]),
    )


def exact_kernels_on_data(arch: dict, x1, x2):
    """Infinite-width (NNGP, NTK) Gram matrices ``(n1, n2)`` on data.

    One hidden layer: exact for any input norms (``kernels_1hl``). Deeper
    nets: through the cosines with ``revntk_core.design.fcn_kernels``, which
    is exact only when every input has radius sqrt(d_in) (uniform radius);
    callers must not use it for other inputs.
    """
    import numpy as np

    from revntk_core.design import fcn_kernels
    from revntk_core.kernels import activation_from_dict, kernels_1hl

    x1 = np.asarray(x1, dtype=np.float64)
    x2 = np.asarray(x2, dtype=np.float64)
    activation = activation_from_dict(arch["activation"])
    scales = {"W_std": float(arch["W_std"]), "b_std": float(arch["b_std"])}
    if int(arch["depth"]) == 1:
        return kernels_1hl(activation, x1, x2, **scales)
    n1 = np.linalg.norm(x1, axis=1, keepdims=True)
    n2 = np.linalg.norm(x2, axis=1, keepdims=True)
    c = np.clip((x1 / n1) @ (x2 / n2).T, -1.0, 1.0)
    return fcn_kernels(c, depth=int(arch["depth"]), activation=activation, **scales)


def result_rows(
    result: Any,
    keys: dict[str, Any],
    *,
    seeds: list[int],
    stop_epoch: int,
    curves: bool,
) -> dict[str, list[dict]]:
    """``curves`` and ``metrics`` rows of a ``TrainResult``, one per seed.

    A diverged seed keeps its row: status ``"diverged"``, the epoch it
    diverged at, and null metrics where they are not finite. After an early
    stop the curve repeats the frozen net's metrics (``epochs_run`` says when).
    """
    metrics, curve_rows = [], []
    for i, seed in enumerate(seeds):
        status = str(result.status[i])
        div = result.diverged_epoch[i]
        div = None if div is None or int(div) < 0 else int(div)
        row = {
            **keys,
            "seed": int(seed),
            "stop_epoch": int(stop_epoch),
            "epochs_run": int(result.epochs_run[i]),
            "diverged_epoch": div,
            "train_mse": finite_or_none(result.final_train_mse[i]),
            "test_mse": finite_or_none(result.final_test_mse[i]),
            "train_acc": finite_or_none(result.final_train_accuracy[i]),
            "test_acc": finite_or_none(result.final_test_accuracy[i]),
            "status": status,
        }
        metrics.append(row)
        if not curves:
            continue
        for j, epoch in enumerate(result.record_epochs):
            values = {
                "train_mse": finite_or_none(result.train_mse[i, j]),
                "test_mse": finite_or_none(result.test_mse[i, j]),
                "train_acc": finite_or_none(result.train_accuracy[i, j]),
                "test_acc": finite_or_none(result.test_accuracy[i, j]),
            }
            ok = all(v is not None for v in values.values())
            curve_rows.append(
                {
                    **keys,
                    "seed": int(seed),
                    "epoch": int(epoch),
                    **values,
                    "status": "ok" if ok else "diverged",
                }
            )
    return {"metrics": metrics, "curves": curve_rows}
