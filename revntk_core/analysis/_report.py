"""Everything a report shows, in memory: tables, figures, summaries, gaps.

:func:`report_contents` turns whatever results exist into rendered tables,
figures and summaries, plus a list of what is missing. Writing them to disk
(and linking them to their runs) is the caller's job.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
from matplotlib.figure import Figure

from revntk_core.analysis._fig_kernels import figure_kernel_mimicry
from revntk_core.analysis._fig_mimic import figures_mimic_training
from revntk_core.analysis._fig_parity import figure_parity
from revntk_core.analysis._frames import EXPERIMENTS, ResultTables, status_counts
from revntk_core.analysis._legends import legend_line
from revntk_core.analysis._summaries import SUMMARIZERS, Summary
from revntk_core.analysis._tables import (
    ansatz_parameter_table,
    parity_display,
    parity_table,
    to_csv,
    to_latex,
    to_markdown,
)


@dataclasses.dataclass(frozen=True)
class TableArtifact:
    """A rendered table.

    Attributes:
      name: file stem, e.g. ``"table1_parity"``.
      experiments: experiments whose rows it shows.
      caption: one-paragraph caption.
      data: the numeric table (what the CSV holds).
      markdown, latex, csv: the renderings.
    """

    name: str
    experiments: tuple[str, ...]
    caption: str
    data: pd.DataFrame
    markdown: str
    latex: str
    csv: str


@dataclasses.dataclass(frozen=True)
class FigureArtifact:
    """A figure with its caption and the experiments behind it."""

    name: str
    experiments: tuple[str, ...]
    caption: str
    figure: Figure


@dataclasses.dataclass(frozen=True)
class ReportContents:
    """The whole report in memory.

    Attributes:
      tables, figures: what could be built from the results.
      summaries: one :class:`Summary` per experiment with results.
      status: rows per experiment, table and status (diverged and failed
        rows counted, never dropped).
      missing: what is absent, one sentence each.
    """

    tables: tuple[TableArtifact, ...]
    figures: tuple[FigureArtifact, ...]
    summaries: tuple[Summary, ...]
    status: pd.DataFrame
    missing: tuple[str, ...]


TABLE1_CAPTION = (
    "Table 1 (E4). Test MSE and test accuracy on 11-bit parity (half the "
    "boolean cube trains, half tests), mean +- std (population) over trials, "
    "per architecture; trials that diverged are counted and left out of the "
    "means. Two reference rows, neither a limit on what a trained net can "
    "reach: chance always predicts 0 (MSE 1, accuracy 50%); ideal odd kernel "
    "is the paper's reference for a kernel predictor that knows only that "
    "the target is an odd function, f(-x) = -f(x) (true of parity on 11 "
    "bits): it predicts minus the label of the antipode -x when -x is in the "
    "training set and 0 otherwise, so it is exact on the about half of the "
    "test points whose antipode trains (MSE 0.5, accuracy 75%, a 0 counted "
    "as a coin flip)."
)

ANSATZ_TABLE_CAPTION = (
    "E2 ansatz parameters. phi~(z) = alpha ReLU(z - beta) + gamma cos(delta z "
    "+ epsilon) + zeta z + eta: the parameters fitted here beside the paper's "
    "published ones."
)


def _table1(tables: ResultTables) -> TableArtifact:
    table = parity_table(tables.metrics)
    display = parity_display(table)
    return TableArtifact(
        name="table1_parity",
        experiments=("parity",),
        caption=TABLE1_CAPTION,
        data=table,
        markdown=to_markdown(display),
        latex=to_latex(display, caption=TABLE1_CAPTION, label="tab:parity"),
        csv=to_csv(table),
    )


ANSATZ_DIGITS = 6  # the paper prints its parameters to 4 decimals (11.8106)


def _table_artifact(
    name: str,
    experiment: str,
    caption: str,
    data: pd.DataFrame,
    *,
    float_digits: int = 4,
) -> TableArtifact:
    return TableArtifact(
        name=name,
        experiments=(experiment,),
        caption=caption,
        data=data,
        markdown=to_markdown(data, float_digits=float_digits),
        latex=to_latex(data, caption=caption, float_digits=float_digits),
        csv=to_csv(data),
    )


def report_contents(tables: ResultTables) -> ReportContents:
    """Builds every table, figure and summary the results allow.

    Never raises for missing experiments or empty tables: a figure whose data
    is absent is still drawn with "no results" panels when some of its
    experiments exist, and left out (and listed in ``missing``) when none do.

    Args:
      tables: all result tables.

    Returns:
      The report's contents.
    """
    present = set(tables.experiments())
    missing = [
        f"{label} ({name}): no results in any table"
        for name, label in EXPERIMENTS.items()
        if name not in present
    ]
    summaries = []
    for name, summarize in SUMMARIZERS.items():
        if name in present:
            summary = summarize(tables)
            summaries.append(summary)
            missing.extend(summary.missing)
    failures = tables.failures
    if not failures.empty:
        missing.append(f"{len(failures)} task(s) failed; see the failures table")
    built_tables = [_table1(tables)]
    figures = []
    if "kernel_mimicry" in present:
        fig = figure_kernel_mimicry(tables)
        figures.append(
            FigureArtifact(
                "figure1_kernel_mimicry", ("kernel_mimicry",), fig.caption, fig.figure
            )
        )
    for key, fig in figures_mimic_training(tables).items():
        figures.append(
            FigureArtifact(
                f"figure2_{_slug(key)}",
                ("ansatz", "mimic_training"),
                fig.caption,
                fig.figure,
            )
        )
    if "parity" in present:
        fig = figure_parity(tables)
        figures.append(
            FigureArtifact("figure3_parity", ("parity",), fig.caption, fig.figure)
        )
    if "ansatz" in present:
        params = ansatz_parameter_table(tables.experiment("ansatz").designs)
        if not params.empty:
            built_tables.append(
                _table_artifact(
                    "ansatz_parameters",
                    "ansatz",
                    ANSATZ_TABLE_CAPTION,
                    params,
                    float_digits=ANSATZ_DIGITS,
                )
            )
    for summary in summaries:
        if summary.table.empty:
            continue
        caption = f"Summary numbers of {EXPERIMENTS.get(summary.experiment, '')} "
        caption += f"({summary.experiment})."
        legend = legend_line(summary.experiment, summary.table.columns)
        caption += f" {legend}" if legend else ""
        built_tables.append(
            _table_artifact(
                f"summary_{summary.experiment}",
                summary.experiment,
                caption,
                summary.table,
            )
        )
    return ReportContents(
        tables=tuple(built_tables),
        figures=tuple(figures),
        summaries=tuple(summaries),
        status=status_counts(tables),
        missing=tuple(missing),
    )


def _slug(text: str) -> str:
    keep = [ch if ch.isalnum() or ch in "-_." else "-" for ch in str(text)]
    return "".join(keep).strip("-") or "figure"
