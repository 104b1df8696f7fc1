"""Table 1 (parity, E4) and plain-text renderers: Markdown, LaTeX, CSV.

pandas' own ``to_markdown``/``to_latex`` need optional packages (tabulate,
jinja2); these renderers need none and escape what each format needs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from revntk_core.analysis._frames import (
    STATUS_DIVERGED,
    STATUS_FAILED,
    STATUS_OK,
    TableLike,
    as_frame,
    select,
)
from revntk_core.analysis._style import arch_label

REFERENCE_ROWS: tuple[tuple[str, float, float], ...] = (
    ("chance", 1.0, 50.0),
    ("ideal odd kernel", 0.5, 75.0),
)
"""(name, test MSE, test accuracy in %) of Table 1's reference rows.

"chance" always predicts 0 on +-1 labels (MSE 1; accuracy 50%, a 0 counted as
a coin flip). "ideal odd kernel" is the paper's reference for a predictor that
uses only the fact that the target is odd, f(-x) = -f(x): on a test point x it
predicts minus the label of the antipode -x when -x is in the training set and
0 otherwise. About half the antipodes train, so MSE 0.5 and accuracy 75%.
Neither row bounds what a trained net can reach.
"""

ANSATZ_PARAMETER_NAMES = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta")
"""Names of the 7 parameters of the ansatz phi~ (SPEC eq. 19), in order."""

ANSATZ_METHOD_LABELS = {"ansatz": "fitted here", "paper": "paper"}
"""Column names of :func:`ansatz_parameter_table` per design ``method``."""

TABLE1_COLUMNS = (
    "architecture",
    "label",
    "test_mse_mean",
    "test_mse_std",
    "test_acc_mean",
    "test_acc_std",
    "trials",
    "ok",
    "diverged",
    "failed",
    "reference",
)

STD_DDOF = 0
"""Degrees of freedom of every std in tables and summaries: the population std
over trials (numpy's default), as the paper's plotting code used."""


def mean_std(values: Any) -> tuple[float, float, int]:
    """(mean, population std, count) of the finite entries of ``values``.

    Null metrics (a diverged run's) are left out of the mean and counted
    separately by the callers; all-null input gives ``(nan, nan, 0)``.
    """
    array = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), float)
    array = array[np.isfinite(array)]
    if array.size == 0:
        return math.nan, math.nan, 0
    return float(array.mean()), float(array.std(ddof=STD_DDOF)), int(array.size)


def parity_table(metrics: TableLike | None) -> pd.DataFrame:
    """Table 1: test MSE and accuracy on parity, mean +- std over trials.

    One row per architecture of the E4 ``metrics`` rows (filtered to
    ``experiment == "parity"`` when that column exists, and to ``model ==
    "net"`` when the rows name a model), then the two reference rows of
    :data:`REFERENCE_ROWS` with their exact values. Accuracies are in percent.
    Diverged and failed trials are counted in ``diverged``/``failed``; their
    null metrics are left out of the means, never replaced by a number.

    Args:
      metrics: the ``metrics`` table (DataFrame or pyarrow Table) or ``None``.

    Returns:
      A DataFrame with columns :data:`TABLE1_COLUMNS`; only the reference
      rows when there are no parity results.
    """
    frame = as_frame(metrics)
    if "experiment" in frame.columns:
        frame = select(frame, experiment="parity")
    if "model" in frame.columns and (frame["model"] == "net").any():
        frame = select(frame, model="net")
    rows = []
    if not frame.empty and "architecture" in frame.columns:
        for arch in sorted(frame["architecture"].dropna().unique()):
            group = frame[frame["architecture"] == arch]
            status = group.get("status", pd.Series(STATUS_OK, index=group.index))
            mse = mean_std(group.get("test_mse", []))
            acc = mean_std(100.0 * pd.to_numeric(group.get("test_acc", [])))
            rows.append(
                {
                    "architecture": arch,
                    "label": arch_label(arch),
                    "test_mse_mean": mse[0],
                    "test_mse_std": mse[1],
                    "test_acc_mean": acc[0],
                    "test_acc_std": acc[1],
                    "trials": len(group),
                    "ok": int((status == STATUS_OK).sum()),
                    "diverged": int((status == STATUS_DIVERGED).sum()),
                    "failed": int((status == STATUS_FAILED).sum()),
                    "reference": False,
                }
            )
    for name, mse_value, acc_value in REFERENCE_ROWS:
        rows.append(
            {
                "architecture": name,
                "label": name,
                "test_mse_mean": mse_value,
                "test_mse_std": math.nan,
                "test_acc_mean": acc_value,
                "test_acc_std": math.nan,
                "trials": 0,
                "ok": 0,
                "diverged": 0,
                "failed": 0,
                "reference": True,
            }
        )
    out = pd.DataFrame(rows, columns=list(TABLE1_COLUMNS))
    for column in ("trials", "ok", "diverged", "failed"):
        out[column] = out[column].astype("int64")
    return out


def ansatz_parameters(params: Any) -> dict[str, float] | None:
    """``{alpha: ..., ..., eta: ...}`` of 7 ansatz parameters (else ``None``)."""
    if params is None or isinstance(params, float | str):
        return None
    values = np.asarray(params, float).ravel()
    if values.size != len(ANSATZ_PARAMETER_NAMES):
        return None
    return {n: float(v) for n, v in zip(ANSATZ_PARAMETER_NAMES, values, strict=True)}


def ansatz_parameter_table(designs: TableLike | None) -> pd.DataFrame:
    """The ansatz parameters of each E2 design, side by side.

    One row per parameter (alpha..eta), one column per design row with 7
    ansatz parameters, named by :data:`ANSATZ_METHOD_LABELS` (``fitted
    here``, ``paper``) or by the row's method. Empty when no design has them.
    """
    frame = as_frame(designs)
    columns: dict[str, list[float]] = {}
    for row in frame.to_dict("records"):
        params = ansatz_parameters(row.get("ansatz"))
        if params is None:
            continue
        method = str(row.get("method"))
        name = ANSATZ_METHOD_LABELS.get(method, method)
        while name in columns:
            name += "'"
        columns[name] = list(params.values())
    if not columns:
        return pd.DataFrame(columns=["parameter"])
    return pd.DataFrame({"parameter": list(ANSATZ_PARAMETER_NAMES), **columns})


def _pm(mean: float, std: float, digits: int, suffix: str = "") -> str:
    if not math.isfinite(mean):
        return "n/a"
    if not math.isfinite(std):
        return f"{mean:.{digits}f}{suffix}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}{suffix}"


def parity_display(table: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as strings, ready for Markdown or LaTeX.

    Measured rows read ``mean ± std``; reference rows print their exact values
    (``1``, ``50%``, ``0.5``, ``75%``) with no spurious decimals.
    """
    rows = []
    for row in table.itertuples(index=False):
        if row.reference:
            mse, acc, trials = f"{row.test_mse_mean:g}", f"{row.test_acc_mean:g}%", ""
        else:
            mse = _pm(row.test_mse_mean, row.test_mse_std, 3)
            acc = _pm(row.test_acc_mean, row.test_acc_std, 1, "%")
            trials = f"{row.trials} ({row.ok} ok"
            trials += f", {row.diverged} diverged" if row.diverged else ""
            trials += f", {row.failed} failed" if row.failed else ""
            trials += ")"
        rows.append([row.label, mse, acc, trials])
    return pd.DataFrame(
        rows, columns=["Architecture", "Test MSE", "Test accuracy", "Trials"]
    )


def _cell(value: Any, float_digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            return "" if math.isnan(value) else str(value)
        return f"{value:.{float_digits}g}"
    return str(value)


def to_markdown(frame: pd.DataFrame, *, float_digits: int = 4) -> str:
    """``frame`` as a GitHub Markdown table (pipes in cells escaped)."""
    header = [str(c) for c in frame.columns]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in frame.itertuples(index=False):
        cells = [_cell(v, float_digits).replace("|", r"\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_LATEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "±": r"$\pm$",
}


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (``±`` as ``$\\pm$``)."""
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)


def to_latex(
    frame: pd.DataFrame,
    *,
    caption: str = "",
    label: str = "",
    float_digits: int = 4,
) -> str:
    """``frame`` as a booktabs ``table`` environment.

    The output needs ``\\usepackage{booktabs}`` in the LaTeX preamble.
    """
    align = "l" + "r" * (len(frame.columns) - 1)
    lines = [r"\begin{table}[t]", r"\centering"]
    if caption:
        lines.append(r"\caption{" + latex_escape(caption) + "}")
    if label:
        lines.append(r"\label{" + label + "}")
    lines += [
        r"\begin{tabular}{" + align + "}",
        r"\toprule",
        " & ".join(latex_escape(str(c)) for c in frame.columns) + r" \\",
        r"\midrule",
    ]
    for row in frame.itertuples(index=False):
        cells = [latex_escape(_cell(v, float_digits)) for v in row]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def to_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text with full float precision and no index."""
    return frame.to_csv(index=False, float_format="%.17g")
