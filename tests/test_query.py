"""Tests of `revntk query`: filters and group-bys against pandas computations."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
import typer
from typer.testing import CliRunner

from jobs._cli_query import query
from revntk_core.analysis import aggregate, filter_rows, numeric_columns

# Same numbers reduced by the same pandas code path or a CSV round trip at
# 17 significant digits: equal to the last ulp or two.
RTOL = 1e-12


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("query")(query)
    app.command("noop")(lambda: None)  # two commands: `query` stays a subcommand
    return app


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 24
    return pd.DataFrame(
        {
            "architecture": rng.choice(["1hl-relu", "4hl-relu"], n),
            "width": rng.choice([8, 32], n),
            "seed": np.arange(n) % 3,
            "test_mse": np.where(np.arange(n) == 5, np.nan, rng.uniform(0, 1, n)),
            "status": np.where(np.arange(n) == 5, "diverged", "ok"),
        }
    )


def test_filter_rows_matches_pandas_isin():
    frame = _frame()
    got = filter_rows(frame, {"width": [8], "seed": [0, 2], "status": None})
    expected = frame[frame["width"].isin([8]) & frame["seed"].isin([0, 2])]
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True))
    with pytest.raises(ValueError, match="cannot filter on `depth`"):
        filter_rows(frame, {"depth": [4]})


def test_aggregate_matches_pandas_groupby_and_skips_nulls():
    frame = _frame()
    got = aggregate(frame, ["architecture", "width"], ["test_mse"])
    grouped = frame.groupby(["architecture", "width"])["test_mse"]
    np.testing.assert_allclose(got["test_mse_mean"], grouped.mean(), rtol=RTOL)
    np.testing.assert_allclose(got["test_mse_std"], grouped.std(ddof=0), rtol=RTOL)
    np.testing.assert_array_equal(got["test_mse_count"], grouped.count())
    assert got["test_mse_count"].sum() == len(frame) - 1  # the diverged null
    whole = aggregate(frame, [], ["test_mse"], ["max"])
    assert whole["test_mse_max"].iloc[0] == frame["test_mse"].max()
    with pytest.raises(ValueError, match="`stats` must be among"):
        aggregate(frame, [], ["test_mse"], ["variance"])
    with pytest.raises(ValueError, match="`architecture`: it is not numeric"):
        aggregate(frame, [], ["architecture"])


def test_numeric_columns_leave_out_text_and_dates():
    frame = _frame().assign(
        finished_at=pd.Timestamp("2026-01-01", tz="UTC"),
        as_objects=pd.Series([1.5] * 24, dtype=object),
    )
    assert numeric_columns(frame) == ["as_objects", "seed", "test_mse", "width"]


@pytest.fixture()
def small_results(tmp_path):
    """A results folder with one hive-partitioned metrics table and no failures."""
    frame = _frame().assign(experiment="parity", epoch=np.arange(24) % 2 * 10)
    ds.write_dataset(
        pa.Table.from_pandas(frame),
        tmp_path / "metrics",
        format="parquet",
        partitioning=ds.partitioning(
            pa.schema([("experiment", pa.string())]), flavor="hive"
        ),
    )
    return tmp_path


def _invoke(results, *args: str):
    return CliRunner().invoke(_app(), ["query", "--results", str(results), *args])


def test_query_misuse_gets_a_named_error(small_results):
    outcome = _invoke(small_results, "--agg", "architecture")
    assert outcome.exit_code == 2
    assert "'architecture' is not numeric" in outcome.output
    assert "numeric columns are epoch, seed, test_mse, width" in outcome.output
    outcome = _invoke(small_results, "--experiment", "nosuch")
    assert outcome.exit_code == 2
    assert "'nosuch'" in outcome.output
    assert "experiments present: parity" in outcome.output
    outcome = _invoke(small_results, "--agg", "test_mse", "--stat", "mode")
    assert outcome.exit_code == 2 and "`--stat` must be one of" in outcome.output
    outcome = _invoke(small_results.parent / "nowhere")
    assert outcome.exit_code == 2 and "does not exist" in outcome.output


def test_query_failures_table_absent_means_no_failed_tasks(small_results):
    outcome = _invoke(small_results, "--table", "failures")
    assert outcome.exit_code == 0
    assert outcome.output.strip() == "no failed tasks"


def test_query_epoch_with_no_rows_names_the_epochs_that_exist(small_results):
    outcome = _invoke(small_results, "--experiment", "parity", "--epoch", "7")
    assert outcome.exit_code == 0
    assert "(no rows)" in outcome.output
    assert "no row at --epoch 7" in outcome.output
    assert "epochs 0, 10" in outcome.output


def test_query_errors_name_the_problem(tmp_path):
    runner = CliRunner()
    outcome = runner.invoke(
        _app(), ["query", "--results", str(tmp_path), "--table", "nope"]
    )
    assert outcome.exit_code == 2 and "`--table` must be one of" in outcome.output
    outcome = runner.invoke(_app(), ["query", "--results", str(tmp_path)])
    assert outcome.exit_code == 2 and "no table 'metrics'" in outcome.output


@pytest.fixture(scope="session")
def smoke_metrics(smoke_results):
    root = smoke_results()
    frame = ds.dataset(root / "metrics", partitioning="hive").to_table().to_pandas()
    frame["experiment"] = frame["experiment"].astype(str)
    return root, frame


def _read_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


@pytest.mark.slow
def test_query_group_by_matches_pandas_on_smoke_results(smoke_metrics, tmp_path):
    root, frame = smoke_metrics
    out = tmp_path / "by_arch.csv"
    args = ["query", "--results", str(root), "--experiment", "parity"]
    args += ["--group-by", "architecture", "--agg", "test_mse", "--agg", "test_acc"]
    outcome = CliRunner().invoke(_app(), [*args, "--output", str(out)])
    assert outcome.exit_code == 0, outcome.output
    got = pd.read_csv(out).set_index("architecture")
    parity = frame[frame["experiment"] == "parity"]
    grouped = parity.groupby("architecture")
    for column in ("test_mse", "test_acc"):
        np.testing.assert_allclose(
            got[f"{column}_mean"], grouped[column].mean(), rtol=RTOL
        )
        np.testing.assert_allclose(
            got[f"{column}_std"], grouped[column].std(ddof=0), rtol=RTOL, atol=1e-15
        )
        np.testing.assert_array_equal(got[f"{column}_count"], grouped[column].count())


@pytest.mark.slow
def test_query_filters_match_pandas_and_write_parquet(smoke_metrics, tmp_path):
    root, frame = smoke_metrics
    first = frame[frame["status"] == "ok"].dropna(subset=["width"]).iloc[0]
    arch, width = first["architecture"], int(first["width"])
    out = tmp_path / "rows.parquet"
    args = ["query", "--results", str(root), "--architecture", arch]
    args += ["--width", str(width), "--status", "ok", "--output", str(out)]
    outcome = CliRunner().invoke(_app(), args)
    assert outcome.exit_code == 0, outcome.output
    got = pd.read_parquet(out)
    expected = frame[
        (frame["architecture"] == arch)
        & (frame["width"] == width)
        & (frame["status"] == "ok")
    ]
    assert len(got) == len(expected) > 0
    assert sorted(got["task_id"]) == sorted(expected["task_id"])


@pytest.mark.slow
def test_query_sql_agrees_with_pandas(smoke_metrics):
    pytest.importorskip("duckdb")
    root, frame = smoke_metrics
    sql = (
        "SELECT architecture, avg(test_mse) AS mean_mse, count(*) AS n "
        "FROM metrics WHERE experiment = 'parity' GROUP BY 1 ORDER BY 1"
    )
    outcome = CliRunner().invoke(
        _app(), ["query", "--results", str(root), "--sql", sql]
    )
    assert outcome.exit_code == 0, outcome.output
    parity = frame[frame["experiment"] == "parity"]
    expected = parity.groupby("architecture")["test_mse"].agg(["mean", "size"])
    for arch, row in expected.iterrows():
        line = next(ln for ln in outcome.output.splitlines() if arch in ln.split())
        mean, n = line.split()[1:3]
        np.testing.assert_allclose(float(mean), row["mean"], rtol=1e-5)
        assert int(n) == row["size"]


@pytest.mark.slow
def test_query_prints_rows_with_a_limit(smoke_metrics):
    root, frame = smoke_metrics
    outcome = CliRunner().invoke(
        _app(),
        ["query", "--results", str(root), "--column", "architecture", "--limit", "2"],
    )
    assert outcome.exit_code == 0, outcome.output
    assert f"({len(frame)} rows; first 2 shown" in outcome.output
