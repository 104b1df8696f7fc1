"""One look for every figure: colours per architecture, labels, line styles.

The same architecture has the same colour in every figure of a report, so a
reader who learnt "red is the shallow phi~ net" in Figure 2 can read Figure 3
without the legend. Architectures not listed in :data:`ARCH_COLORS` get a
colour from a fixed fallback palette, chosen from the name alone (stable
across figures and runs, never dependent on plotting order).
"""

from __future__ import annotations

import hashlib
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: figures are only ever saved to files

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

ARCH_COLORS: dict[str, str] = {
    "1hl-relu": "#1f77b4",  # blue
    "4hl-relu": "#222222",  # near black: the deep reference net
    "1hl-ansatz": "#d62728",  # red: the designed shallow net
    "1hl-ansatz-fit": "#d62728",  # the designed phi~ in E2's kernel rows
    "1hl-ansatz-paper": "#ff7f0e",  # orange: the paper's published phi~
    "4hl-erf": "#8c564b",
    "1hl": "#2ca02c",
    "1hl-10sin6z": "#9467bd",  # purple
    "1hl-0.5sin6z": "#17becf",  # cyan
}
"""Colours of the architectures the paper's experiments use."""

_FALLBACK = (
    "#9467bd",
    "#17becf",
    "#bcbd22",
    "#e377c2",
    "#7f7f7f",
    "#2ca02c",
    "#8c564b",
    "#ff7f0e",
    "#1f77b4",
)

ARCH_LABELS: dict[str, str] = {
    "1hl-relu": "1HL ReLU",
    "4hl-relu": "4HL ReLU",
    "1hl-ansatz": r"1HL $\tilde\phi$",
    "1hl-ansatz-fit": r"1HL $\tilde\phi$ (fitted)",
    "1hl-ansatz-paper": r"1HL $\tilde\phi$ (paper)",
    "4hl-erf": "4HL erf",
    "1hl": "1HL",
    "1hl-10sin6z": "1HL 10 sin(6z)",
    "1hl-0.5sin6z": "1HL 0.5 sin(6z)",
}
"""Legend labels of known architectures; others are shown as written."""

SOURCE_STYLES: dict[str, dict[str, Any]] = {
    "target": {"color": "black", "linestyle": "-", "linewidth": 2.0},
    "fit": {"color": "#7f7f7f", "linestyle": "--", "linewidth": 1.5},
    "exact": {"color": "#1f77b4", "linestyle": ":", "linewidth": 2.0},
    "empirical": {"color": "#d62728", "linestyle": "-", "linewidth": 1.2},
}
"""Line styles of the kernel sources of the ``kernels`` table."""

SOURCE_LABELS: dict[str, str] = {
    "target": "target",
    "fit": "PSD fit",
    "exact": "exact 1HL NTK",
    "empirical": "empirical 1HL NTK",
}

FONT_SIZE = 10  # points; keeps labels readable at the 150 dpi of a report PNG


def arch_color(name: str) -> str:
    """The colour of architecture ``name`` (stable for unknown names too)."""
    if name in ARCH_COLORS:
        return ARCH_COLORS[name]
    digest = hashlib.sha1(str(name).encode()).digest()
    return _FALLBACK[digest[0] % len(_FALLBACK)]


def arch_label(name: str) -> str:
    """The legend label of architecture ``name``."""
    return ARCH_LABELS.get(name, str(name))


def new_figure(
    nrows: int, ncols: int, *, panel_size: tuple[float, float] = (3.6, 3.0)
) -> tuple[Figure, np.ndarray]:
    """A figure of ``nrows x ncols`` panels in the house style.

    The figure is created without pyplot's global figure manager, so building
    many figures never accumulates open figures or needs ``plt.close``.
    """
    with plt.rc_context(_RC):
        fig = Figure(
            figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
            layout="constrained",
        )
        axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat:
        style_axes(ax)
    return fig, axes


_RC = {
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 1,
    "axes.labelsize": FONT_SIZE,
    "legend.fontsize": FONT_SIZE - 2,
    "xtick.labelsize": FONT_SIZE - 1,
    "ytick.labelsize": FONT_SIZE - 1,
}


def style_axes(ax: Axes) -> None:
    """Light grid and house font sizes on one panel."""
    ax.grid(True, alpha=0.3, linewidth=0.6)
    ax.tick_params(labelsize=FONT_SIZE - 1)
    ax.title.set_fontsize(FONT_SIZE + 1)
    ax.xaxis.label.set_fontsize(FONT_SIZE)
    ax.yaxis.label.set_fontsize(FONT_SIZE)


def mark_missing(ax: Axes, what: str) -> None:
    """Writes "``what``: no results" in an empty panel instead of leaving it blank."""
    ax.text(
        0.5,
        0.5,
        f"{what}:\nno results",
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontsize=FONT_SIZE,
        color="#7f7f7f",
    )
    ax.set_xticks([])
    ax.set_yticks([])


def line_with_band(
    ax: Axes,
    x: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray | None,
    *,
    color: str,
    label: str,
    **line: Any,
) -> None:
    """Plots ``mean`` against ``x`` with a shaded band of +-1 ``std``."""
    x, mean = np.asarray(x, float), np.asarray(mean, float)
    ax.plot(x, mean, color=color, label=label, **line)
    if std is not None:
        std = np.nan_to_num(np.asarray(std, float), nan=0.0)
        if np.any(std > 0):
            ax.fill_between(
                x, mean - std, mean + std, color=color, alpha=0.2, linewidth=0
            )


def plain_log_axis(ax: Axes, which: str) -> None:
    """A log scale on ``which`` ("x" or "y") with plain tick labels (0.3, 2000).

    Decades (1, 10, 100) are always labelled. Minor ticks are labelled when a
    decade or less is shown, or when fewer than two decades are in view: the
    2, 3 and 5 multiples first, all of them (thinned to at most
    :data:`MAX_MINOR_LABELS`) when that still leaves fewer than two labels.
    So an axis always shows at least two numbers and a long one is not
    cluttered.
    """
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(_MinorLogFormatter(axis))


MAX_MINOR_LABELS = 6  # more numbers than this crowd a 3-inch panel's axis


class _MinorLogFormatter(ticker.Formatter):
    """Labels the minor ticks of a log axis chosen by :func:`plain_log_axis`."""

    def __init__(self, axis: Any) -> None:
        self._axis = axis
        self._labelled: list[float] = []

    def set_locs(self, locs: Any) -> None:
        super().set_locs(locs)
        low, high = sorted(self._axis.get_view_interval())
        if low <= 0:
            self._labelled = []
            return
        visible = [float(v) for v in locs if low <= v <= high and v > 0]
        majors = [v for v in self._axis.get_majorticklocs() if low <= v <= high]
        preferred = [v for v in visible if _leading_digit(v) in (2, 3, 5)]
        if len(majors) >= 2 and np.log10(high / low) > 1.2:
            chosen = []
        elif len(majors) + len(preferred) >= 2:
            chosen = preferred
        else:
            step = -(-len(visible) // MAX_MINOR_LABELS)  # ceiling division
            chosen = visible[::step]
        self._labelled = chosen

    def __call__(self, x: float, pos: int | None = None) -> str:
        if any(np.isclose(x, v, rtol=1e-9, atol=0) for v in self._labelled):
            return f"{x:g}"
        return ""


def _leading_digit(value: float) -> int:
    return int(round(value / 10 ** np.floor(np.log10(value))))


def legend(ax: Axes, **kwargs: Any) -> None:
    """A legend only when the panel has labelled artists."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        kwargs.setdefault("fontsize", FONT_SIZE - 2)
        ax.legend(handles, labels, frameon=False, **kwargs)
