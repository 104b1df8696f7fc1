"""Figure 2 (E2 + E3): a shallow phi~ net that mimics and trains like a deep net."""

from __future__ import annotations

import numpy as np

from revntk_core.analysis._activations import design_activation, relu
from revntk_core.analysis._fig_kernels import (
    C_TICKS,
    Z_RANGE,
    CaptionedFigure,
    plot_kernel_curve,
)
from revntk_core.analysis._frames import ResultTables, select
from revntk_core.analysis._kernels import kernel_curves
from revntk_core.analysis._style import (
    arch_color,
    arch_label,
    legend,
    line_with_band,
    mark_missing,
    new_figure,
    plain_log_axis,
)
from revntk_core.analysis._training import (
    DEEP_ARCH,
    architectures,
    curve_stats,
    sweep_stats,
    variants,
)

_CURVE_PANELS = (
    ("train_mse", "train MSE"),
    ("test_mse", "test MSE"),
    ("train_acc", "train accuracy"),
    ("test_acc", "test accuracy"),
)
_SWEEP_PANELS = (("test_mse", "final test MSE"), ("test_acc", "final test accuracy"))

ANSATZ_ONLY = "ansatz-only"
"""Figure key used when E2 results exist but no E3 variant does."""


_METHOD_STYLE = {
    "ansatz": ("1hl-ansatz", r"$\tilde\phi$ (fitted here)"),
    "paper": ("1hl-ansatz-paper", r"$\tilde\phi$ (paper)"),
}


def _plot_design_panels(ax_phi, ax_ntk, ansatz: ResultTables) -> None:
    z = np.linspace(*Z_RANGE, 401)
    ax_phi.plot(z, relu(z), color="#1f77b4", label="ReLU", linewidth=1.4)
    drawn = 0
    for row in ansatz.designs.to_dict("records"):
        values = design_activation(row, z)
        if values is None:
            continue
        method = str(row.get("method"))
        arch, label = _METHOD_STYLE.get(method, (method, method))
        ax_phi.plot(z, values, color=arch_color(arch), label=label, linewidth=1.4)
        drawn += 1
    ax_phi.set_xlabel("z")
    ax_phi.set_ylabel(r"$\phi(z)$")
    ax_phi.set_title(r"$\tilde\phi$ and ReLU")
    legend(ax_phi, loc="upper left")
    if drawn == 0:
        ax_phi.text(0.5, 0.1, "no E2 designs", transform=ax_phi.transAxes, ha="center")
    curves = kernel_curves(ansatz.kernels)
    for curve in curves:
        first = curve.iloc[0]
        if first["source"] == "target":
            color, label, style = "black", f"target: {first['target']}", "-"
        else:
            color = arch_color(str(first["architecture"]))
            label = f"{arch_label(str(first['architecture']))}, {first['source']}"
            style = "--"
        plot_kernel_curve(
            ax_ntk, curve, color=color, label=label, linestyle=style, linewidth=1.5
        )
    if not curves:
        mark_missing(ax_ntk, "E2 kernels")
    else:
        ax_ntk.set_xlabel("c")
        ax_ntk.set_ylabel("NTK K(c)")
        ax_ntk.set_xlim(-1.0, 1.0)
        ax_ntk.set_xticks(C_TICKS)
        legend(ax_ntk, loc="upper left")
    ax_ntk.set_title(r"1HL $\tilde\phi$ NTK vs 4HL ReLU NTK")


def _plot_curves(axes, stats, regression) -> None:
    archs = architectures(stats)
    for ax, (metric, title) in zip(axes, _CURVE_PANELS, strict=False):
        ax.set_title(title)
        mean_col = f"{metric}_mean"
        if stats.empty or mean_col not in stats.columns:
            mark_missing(ax, "learning curves")
            continue
        for arch in archs:
            part = select(stats, architecture=arch).sort_values("epoch")
            part = part[part["epoch"] > 0]  # a log axis has no epoch 0
            line_with_band(
                ax,
                part["epoch"].to_numpy(float),
                part[mean_col].to_numpy(float),
                part[f"{metric}_std"].to_numpy(float),
                color=arch_color(arch),
                label=arch_label(arch),
                linewidth=1.5,
            )
            kernel = select(regression, architecture=arch).sort_values("epoch")
            kernel = kernel[kernel["epoch"] > 0]
            if mean_col in kernel.columns and kernel[mean_col].notna().any():
                ax.plot(
                    kernel["epoch"].to_numpy(float),
                    kernel[mean_col].to_numpy(float),
                    color=arch_color(arch),
                    linestyle="--",
                    linewidth=1.0,
                    label=f"{arch_label(arch)}, NTK regression",
                )
        plain_log_axis(ax, "x")
        ax.set_xlabel("epoch")
        ax.set_ylabel(title)
        if metric.endswith("mse"):
            plain_log_axis(ax, "y")
    legend(axes[0], loc="best")


def _plot_sweep(axes, sweep) -> None:
    archs = architectures(sweep)
    for ax, (metric, title) in zip(axes, _SWEEP_PANELS, strict=False):
        ax.set_title(f"{title} vs size")
        mean_col = f"{metric}_mean"
        if sweep.empty or mean_col not in sweep.columns:
            mark_missing(ax, "width sweep")
            continue
        for arch in archs:
            part = select(sweep, architecture=arch).dropna(subset=["n_params"])
            part = part.sort_values("n_params")
            ax.errorbar(
                part["n_params"].to_numpy(float),
                part[mean_col].to_numpy(float),
                yerr=np.nan_to_num(part[f"{metric}_std"].to_numpy(float)),
                color=arch_color(arch),
                label=arch_label(arch),
                marker="o",
                markersize=4,
                capsize=2,
                linewidth=1.2,
            )
        plain_log_axis(ax, "x")
        ax.set_xlabel("trainable parameters")
        ax.set_ylabel(title)
    legend(axes[0], loc="best")


def regression_note(regression, normalisation: str) -> str:
    """The caption's sentence on the dashed NTK-regression curves.

    Names the architectures that have them. The 4HL ReLU NTK is computed by
    its deep recursion, which needs every input on one sphere, so its
    regression exists for uniform-radius inputs only; a 'mean' figure says
    so instead of leaving the curve's absence unexplained.
    """
    have = []
    if not regression.empty and "test_mse_mean" in regression.columns:
        have = architectures(regression.dropna(subset=["test_mse_mean"]))
    names = ", ".join(arch_label(a).replace(r"$\tilde\phi$", "phi~") for a in have)
    if names:
        note = (
            "dashed: NTK kernel regression at the same time (infinite width), "
            f"for {names}."
        )
    else:
        note = "no NTK kernel-regression curves in these results."
    if normalisation == "mean" and DEEP_ARCH not in have:
        note += (
            " The 4HL ReLU NTK regression is computed only for uniform-radius "
            "inputs (its deep recursion needs all inputs on one sphere), so "
            "this mean-radius figure has none."
        )
    return note


def figures_mimic_training(tables: ResultTables) -> dict[str, CaptionedFigure]:
    """Figure 2, once per (dataset, normalisation) of the E3 results.

    Panels: (a) the designed phi~ (E2 designs) beside ReLU; (b) its 1HL NTK
    against the 4HL ReLU NTK (E2 kernels); (c-f) train/test MSE and accuracy
    against epoch (log axis) for each architecture, mean over seeds with a
    +-1 std band; (g-h) final test MSE and accuracy of the width sweep
    against trainable parameter count (error bars: std over seeds).

    Args:
      tables: result tables (E2 and E3 rows are picked out here).

    Returns:
      ``{"<dataset>-<normalisation>": figure}``; a single
      :data:`ANSATZ_ONLY` figure when E2 has results but E3 has none; empty
      when neither has any.
    """
    ansatz = tables.experiment("ansatz")
    mimic = tables.experiment("mimic_training")
    stats = curve_stats(mimic.curves)
    regression = curve_stats(mimic.curves, model="ntk-regression")
    sweep = sweep_stats(mimic.metrics)
    keys = variants(mimic.curves, mimic.metrics)
    if not keys:
        if ansatz.is_empty():
            return {}
        keys = [(ANSATZ_ONLY, "")]
    out = {}
    for dataset, norm in keys:
        fig, axes = new_figure(2, 4)
        flat = list(axes.flat)
        _plot_design_panels(flat[0], flat[1], ansatz)
        here = select(stats, dataset=dataset, normalisation=norm)
        kernel_here = select(regression, dataset=dataset, normalisation=norm)
        _plot_curves([flat[2], flat[3], flat[4], flat[5]], here, kernel_here)
        _plot_sweep(
            [flat[6], flat[7]], select(sweep, dataset=dataset, normalisation=norm)
        )
        name = ANSATZ_ONLY if dataset == ANSATZ_ONLY else f"{dataset}-{norm}"
        if dataset != ANSATZ_ONLY:
            fig.suptitle(f"{dataset}, normalisation: {norm}")
        seeds = int(here["seeds"].max()) if not here.empty else 0
        caption = (
            f"Figure 2 (E2+E3), {dataset}, normalisation {norm!s}. (a) The "
            "designed activation phi~ beside ReLU. (b) The 1HL NTK of phi~ "
            "(dashed) against the 4HL ReLU NTK it mimics (black). (c-f) Train "
            "and test MSE and accuracy against epoch (log axis, epochs >= 1) "
            f"for the three architectures; lines: mean over {seeds} seeds, "
            f"bands: +-1 std; {regression_note(kernel_here, norm)} (g-h) "
            "Final test MSE and "
            "accuracy of the width sweep against trainable parameter count "
            "(bars: +-1 std over seeds)."
        )
        if dataset == ANSATZ_ONLY:
            caption = (
                "Figure 2 (E2 only; no E3 results). (a) phi~ beside ReLU. (b) Its "
                "1HL NTK against the 4HL ReLU NTK."
            )
        out[name] = CaptionedFigure(fig, caption)
    return out
