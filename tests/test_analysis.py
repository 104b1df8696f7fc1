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
        for name, group in part.groupby("target"):
            ref = target.loc[name]["value"]
            diff = group.set_index("point")["value"] - ref
            expected = float(np.abs(diff.dropna()).max())
            got = numbers[f"max_abs_{source}_minus_target"][name]
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
