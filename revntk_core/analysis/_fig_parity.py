"""Figure 3 (E4): the parity nets' NTKs and the sine NTK's odd coefficients."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch

from revntk_core.analysis._fig_kernels import C_TICKS, CaptionedFigure
from revntk_core.analysis._frames import ResultTables
from revntk_core.analysis._kernels import kernel_curves
from revntk_core.analysis._style import (
    arch_color,
    arch_label,
    legend,
    line_with_band,
    mark_missing,
    new_figure,
)
from revntk_core.analysis._summaries import parity_design

_LINESTYLES = ("-", "--", "-.", ":")  # curves that coincide stay visible
_ODD_COLOR = "#d62728"
_EVEN_COLOR = "#7f7f7f"


def figure_parity(
    tables: ResultTables, *, design_target: str | None = None
) -> CaptionedFigure:
    """Figure 3: the E4 NTKs against c, and the power series of one of them.

    (a) Every kernel curve of the E4 ``kernels`` rows against c, coloured by
    architecture (normalised by K(1) so that nets of different output scale
    share an axis; the unnormalised values are in the summary). (b) The
    power-series coefficients a_k of the 0.5 sin(6z) net's NTK (the design
    row chosen by :func:`parity_design`, or ``design_target``): odd k in red,
    even k in grey; for a sine all even a_k vanish.

    Args:
      tables: result tables (filtered to ``parity`` here).
      design_target: the ``target`` of the design row to show in (b).

    Returns:
      The figure and its caption.
    """
    tables = tables.experiment("parity")
    fig, axes = new_figure(1, 2, panel_size=(4.6, 3.6))
    ax_k, ax_a = axes[0]
    kernels = tables.kernels
    if "kind" in kernels.columns and (kernels["kind"] == "ntk").any():
        kernels = kernels[kernels["kind"] == "ntk"]
    curves = kernel_curves(kernels)
    for index, curve in enumerate(curves):
        first = curve.iloc[0]
        arch = first["architecture"]
        name = str(arch) if arch is not None and not _isnan(arch) else ""
        name = name or str(first["target"])
        values = curve["value"].to_numpy(float)
        at_one = values[np.argmax(curve["c"].to_numpy(float))]
        scale = at_one if np.isfinite(at_one) and at_one != 0 else 1.0
        std = curve["std"].to_numpy(float) / abs(scale)
        label = arch_label(name)
        if first["source"] not in ("exact", "target"):
            label += f" ({first['source']})"
        line_with_band(
            ax_k,
            curve["c"].to_numpy(float),
            values / scale,
            std if first["source"] == "empirical" else None,
            color=arch_color(name),
            label=label,
            linewidth=2.4 if index % 2 else 1.4,
            linestyle=_LINESTYLES[index % len(_LINESTYLES)],
        )
    if curves:
        ax_k.set_xlabel("c")
        ax_k.set_ylabel("NTK K(c) / K(1)")
        ax_k.set_xlim(-1.0, 1.0)
        ax_k.set_xticks(C_TICKS)
        ax_k.axhline(0.0, color="#999999", linewidth=0.6)
        legend(ax_k, loc="best")
    else:
        mark_missing(ax_k, "E4 kernels")
    ax_k.set_title("parity nets' NTKs")

    design = parity_design(tables.designs, design_target)
    if design is None:
        mark_missing(ax_a, "E4 design coefficients")
        ax_a.set_title("NTK power series")
    else:
        a = np.asarray(design["fit_coeffs"], float)
        k = np.arange(a.size)
        colors = [_ODD_COLOR if j % 2 else _EVEN_COLOR for j in k]
        ax_a.bar(k, a, color=colors, width=0.8)
        ax_a.set_xlabel("power k")
        ax_a.set_ylabel(r"coefficient $a_k$")
        ax_a.set_title(f"NTK power series: {arch_label(str(design.get('target')))}")
        ax_a.legend(
            handles=[
                Patch(color=_ODD_COLOR, label="odd k"),
                Patch(color=_EVEN_COLOR, label="even k"),
            ],
            frameon=False,
            fontsize=8,
        )
    caption = (
        "Figure 3 (E4). (a) The NTKs of the parity nets against the cosine c "
        "between inputs, each divided by its value at c = 1 (so the NTKs of "
        "A sin(6z) for different amplitudes A coincide: they differ only by "
        "the factor A^2). (b) The power-"
        "series coefficients a_k of the 0.5 sin(6z) net's NTK, K(c) = sum_k "
        "a_k c^k, odd k in red: a sine's NTK has only odd powers, and for "
        "sin(6z) SPEC eq. 21 puts their peak near k = 6^2 = 36."
    )
    return CaptionedFigure(fig, caption)


def _isnan(value) -> bool:
    return isinstance(value, float) and np.isnan(value)
