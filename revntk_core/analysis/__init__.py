"""Tables, figures and summary numbers from in-memory result tables.

Takes the result tables (pandas DataFrames or pyarrow Tables, as read from a
results directory by ``jobs``) and returns DataFrames, JSON-ready dicts and
matplotlib Figures (Agg backend). Nothing here reads or writes files.

Example:
  >>> import pandas as pd
  >>> from revntk_core.analysis import parity_table
  >>> parity_table(pd.DataFrame())[["architecture", "test_mse_mean"]]
         architecture  test_mse_mean
  0            chance            1.0
  1  ideal odd kernel            0.5
"""

from revntk_core.analysis._activations import ansatz, design_activation, hermite_series
from revntk_core.analysis._fig_kernels import CaptionedFigure, figure_kernel_mimicry
from revntk_core.analysis._fig_mimic import figures_mimic_training
from revntk_core.analysis._fig_parity import figure_parity
from revntk_core.analysis._frames import (
    EXPERIMENTS,
    TABLE_NAMES,
    ResultTables,
    as_frame,
    status_counts,
)
from revntk_core.analysis._kernels import kernel_curves, kernel_errors
from revntk_core.analysis._query import (
    AGG_STATS,
    aggregate,
    filter_rows,
    numeric_columns,
)
from revntk_core.analysis._report import (
    FigureArtifact,
    ReportContents,
    TableArtifact,
    report_contents,
)
from revntk_core.analysis._style import ARCH_COLORS, arch_color, arch_label
from revntk_core.analysis._summaries import (
    SUMMARIZERS,
    Summary,
    coefficient_numbers,
    jsonable,
    parity_design,
    summarize_ansatz,
    summarize_kernel_mimicry,
    summarize_mimic_training,
    summarize_parity,
)
from revntk_core.analysis._tables import (
    REFERENCE_ROWS,
    mean_std,
    parity_display,
    parity_table,
    to_csv,
    to_latex,
    to_markdown,
)
from revntk_core.analysis._training import (
    METRIC_COLUMNS,
    curve_gap,
    curve_stats,
    final_epoch_stats,
    sweep_stats,
)

__all__ = [
    "AGG_STATS",
    "ARCH_COLORS",
    "EXPERIMENTS",
    "METRIC_COLUMNS",
    "REFERENCE_ROWS",
    "SUMMARIZERS",
    "TABLE_NAMES",
    "CaptionedFigure",
    "FigureArtifact",
    "ReportContents",
    "ResultTables",
    "Summary",
    "TableArtifact",
    "aggregate",
    "ansatz",
    "arch_color",
    "arch_label",
    "as_frame",
    "coefficient_numbers",
    "curve_gap",
    "curve_stats",
    "design_activation",
    "figure_kernel_mimicry",
    "figure_parity",
    "figures_mimic_training",
    "filter_rows",
    "final_epoch_stats",
    "hermite_series",
    "jsonable",
    "kernel_curves",
    "kernel_errors",
    "mean_std",
    "numeric_columns",
    "parity_design",
    "parity_display",
    "parity_table",
    "report_contents",
    "status_counts",
    "summarize_ansatz",
    "summarize_kernel_mimicry",
    "summarize_mimic_training",
    "summarize_parity",
    "sweep_stats",
    "to_csv",
    "to_latex",
    "to_markdown",
]
