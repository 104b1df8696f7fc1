"""Tests of revntk_core.analysis: tables, summaries and their building blocks.

Values are checked against independent computations: numpy/pandas reductions
of the same rows, numpy's own Hermite polynomials, closed forms.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest
from scipy.special import gammaln

from revntk_core.analysis import (
    ResultTables,
    ansatz,
    as_frame,
    coefficient_numbers,
    curve_gap,
    curve_stats,
    design_activation,
    figure_kernel_mimicry,
    hermite_series,
    kernel_errors,
    parity_display,
    parity_table,
    status_counts,
    summarize_kernel_mimicry,
    summarize_mimic_training,
    summarize_parity,
    to_latex,
    to_markdown,
)
from revntk_core.analysis._fig_mimic import regression_note
from revntk_core.analysis._legends import legend_line
from revntk_core.analysis._report import TABLE1_CAPTION
from revntk_core.analysis._style import new_figure, plain_log_axis
from revntk_core.analysis._tables import ansatz_parameter_table

# Reductions of the same float64 numbers in a different order agree to a few
# ulps; 1e-12 relative leaves room for that and nothing else.
RTOL = 1e-12


# ---------------------------------------------------------------- Table 1


def test_table1_reference_rows_are_exact_without_results():
    table = parity_table(None)
    ref = table[table["reference"]].set_index("architecture")
    assert ref.loc["chance", "test_mse_mean"] == 1.0
    assert ref.loc["chance", "test_acc_mean"] == 50.0
    assert ref.loc["ideal odd kernel", "test_mse_mean"] == 0.5
    assert ref.loc["ideal odd kernel", "test_acc_mean"] == 75.0
    shown = parity_display(table).set_index("Architecture")
    assert list(shown.loc["chance", ["Test MSE", "Test accuracy"]]) == ["1", "50%"]
    assert list(shown.loc["ideal odd kernel", ["Test MSE", "Test accuracy"]]) == [
        "0.5",
        "75%",
    ]


def test_table1_counts_diverged_trials_and_leaves_them_out_of_means():
    rng = np.random.default_rng(0)
    mse = rng.uniform(0.5, 1.0, 6)
    acc = rng.uniform(0.5, 0.8, 6)
    status = ["ok", "ok", "diverged", "ok", "ok", "ok"]
    mse[2], acc[2] = np.nan, np.nan
    frame = pd.DataFrame(
        {
            "experiment": "parity",
            "architecture": ["a"] * 3 + ["b"] * 3,
            "model": "net",
            "test_mse": mse,
            "test_acc": acc,
            "status": status,
        }
    )
    table = parity_table(frame).set_index("architecture")
    ok_a = [0, 1]
    assert table.loc["a", "trials"] == 3 and table.loc["a", "diverged"] == 1
    assert table.loc["a", "ok"] == 2
    np.testing.assert_allclose(table.loc["a", "test_mse_mean"], mse[ok_a].mean())
    np.testing.assert_allclose(table.loc["a", "test_mse_std"], mse[ok_a].std())
    np.testing.assert_allclose(
        table.loc["b", "test_acc_mean"], 100 * acc[3:].mean(), rtol=RTOL
    )
    text = to_markdown(parity_display(parity_table(frame)))
    assert "3 (2 ok, 1 diverged)" in text


def test_renderers_escape_their_special_characters():
    frame = pd.DataFrame({"name": ["a|b", "x_y & 50%"], "value": [0.5, math.nan]})
    assert r"a\|b" in to_markdown(frame)
    latex = to_latex(frame, caption="mean ± std")
    assert r"x\_y \& 50\%" in latex and r"$\pm$" in latex
    assert latex.count(r"\\") == 3  # header + two rows


def test_as_frame_rejects_other_types_and_from_tables_unknown_names():
    with pytest.raises(TypeError, match="`table` must be a pandas DataFrame"):
        as_frame([1, 2])
    with pytest.raises(ValueError, match="unknown table names"):
        ResultTables.from_tables({"metricz": pd.DataFrame()})


def test_status_counts_keep_diverged_and_failed_rows():
    metrics = pd.DataFrame(
        {"experiment": ["parity"] * 3, "status": ["ok", "diverged", "ok"]}
    )
    failures = pd.DataFrame({"experiment": ["parity"], "error": ["boom"]})
    counts = status_counts(
        ResultTables.from_tables({"metrics": metrics, "failures": failures})
    )
    got = {(r.table, r.status): r.rows for r in counts.itertuples()}
    assert got == {
        ("metrics", "ok"): 2,
        ("metrics", "diverged"): 1,
        ("failures", "failed"): 1,
    }


# ---------------------------------------------------------------- activations


def test_hermite_series_matches_numpy_probabilists_hermite():
    z = np.linspace(-4, 4, 81)
    b = np.array([0.3, -1.2, 0.5, 0.25, -0.7, 0.1])
    # h_k = He_k / sqrt(k!) (numpy's hermite_e is the unnormalised He_k).
    scaled = b / np.sqrt([math.factorial(k) for k in range(b.size)])
    expected = np.polynomial.hermite_e.hermeval(z, scaled)
    np.testing.assert_allclose(hermite_series(b, z), expected, rtol=1e-12)


def test_design_activation_falls_back_from_hermite_to_monomial_consistently():
    z = np.linspace(-3, 3, 31)
    b = np.array([0.1, 0.9, -0.4, -0.3, 0.2, 0.05])
    scaled = b / np.sqrt([math.factorial(k) for k in range(b.size)])
    monomial = np.polynomial.hermite_e.herme2poly(scaled)
    from_hermite = design_activation({"hermite_coeffs": list(b)}, z)
    from_monomial = design_activation({"monomial_coeffs": list(monomial)}, z)
    np.testing.assert_allclose(from_hermite, from_monomial, rtol=1e-10, atol=1e-12)
    assert design_activation({"activation": None}, z) is None


def test_ansatz_formula_and_validation():
    p = [3.8001, 1.06, -0.0794, 11.8106, 0.9341, 0.0968, 0.901]
    z = np.array([-1.0, 0.5, 2.0])
    expected = (
        p[0] * np.maximum(z - p[1], 0)
        + p[2] * np.cos(p[3] * z + p[4])
        + p[5] * z
        + p[6]
    )
    np.testing.assert_allclose(ansatz(p, z), expected, rtol=RTOL)
    np.testing.assert_allclose(design_activation({"ansatz": p}, z), expected)
    with pytest.raises(ValueError, match="`params` must hold the 7"):
        ansatz(p[:5], z)


# ---------------------------------------------------------------- kernels


def test_kernel_errors_against_closed_form_differences():
    c = np.cos(np.linspace(0, np.pi, 51))
    rows = []
    for source, values in (("target", c**3), ("fit", c**3 + 0.01 * c)):
        for i, ci in enumerate(c):
            rows.append(
                {
                    "target": "c^3",
                    "kind": "ntk",
                    "source": source,
                    "point": i,
                    "c": ci,
                    "value": values[i],
                }  # fmt: skip
            )
    errors = kernel_errors(pd.DataFrame(rows))
    assert len(errors) == 1
    # |fit - target| = 0.01 |c|, largest at c = +-1.
    np.testing.assert_allclose(errors["max_abs_error"].iloc[0], 0.01, rtol=1e-12)
    np.testing.assert_allclose(
        errors["rms_error"].iloc[0], 0.01 * np.sqrt(np.mean(c**2)), rtol=1e-12
    )


def test_coefficient_numbers_of_the_sine_ntk_series():
    # SPEC eq. 21 for 0.5 sin(6z): a_k = 0.25 e^{-36} 36^k / k! (1 + k), odd k.
    k = np.arange(120)
    a = np.where(
        k % 2, 0.25 * np.exp(-36 + k * np.log(36) - gammaln(k + 1)) * (1 + k), 0
    )
    facts = coefficient_numbers(a)
    assert facts["odd_fraction"] == pytest.approx(1.0, rel=1e-14)
    assert facts["peak_k"] in (35, 37)  # Poisson(36) weight times (1 + k)
    # K(1) = 0.25 e^{-36} (sinh 36 + 36 cosh 36), eq. 17 at c = 1.
    closed = 0.25 * 0.5 * (1 - np.exp(-72)) + 0.25 * 36 * 0.5 * (1 + np.exp(-72))
    np.testing.assert_allclose(facts["kernel_at_1"], closed, rtol=1e-10)


def test_curve_gap_is_the_mean_absolute_difference_over_shared_epochs():
    rows = []
    for arch, values in (("4hl-relu", [1.0, 0.5, 0.2]), ("1hl-ansatz", [0.9, 0.6])):
        for seed in range(2):
            for epoch, v in zip((1, 10, 100), values, strict=False):
                rows.append(
                    {"dataset": "d", "normalisation": "uniform", "model": "net",
                     "phase": "curve", "architecture": arch, "seed": seed,
                     "epoch": epoch, "test_mse": v + 0.1 * seed, "status": "ok"}
                )  # fmt: skip
    stats = curve_stats(pd.DataFrame(rows))
    gap = curve_gap(stats, "1hl-ansatz", "4hl-relu")
    assert gap["epochs"] == 2
    np.testing.assert_allclose(gap["mean_abs"], (0.1 + 0.1) / 2, rtol=1e-12)
    with pytest.raises(ValueError, match="`metric` must be one of"):
        curve_gap(stats, "a", "b", metric="loss")


def _e1_kernels() -> pd.DataFrame:
    """c^3 with its exact kernel and empirical kernels of widths 8 and 32.

    |empirical - target| = e |c| with e = 0.1 (width 8) and 0.01 (width 32),
    std over nets s = 0.3 and 0.03; the wider rows come first, so a summary
    keyed by target alone would keep the width-8 numbers.
    """
    c = np.cos(np.linspace(0, np.pi, 21))
    rows = []
    curves = [
        ("target", None, c**3, 0.0),
        ("exact", None, c**3, 0.0),
        ("empirical", 32, c**3 + 0.01 * c, 0.03),
        ("empirical", 8, c**3 + 0.1 * c, 0.3),
    ]
    for source, width, values, std in curves:
        for i, ci in enumerate(c):
            rows.append(
                {"experiment": "kernel_mimicry", "target": "c^3", "kind": "ntk",
                 "source": source, "architecture": None, "width": width,
                 "n_nets": 4 if width else None, "point": i, "c": ci,
                 "value": values[i], "std": std if width else None}
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_kernel_mimicry_summary_keys_empirical_numbers_by_width():
    summary = summarize_kernel_mimicry(
        ResultTables.from_tables({"kernels": _e1_kernels()})
    )
    numbers = summary.numbers
    # Closed forms of _e1_kernels: max_c e |c| = e at c = +-1.
    for key in ("max_abs_empirical_minus_target", "max_abs_empirical_minus_exact"):
        got = numbers[key]["c^3"]
        assert list(got) == ["8", "32"], key
        np.testing.assert_allclose([got["8"], got["32"]], [0.1, 0.01], rtol=1e-12)
    assert numbers["max_std_empirical"]["c^3"] == pytest.approx(
        {"8": 0.3, "32": 0.03}, rel=1e-12
    )
    assert numbers["max_abs_exact_minus_target"] == {"c^3": 0.0}
    table = summary.table
    assert list(table["source"]) == ["exact", "empirical", "empirical"]
    assert list(table["width"].iloc[1:]) == [8, 32]


def test_figure1_gives_each_empirical_width_its_own_label_and_style():
    tables = ResultTables.from_tables({"kernels": _e1_kernels()})
    fig = figure_kernel_mimicry(tables)
    ax = fig.figure.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    narrow, wide = (
        lines["empirical, width 8 (4 nets)"],
        lines["empirical, width 32 (4 nets)"],
    )
    assert narrow.get_color() != wide.get_color()
    assert narrow.get_linestyle() != wide.get_linestyle()
    _, labels = ax.get_legend_handles_labels()
    assert len(labels) == len(set(labels))
    assert "width 8, 32" in fig.caption


def _visible_tick_labels(lo: float, hi: float) -> list[str]:
    fig, axes = new_figure(1, 1)
    ax = axes[0, 0]
    ax.plot([1, 1000], [lo, hi])
    plain_log_axis(ax, "y")
    fig.canvas.draw()
    low, high = sorted(ax.get_ylim())
    out = []
    for locs, formatter in (
        (ax.yaxis.get_majorticklocs(), ax.yaxis.get_major_formatter()),
        (ax.yaxis.get_minorticklocs(), ax.yaxis.get_minor_formatter()),
    ):
        texts = formatter.format_ticks(locs)
        out += [t for v, t in zip(locs, texts, strict=True) if low <= v <= high and t]
    return out


@pytest.mark.parametrize(
    ("lo", "hi"), [(0.65, 0.95), (0.7, 0.75), (0.2, 3.0), (1e-3, 1.0), (150, 900)]
)
def test_log_axes_always_show_at_least_two_tick_labels(lo, hi):
    labels = _visible_tick_labels(lo, hi)
    assert len(labels) >= 2, labels
    assert len(labels) <= 8, labels  # at most a few numbers per axis
    for text in labels:  # plain numbers, no mathtext
        float(text)


def test_regression_note_explains_the_missing_deep_curve_for_mean_radius():
    rows = pd.DataFrame(
        {"architecture": ["1hl-relu", "1hl-ansatz"], "test_mse_mean": [0.5, 0.4]}
    )
    mean = regression_note(rows, "mean")
    assert "uniform-radius" in mean and "where recorded" not in mean
    assert "1HL ReLU" in mean
    uniform = regression_note(rows, "uniform")
    assert "uniform-radius" not in uniform


def test_table1_caption_defines_the_reference_rows_without_a_bound():
    caption = TABLE1_CAPTION.lower()
    assert "antipode" in caption and "0 otherwise" in caption
    assert "best" not in caption and "upper bound" not in caption


def test_parity_summary_names_kernels_without_repeats():
    c = np.array([-1.0, 0.0, 1.0])
    kernels = pd.DataFrame(
        {"experiment": "parity", "target": "1hl-0.5sin6z", "kind": "ntk",
         "source": "exact", "architecture": "1hl-0.5sin6z", "c": c,
         "value": 4.625 * c}
    )  # fmt: skip
    summary = summarize_parity(ResultTables.from_tables({"kernels": kernels}))
    assert list(summary.table["kernel"]) == ["1hl-0.5sin6z ntk exact"]
    assert summary.numbers["kernel_endpoints"]["1hl-0.5sin6z ntk exact"][
        "k_at_c_min"
    ] == pytest.approx(-4.625)


def test_ansatz_parameter_table_puts_fitted_beside_paper():
    designs = pd.DataFrame(
        {"method": ["ansatz", "paper", "hermite"],
         "ansatz": [list(range(7)), [3.8001, 1.06, -0.0794, 11.8106, 0.9341,
                                     0.0968, 0.9010], None]}
    )  # fmt: skip
    table = ansatz_parameter_table(designs).set_index("parameter")
    assert list(table.columns) == ["fitted here", "paper"]
    assert table.loc["delta", "paper"] == 11.8106
    assert table.loc["eta", "fitted here"] == 6.0


def test_summary_legend_defines_the_columns_it_names():
    line = legend_line("mimic_training", ["dataset", "gap_test_mse_to_4hl"])
    assert line.startswith("Columns: gap_test_mse_to_4hl = ")
    assert "dataset" not in line
    assert legend_line("mimic_training", ["dataset"]) == ""


# ---------------------------------------------------------------- smoke results


@pytest.fixture(scope="session")
def smoke_tables(smoke_results) -> tuple[ResultTables, dict[str, pd.DataFrame]]:
    """The smoke results through analysis' input type, and raw pandas copies."""
    root = smoke_results()
    raw = {}
    for name in ("kernels", "designs", "curves", "metrics", "failures"):
        path = root / name
        raw[name] = (
            ds.dataset(path, partitioning="hive").to_table().to_pandas()
            if path.is_dir()
            else pd.DataFrame()
        )
        if "experiment" in raw[name]:
            raw[name]["experiment"] = raw[name]["experiment"].astype(str)
    return ResultTables.from_tables(raw), raw


@pytest.mark.slow
def test_table1_equals_pandas_reduction_of_smoke_metrics(smoke_tables):
    tables, raw = smoke_tables
    metrics = raw["metrics"]
    parity = metrics[(metrics["experiment"] == "parity") & (metrics["model"] == "net")]
    assert not parity.empty, "the parity smoke run wrote no metrics"
    table = parity_table(tables.metrics).set_index("architecture")
    for arch, group in parity.groupby("architecture"):
        ok = group.dropna(subset=["test_mse"])
        np.testing.assert_allclose(
            table.loc[arch, "test_mse_mean"], ok["test_mse"].mean(), rtol=RTOL
        )
        np.testing.assert_allclose(
            table.loc[arch, "test_mse_std"], ok["test_mse"].std(ddof=0), atol=1e-15
        )
        np.testing.assert_allclose(
            table.loc[arch, "test_acc_mean"],
            100 * group["test_acc"].dropna().mean(),
            rtol=RTOL,
        )
        assert table.loc[arch, "trials"] == len(group)
        assert table.loc[arch, "diverged"] == (group["status"] == "diverged").sum()
    ref = table[table["reference"]]
    assert list(ref["test_mse_mean"]) == [1.0, 0.5]
    assert list(ref["test_acc_mean"]) == [50.0, 75.0]


@pytest.mark.slow
def test_kernel_mimicry_summary_equals_pointwise_maxima(smoke_tables):
    tables, raw = smoke_tables
    kernels = raw["kernels"][raw["kernels"]["experiment"] == "kernel_mimicry"]
    if kernels.empty:
        pytest.skip("the kernel_mimicry smoke run wrote no kernels")
    numbers = summarize_kernel_mimicry(tables).numbers
    target = kernels[kernels["source"] == "target"].set_index(["target", "point"])
    for source in ("fit", "exact", "empirical"):
        part = kernels[kernels["source"] == source]
        for (name, width), group in part.groupby(["target", "width"], dropna=False):
            ref = target.loc[name]["value"]
            diff = group.set_index("point")["value"] - ref
            expected = float(np.abs(diff.dropna()).max())
            got = numbers[f"max_abs_{source}_minus_target"][name]
            if source == "empirical":  # one number per width
                got = got[str(int(width))]
            np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-15)
    assert set(numbers["max_abs_fit_minus_target"]) == set(target.index.unique(0))


@pytest.mark.slow
def test_mimic_training_gap_equals_pandas_reduction(smoke_tables):
    tables, raw = smoke_tables
    curves = raw["curves"]
    nets = curves[
        (curves["experiment"] == "mimic_training")
        & (curves["model"] == "net")
        & (curves["phase"] == "curve")
    ]
    if nets.empty:
        pytest.skip("the mimic_training smoke run wrote no learning curves")
    numbers = summarize_mimic_training(tables).numbers["variants"]
    archs = sorted(nets["architecture"].unique())
    for (dataset, norm), group in nets.groupby(["dataset", "normalisation"]):
        means = group.groupby(["architecture", "epoch"])["test_mse"].mean()
        entry = numbers[f"{dataset}/{norm}"]
        for arch in ("1hl-ansatz", "1hl-relu"):
            got = entry["gap_test_mse"][arch]
            if arch not in archs or "4hl-relu" not in archs:
                assert got is None or math.isnan(got)
                continue
            diff = (means.loc[arch] - means.loc["4hl-relu"]).dropna()
            np.testing.assert_allclose(got, diff.abs().mean(), rtol=RTOL)
        last = group["epoch"].max()
        for arch, values in entry["final"].items():
            at_last = group[(group["architecture"] == arch)]
            at_last = at_last[at_last["epoch"] == at_last["epoch"].max()]
            assert at_last["epoch"].iloc[0] <= last
            np.testing.assert_allclose(
                values["test_mse_mean"], at_last["test_mse"].mean(), rtol=RTOL
            )


@pytest.mark.slow
def test_parity_summary_design_is_the_odd_sine_series(smoke_tables):
    tables, raw = smoke_tables
    summary = summarize_parity(tables)
    design = summary.numbers["design"]
    if design is None:
        pytest.skip("the parity smoke run wrote no design coefficients")
    assert "0.5" in str(design["target"])
    designs = raw["designs"]
    row = designs[designs["target"] == design["target"]].iloc[0]
    a = np.asarray(row["fit_coeffs"], float)
    np.testing.assert_allclose(design["kernel_at_1"], a.sum(), rtol=RTOL)
    # A sine's NTK has only odd powers (SPEC eq. 21): even a_k vanish up to
    # the rounding of the series computation.
    assert design["odd_fraction"] > 1 - 1e-9
