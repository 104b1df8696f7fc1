"""Summary numbers beside each figure: what a reader or a test can check.

Each ``summarize_*`` function reduces one experiment's tables to a
:class:`Summary`: a JSON-ready dict of named numbers and a small table. They
never raise on missing data; an experiment with no rows gives a summary whose
``missing`` list says what was absent.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from revntk_core.analysis._frames import ResultTables, select, status_counts
from revntk_core.analysis._kernels import errors_by_target, kernel_errors, sort_errors
from revntk_core.analysis._tables import ansatz_parameters, parity_table
from revntk_core.analysis._training import (
    ANSATZ_ARCH,
    DEEP_ARCH,
    SHALLOW_ARCH,
    curve_gap,
    curve_stats,
    final_epoch_stats,
    sweep_stats,
    variants,
)


@dataclasses.dataclass(frozen=True)
class Summary:
    """Named numbers of one experiment.

    Attributes:
      experiment: the experiment name (e.g. ``"parity"``).
      numbers: JSON-ready nested dict (NaN written as ``None``).
      table: the same numbers as a small DataFrame for a report page.
      missing: human-readable notes on what was absent.
    """

    experiment: str
    numbers: dict[str, Any]
    table: pd.DataFrame
    missing: tuple[str, ...] = ()

    def to_json(self) -> str:
        """The summary (numbers, row counts and missing notes) as JSON text."""
        payload = {
            "experiment": self.experiment,
            **self.numbers,
            "missing": list(self.missing),
        }
        return json.dumps(jsonable(payload), indent=2, sort_keys=False) + "\n"


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers and NaN/inf as ``None``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _rows(tables: ResultTables) -> dict[str, dict[str, int]]:
    counts = status_counts(tables)
    out: dict[str, dict[str, int]] = {}
    for row in counts.itertuples(index=False):
        out.setdefault(row.table, {})[row.status] = int(row.rows)
    return out


def summarize_kernel_mimicry(tables: ResultTables) -> Summary:
    """E1: each target kernel against its fit, exact and empirical 1HL NTKs.

    Numbers: ``max_abs_empirical_minus_target`` (per target and width,
    ``{target: {"<width>": max over c of |empirical - target|}}``),
    ``max_abs_fit_minus_target`` and ``max_abs_exact_minus_target`` (per
    target, ``{target: value}``), ``max_abs_empirical_minus_exact``
    (finite-width deviation from the designed net's own infinite-width
    kernel, per target and width), ``max_std_empirical`` (largest std over
    nets, per target and width), and ``rows`` (row counts per table and
    status). The table is sorted by target, source (fit, exact, empirical)
    and width.
    """
    tables = tables.experiment("kernel_mimicry")
    errors = sort_errors(kernel_errors(tables.kernels))
    kernels = tables.kernels
    versus_exact = pd.DataFrame(columns=errors.columns)
    if not kernels.empty and "source" in kernels.columns:
        pair = kernels[kernels["source"].isin(["exact", "empirical"])].copy()
        pair["source"] = pair["source"].replace({"exact": "target"})
        versus_exact = kernel_errors(pair)
    empirical = errors[errors["source"] == "empirical"]
    numbers = {
        "targets": sorted(str(t) for t in errors["target"].unique()),
        "max_abs_empirical_minus_target": errors_by_target(errors, "empirical"),
        "max_abs_fit_minus_target": errors_by_target(errors, "fit"),
        "max_abs_exact_minus_target": errors_by_target(errors, "exact"),
        "max_abs_empirical_minus_exact": errors_by_target(versus_exact, "empirical"),
        "max_std_empirical": errors_by_target(errors, "empirical", "max_std"),
        "rows": _rows(tables),
    }
    missing = []
    if tables.kernels.empty:
        missing.append("kernel_mimicry: no kernels rows")
    if tables.designs.empty:
        missing.append("kernel_mimicry: no designs rows")
    without = sorted(
        set(errors["target"]) - set(empirical["target"]) if not errors.empty else []
    )
    if without:
        missing.append(
            "kernel_mimicry: no empirical kernel for "
            + ", ".join(str(t) for t in without)
        )
    table = errors[
        ["target", "source", "kind", "width", "n_nets", "max_abs_error", "rms_error"]
    ]
    return Summary("kernel_mimicry", numbers, table, tuple(missing))


_DESIGN_COLUMNS = ("max_error", "rms_error", "objective", "n_evals", "seconds")


def summarize_ansatz(tables: ResultTables) -> Summary:
    """E2: the designed phi~ and the paper's phi~ against the 4HL ReLU NTK.

    Numbers: ``designs`` (per method, e.g. ``ansatz`` and ``paper``: the
    design's own ``max_error``/``rms_error`` against the target, optimiser
    cost, the 7 ansatz parameters as a list ``ansatz`` and by name,
    ``parameters`` = {alpha: ..., ..., eta: ...}) and ``kernel_max_abs_error`` (per
    compared curve of the ``kernels`` table, max over c of |K - K_target|,
    computed here from the rows).
    """
    tables = tables.experiment("ansatz")
    designs = tables.designs
    by_method: dict[str, Any] = {}
    for row in designs.to_dict("records"):
        entry = {c: row.get(c) for c in _DESIGN_COLUMNS}
        params = row.get("ansatz")
        entry["ansatz"] = list(params) if params is not None else None
        entry["parameters"] = ansatz_parameters(params)
        entry["status"] = row.get("status")
        by_method[str(row.get("method"))] = entry
    errors = kernel_errors(tables.kernels)
    labels = [f"{r.architecture} {r.source}" for r in errors.itertuples(index=False)]
    numbers = {
        "designs": by_method,
        "kernel_max_abs_error": dict(zip(labels, errors["max_abs_error"], strict=True)),
        "kernel_rms_error": dict(zip(labels, errors["rms_error"], strict=True)),
        "rows": _rows(tables),
    }
    missing = []
    if designs.empty:
        missing.append("ansatz: no designs rows")
    if tables.kernels.empty:
        missing.append("ansatz: no kernels rows")
    table = pd.DataFrame(
        {
            "curve": labels,
            "target": errors["target"],
            "max_abs_error": errors["max_abs_error"],
            "rms_error": errors["rms_error"],
        }
    )
    return Summary("ansatz", numbers, table, tuple(missing))


def summarize_mimic_training(tables: ResultTables) -> Summary:
    """E3: how closely the shallow phi~ net tracks the 4HL ReLU net.

    Numbers, per ``"<dataset>/<normalisation>"``: ``gap_test_mse`` and
    ``gap_test_acc`` (mean over shared epochs of |seed-mean metric of the
    architecture - that of 4HL ReLU|, for ``1hl-ansatz`` and, as the yardstick,
    ``1hl-relu``); ``final`` (seed mean/std of test MSE and accuracy at the
    last recorded epoch per architecture); ``sweep_best_test_acc`` (per
    architecture, the best seed-mean test accuracy of the sweep and its
    parameter count); ``diverged`` (diverged curve rows).
    """
    tables = tables.experiment("mimic_training")
    stats = curve_stats(tables.curves)
    sweep = sweep_stats(tables.metrics)
    final = final_epoch_stats(stats)
    per_variant: dict[str, Any] = {}
    table_rows = []
    for dataset, norm in variants(tables.curves, tables.metrics):
        key = f"{dataset}/{norm}"
        entry: dict[str, Any] = {"gap_test_mse": {}, "gap_test_acc": {}}
        for arch in (ANSATZ_ARCH, SHALLOW_ARCH):
            for metric in ("test_mse", "test_acc"):
                gap = curve_gap(
                    stats,
                    arch,
                    DEEP_ARCH,
                    metric=metric,
                    dataset=dataset,
                    normalisation=norm,
                )
                entry[f"gap_{metric}"][arch] = gap["mean_abs"]
        here = select(final, dataset=dataset, normalisation=norm)
        entry["final"] = {
            str(r["architecture"]): {
                "epoch": r["epoch"],
                "test_mse_mean": r.get("test_mse_mean"),
                "test_mse_std": r.get("test_mse_std"),
                "test_acc_mean": r.get("test_acc_mean"),
                "test_acc_std": r.get("test_acc_std"),
                "seeds": r["seeds"],
            }
            for r in here.to_dict("records")
        }
        best: dict[str, Any] = {}
        swept = select(sweep, dataset=dataset, normalisation=norm)
        for arch, group in swept.groupby("architecture"):
            group = group.dropna(subset=["test_acc_mean"])
            if group.empty:
                continue
            top = group.loc[group["test_acc_mean"].idxmax()]
            best[str(arch)] = {
                "test_acc_mean": top["test_acc_mean"],
                "n_params": top["n_params"],
                "width": top["width"],
            }
        entry["sweep_best_test_acc"] = best
        entry["diverged"] = int(
            select(stats, dataset=dataset, normalisation=norm)["diverged"].sum()
        )
        per_variant[key] = entry
        for arch, values in entry["final"].items():
            table_rows.append(
                {
                    "dataset": dataset,
                    "normalisation": norm,
                    "architecture": arch,
                    "final_test_mse": values["test_mse_mean"],
                    "final_test_acc": values["test_acc_mean"],
                    "gap_test_mse_to_4hl": entry["gap_test_mse"].get(arch),
                }
            )
    numbers = {"variants": per_variant, "rows": _rows(tables)}
    missing = []
    if tables.curves.empty:
        missing.append("mimic_training: no curves rows")
    if sweep.empty:
        missing.append("mimic_training: no sweep rows in metrics")
    table = pd.DataFrame(
        table_rows,
        columns=[
            "dataset",
            "normalisation",
            "architecture",
            "final_test_mse",
            "final_test_acc",
            "gap_test_mse_to_4hl",
        ],
    )
    return Summary("mimic_training", numbers, table, tuple(missing))


def parity_design(designs: pd.DataFrame, target: str | None = None) -> dict | None:
    """The design row of the 0.5 sin(6z) net among the E4 ``designs`` rows.

    Chosen as: the row whose ``target`` equals ``target`` when given; else the
    first row whose target or activation JSON mentions both ``0.5`` and
    ``sin``; else the first row with ``fit_coeffs``. ``None`` when no row
    qualifies.
    """
    if designs.empty:
        return None
    records = designs.to_dict("records")
    if target is not None:
        return next((r for r in records if r.get("target") == target), None)
    with_coeffs = [r for r in records if _has_values(r.get("fit_coeffs"))]
    for row in with_coeffs:
        text = f"{row.get('target', '')} {row.get('activation', '')}".lower()
        if "sin" in text and "0.5" in text:
            return row
    return with_coeffs[0] if with_coeffs else None


def _has_values(value: Any) -> bool:
    return value is not None and not isinstance(value, float) and len(value) > 0


def coefficient_numbers(coeffs: Any) -> dict[str, Any]:
    """Named facts about power-series coefficients a_k of a kernel.

    ``odd_fraction`` = sum of odd-k a_k over sum of |a_k| (1 for an odd kernel
    such as a sine's NTK), ``peak_k`` = argmax_k a_k (near a^2 for sin(az),
    SPEC eq. 21), ``kernel_at_1`` = sum a_k = K(1), ``min_coeff`` (>= 0 for a
    PSD kernel).
    """
    a = np.asarray(coeffs, float)
    total = float(np.abs(a).sum())
    return {
        "degree": int(a.size - 1),
        "odd_fraction": float(a[1::2].sum() / total) if total > 0 else math.nan,
        "peak_k": int(np.argmax(a)),
        "kernel_at_1": float(a.sum()),
        "min_coeff": float(a.min()),
    }


def _curve_name(parts: Any) -> str:
    """Key parts joined by spaces, nulls and repeats left out (first kept)."""
    seen: list[str] = []
    for part in parts:
        if part is None or (isinstance(part, float) and math.isnan(part)):
            continue
        if str(part) not in seen:
            seen.append(str(part))
    return " ".join(seen)


def summarize_parity(tables: ResultTables) -> Summary:
    """E4: Table 1's values, and the 0.5 sin(6z) NTK's coefficients.

    Numbers: ``table1`` (records of :func:`parity_table`), ``design`` (the
    chosen design's target and :func:`coefficient_numbers` of its
    ``fit_coeffs``), ``kernel_endpoints`` (per kernel curve, named by its
    target, kind, source and architecture with repeats left out, e.g.
    ``"1hl-0.5sin6z ntk exact"``: K at the smallest and largest c; an odd
    kernel has K(-1) = -K(1)).
    """
    tables = tables.experiment("parity")
    table = parity_table(tables.metrics)
    design = parity_design(tables.designs)
    endpoints: dict[str, Any] = {}
    kernels = tables.kernels
    if not kernels.empty and {"c", "value"} <= set(kernels.columns):
        keys = [k for k in ("target", "kind", "source", "architecture") if k in kernels]
        for key, group in kernels.groupby(keys, dropna=False, sort=False):
            group = group.sort_values("c")
            label = _curve_name(np.atleast_1d(key))
            endpoints[label] = {
                "c_min": group["c"].iloc[0],
                "k_at_c_min": group["value"].iloc[0],
                "c_max": group["c"].iloc[-1],
                "k_at_c_max": group["value"].iloc[-1],
            }
    numbers = {
        "table1": table.drop(columns=["label"]).to_dict("records"),
        "design": None
        if design is None
        else {
            "target": design.get("target"),
            **coefficient_numbers(design["fit_coeffs"]),
        },
        "kernel_endpoints": endpoints,
        "rows": _rows(tables),
    }
    missing = []
    if not (~table["reference"]).any():
        missing.append("parity: no metrics rows (Table 1 shows reference rows only)")
    if design is None:
        missing.append("parity: no design with fit_coeffs")
    if kernels.empty:
        missing.append("parity: no kernels rows")
    summary_table = pd.DataFrame(
        [{"kernel": label, **values} for label, values in endpoints.items()],
        columns=["kernel", "c_min", "k_at_c_min", "c_max", "k_at_c_max"],
    )
    return Summary("parity", numbers, summary_table, tuple(missing))


SUMMARIZERS = {
    "kernel_mimicry": summarize_kernel_mimicry,
    "ansatz": summarize_ansatz,
    "mimic_training": summarize_mimic_training,
    "parity": summarize_parity,
}
"""The summary function of each experiment."""
