"""Figure 1 (E1): target kernels against the 1HL NTKs built to mimic them."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from revntk_core.analysis._activations import design_activation
from revntk_core.analysis._frames import ResultTables, ordered_unique
from revntk_core.analysis._kernels import SOURCE_ORDER, kernel_curves
from revntk_core.analysis._style import (
    SOURCE_LABELS,
    SOURCE_STYLES,
    legend,
    line_with_band,
    mark_missing,
    new_figure,
)

Z_RANGE = (-3.0, 3.0)  # pre-activations: +-3 standard deviations of N(0, 1)
_Z_POINTS = 401
_PANEL_COLUMNS = 4
C_TICKS = (-1.0, -0.5, 0.0, 0.5, 1.0)  # five labels stay legible on a small panel
_EMPIRICAL_REDS = ("#a50f15", "#ef3b2c", "#fc9272", "#fcbba1")  # wide to narrow
_EMPIRICAL_DASHES = ("-", "-.", ":", ":")


class CaptionedFigure(NamedTuple):
    """A figure with the caption a report prints under it."""

    figure: Figure
    caption: str


def plot_kernel_curve(ax, curve, *, color: str, label: str, **line: Any) -> None:
    """Plots one curve of ``kernel_curves``: K(c), +-1 std band if empirical."""
    empirical = curve["source"].iloc[0] == "empirical"
    line_with_band(
        ax,
        curve["c"].to_numpy(float),
        curve["value"].to_numpy(float),
        curve["std"].to_numpy(float) if empirical else None,
        color=color,
        label=label,
        **line,
    )


def plot_activations(ax, designs, *, title: str = "designed activations") -> int:
    """phi(z) of every design row on one panel; returns how many were drawn."""
    z = np.linspace(*Z_RANGE, _Z_POINTS)
    drawn = 0
    for row in designs.to_dict("records"):
        values = design_activation(row, z)
        if values is None:
            continue
        label = str(row.get("target"))
        method = row.get("method")
        if method not in (None, "hermite") and not isinstance(method, float):
            label += f" ({method})"
        ax.plot(z, values, linewidth=1.4, label=label)
        drawn += 1
    ax.set_xlabel("z")
    ax.set_ylabel(r"$\phi(z)$")
    ax.set_title(title)
    ax.axhline(0.0, color="#999999", linewidth=0.6)
    return drawn


def _curve_order(curve) -> tuple[int, float]:
    source = curve["source"].iloc[0]
    rank = SOURCE_ORDER.index(source) if source in SOURCE_ORDER else len(SOURCE_ORDER)
    width = _finite_width(curve)
    return rank, math.inf if width is None else width


def _finite_width(curve) -> int | None:
    width = pd.to_numeric(curve["width"], errors="coerce").iloc[0]
    return None if pd.isna(width) else int(width)


def empirical_widths(curves) -> list[int]:
    """The finite widths of the empirical curves, ascending."""
    return sorted(
        {
            w
            for c in curves
            if c["source"].iloc[0] == "empirical"
            and (w := _finite_width(c)) is not None
        }
    )


def empirical_style(width: int, widths: list[int]) -> tuple[str, dict[str, Any]]:
    """Colour and line style of the empirical curve of ``width``.

    The widest nets get the darkest red and a solid line; narrower ones get
    lighter reds and dash-dotted, then dotted lines, so two widths stay
    apart on paper in colour and in grey scale.
    """
    rank = len(widths) - 1 - widths.index(width)  # 0 for the widest
    shade = _EMPIRICAL_REDS[min(rank, len(_EMPIRICAL_REDS) - 1)]
    dashes = _EMPIRICAL_DASHES[min(rank, len(_EMPIRICAL_DASHES) - 1)]
    return shade, {"linestyle": dashes}


def empirical_label(curve) -> str:
    """Legend label of an empirical curve: width and number of nets."""
    width = _finite_width(curve)
    nets = pd.to_numeric(curve["n_nets"], errors="coerce").max()
    label = "empirical" if width is None else f"empirical, width {width}"
    if not pd.isna(nets):
        label += f" ({int(nets)} net{'s' if nets != 1 else ''})"
    return label


def figure_kernel_mimicry(tables: ResultTables) -> CaptionedFigure:
    """Figure 1: every E1 target kernel, its PSD fit, and the 1HL NTKs.

    One panel per target (in order of first appearance in the ``kernels``
    table): the target (black), its degree-n PSD polynomial fit (grey
    dashed), the exact infinite-width 1HL NTK of the designed activation
    (blue dotted) and the empirical NTK of finite 1HL nets (reds, one shade
    and line style per width, labelled with width and number of nets; band
    +-1 std over nets), all against c. A last panel shows the designed activations
    phi(z). Missing pieces are marked in their panels, not skipped.

    Args:
      tables: result tables (filtered to ``kernel_mimicry`` here).

    Returns:
      The figure and its caption.
    """
    tables = tables.experiment("kernel_mimicry")
    curves = kernel_curves(tables.kernels)
    targets = ordered_unique(
        tables.kernels["target"] if "target" in tables.kernels else []
    )
    if not targets and "target" in tables.designs:
        targets = ordered_unique(tables.designs["target"])
    panels = max(len(targets), 1) + 1
    columns = min(panels, _PANEL_COLUMNS)
    fig, axes = new_figure(math.ceil(panels / columns), columns)
    flat = list(axes.flat)
    widths = empirical_widths(curves)
    for ax, target in zip(flat, targets, strict=False):
        mine = [c for c in curves if c["target"].iloc[0] == target]
        mine.sort(key=_curve_order)
        for curve in mine:
            source = curve["source"].iloc[0]
            style = dict(SOURCE_STYLES.get(source, {"linestyle": "-"}))
            color = style.pop("color", "#9467bd")
            label = SOURCE_LABELS.get(source, str(source))
            width = _finite_width(curve)
            if source == "empirical" and width is not None:
                color, line = empirical_style(width, widths)
                style.update(line)
                label = empirical_label(curve)
            plot_kernel_curve(ax, curve, color=color, label=label, **style)
        if not mine:
            mark_missing(ax, f"{target} kernels")
        ax.set_title(str(target))
        ax.set_xlabel("c")
        ax.set_ylabel("K(c)")
        ax.set_xlim(-1.0, 1.0)
        ax.set_xticks(C_TICKS)
    if not targets:
        mark_missing(flat[0], "E1 kernels")
    act_ax = flat[max(len(targets), 1)]
    if plot_activations(act_ax, tables.designs) == 0:
        mark_missing(act_ax, "E1 designs")
    else:
        legend(act_ax, loc="best", fontsize=7)
    for ax in flat[max(len(targets), 1) + 1 :]:
        ax.set_visible(False)
    legend(flat[0], loc="best")
    if len(widths) > 1:
        width_note = (
            f" of width {', '.join(str(w) for w in widths)} (red, darker and "
            "more solid for wider nets"
        )
    elif widths:
        width_note = f" of width {widths[0]} (red"
    else:
        width_note = " (red"
    caption = (
        "Figure 1 (E1). Each panel: a target kernel K(c) (black), its PSD "
        "polynomial fit (grey dashed), the exact infinite-width NTK of the "
        "1HL net with the designed activation (blue dotted) and the empirical "
        f"NTK of finite 1HL nets{width_note}; band: +-1 std over nets), "
        "against the cosine c between inputs. Last panel: the designed "
        "activations phi(z)."
    )
    return CaptionedFigure(fig, caption)
