"""What each column of the summary tables means, in one line per summary.

A report prints these under each summary table, so a reader meets every
column name (``gap_test_mse_to_4hl``, ``k_at_c_min``...) with its definition.
"""

from __future__ import annotations

from collections.abc import Iterable

SUMMARY_LEGENDS: dict[str, dict[str, str]] = {
    "kernel_mimicry": {
        "source": "the kernel compared with the target: fit (its PSD "
        "polynomial fit), exact (infinite-width 1HL NTK of the designed "
        "activation) or empirical (NTK of finite 1HL nets, mean over nets)",
        "kind": "ntk or nngp",
        "width": "hidden width of the finite nets (empty: infinite width)",
        "n_nets": "nets averaged",
        "max_abs_error": "max over c of |K(c) - K_target(c)|",
        "rms_error": "root mean square over c of K(c) - K_target(c)",
    },
    "ansatz": {
        "curve": "architecture and source of the compared 1HL NTK",
        "max_abs_error": "max over c of |K(c) - K_target(c)|",
        "rms_error": "root mean square over c of K(c) - K_target(c)",
    },
    "mimic_training": {
        "final_test_mse": "seed-mean test MSE at the last recorded epoch",
        "final_test_acc": "seed-mean test accuracy at the last recorded epoch",
        "gap_test_mse_to_4hl": "mean over the epochs both record of |seed-mean "
        "test MSE of this architecture - that of the 4HL ReLU net| (empty for "
        "the 4HL ReLU net itself; smaller = tracks the deep net more closely)",
    },
    "parity": {
        "kernel": "the kernel curve: net, kind (ntk or nngp) and source",
        "c_min": "smallest cosine c of the curve",
        "k_at_c_min": "K at c_min",
        "c_max": "largest cosine c of the curve",
        "k_at_c_max": "K at c_max (an odd kernel has K(-1) = -K(1))",
    },
}
"""``{experiment: {column: definition}}`` of the summary tables' columns."""


def legend_line(experiment: str, columns: Iterable[str]) -> str:
    """``"Columns: name = definition; ..."`` for the defined ``columns``.

    Columns without a definition (``target``, ``dataset``...) are left out;
    an empty string when none is defined.
    """
    known = SUMMARY_LEGENDS.get(experiment, {})
    parts = [f"{c} = {known[c]}" for c in columns if c in known]
    return ("Columns: " + "; ".join(parts) + ".") if parts else ""
