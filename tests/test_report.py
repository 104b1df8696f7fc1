"""Tests of jobs/_cli_report.py's report: files, figures, index, missing parts."""

from __future__ import annotations

import json
import re
import shutil

import matplotlib.image as mpimg
import pytest
import typer
from typer.testing import CliRunner

from jobs._cli_query import query
from jobs._cli_report import build_report, report, run_ids_text

# A figure of two or more panels at the report's 150 dpi is well over this.
MIN_PNG_WIDTH, MIN_PNG_HEIGHT = 600, 300

_EXPERIMENTS = ("kernel_mimicry", "ansatz", "mimic_training", "parity")


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("report")(report)
    app.command("query")(query)
    return app


def _links(index_text: str) -> list[str]:
    return re.findall(r"\]\(([^)]+)\)", index_text)


def test_report_on_a_results_dir_that_does_not_exist_is_an_error(tmp_path):
    out = tmp_path / "report"
    outcome = CliRunner().invoke(
        _app(), ["report", "--results", str(tmp_path / "nope"), "--out", str(out)]
    )
    assert outcome.exit_code == 2
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in outcome.output
    assert "does not exist" in lines[0] and "revntk reproduce" in lines[0]
    assert not out.exists()


def test_run_ids_text_counts_driver_reductions():
    ids = ["20261203T175202Z-a9774e", "driver-0cd2e806cdb5", "driver-1274c7d4e015"]
    assert run_ids_text(ids) == (
        "`20261203T175202Z-a9774e` and 2 driver-side reductions (run ids `driver-...`)"
    )
    assert run_ids_text(ids[:1]) == "`20261203T175202Z-a9774e`"
    assert run_ids_text([]) == "not recorded"


def test_report_on_missing_and_empty_results_lists_everything_missing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for results in (empty,):
        out = tmp_path / f"report-{results.name}"
        runner = CliRunner()
        outcome = runner.invoke(
            _app(), ["report", "--results", str(results), "--out", str(out)]
        )
        assert outcome.exit_code == 0, outcome.output
        text = (out / "index.md").read_text()
        missing = text.split("## Missing")[1].split("##")[0]
        for label, name in zip(("E1", "E2", "E3", "E4"), _EXPERIMENTS, strict=True):
            assert f"{label} ({name}): no results" in missing
        # Table 1 still exists with its two exact reference rows.
        table = (out / "tables" / "table1_parity.md").read_text()
        assert "| chance | 1 | 50% |" in table
        assert "| ideal odd kernel | 0.5 | 75% |" in table
        assert not list((out / "figures").glob("*.png"))


def test_report_notes_an_unreadable_file_and_keeps_going(tmp_path):
    results = tmp_path / "results"
    bad = results / "metrics" / "experiment=parity"
    bad.mkdir(parents=True)
    (bad / "broken.parquet").write_bytes(b"not a parquet file")
    index = build_report(results, tmp_path / "out")
    assert "unreadable file skipped" in index.read_text()


@pytest.fixture(scope="session")
def smoke_report(smoke_results, tmp_path_factory):
    results = smoke_results()
    out = tmp_path_factory.mktemp("report")
    return results, build_report(results, out)


@pytest.mark.slow
def test_report_writes_every_figure_and_table_it_links(smoke_report):
    _, index = smoke_report
    out = index.parent
    text = index.read_text()
    links = _links(text)
    assert links, "the index links nothing"
    for link in links:
        path = out / link
        assert path.is_file() and path.stat().st_size > 0, link
    pngs = sorted((out / "figures").glob("*.png"))
    names = {p.stem for p in pngs}
    assert "figure3_parity" in names
    assert any(n.startswith("figure2_") for n in names)
    assert "figure1_kernel_mimicry" in names
    for png in pngs:
        image = mpimg.imread(png)
        assert image.shape[0] >= MIN_PNG_HEIGHT and image.shape[1] >= MIN_PNG_WIDTH
        assert image.std() > 0.01, f"{png.name} is blank"
        pdf = png.with_suffix(".pdf")
        assert pdf.read_bytes()[:5] == b"%PDF-"
        assert f"figures/{png.name}" in links and f"figures/{pdf.name}" in links
    for suffix in ("md", "tex", "csv"):
        assert f"tables/table1_parity.{suffix}" in links


@pytest.mark.slow
def test_report_table1_and_summaries_from_smoke_results(smoke_report):
    _, index = smoke_report
    out = index.parent
    table = (out / "tables" / "table1_parity.md").read_text()
    assert "| chance | 1 | 50% |" in table
    assert "| ideal odd kernel | 0.5 | 75% |" in table
    assert "4HL ReLU" in table
    latex = (out / "tables" / "table1_parity.tex").read_text()
    assert r"chance & 1 & 50\% &" in latex
    for name in _EXPERIMENTS:
        summary = json.loads((out / "summaries" / f"{name}.json").read_text())
        assert summary["experiment"] == name
        assert "rows" in summary and "missing" in summary
    index_text = index.read_text()
    # Every summary table's columns are defined where they appear.
    assert "gap_test_mse_to_4hl = mean over the epochs" in index_text
    assert "max_abs_error = max over c" in index_text
    # E2 shows the fitted ansatz parameters beside the paper's (SPEC eq. 19).
    params = (out / "tables" / "ansatz_parameters.md").read_text()
    assert "| parameter | fitted here | paper |" in params
    assert "| delta |" in params and "| 11.8106 |" in params
    assert "tables/ansatz_parameters.md" in index_text
    parity = json.loads((out / "summaries" / "parity.json").read_text())
    rows = {r["architecture"]: r for r in parity["table1"]}
    assert rows["chance"]["test_mse_mean"] == 1.0
    assert rows["ideal odd kernel"]["test_acc_mean"] == 75.0


@pytest.mark.slow
def test_report_shows_provenance_and_preset_of_each_experiment(smoke_report):
    results, index = smoke_report
    text = index.read_text()
    for name in _EXPERIMENTS:
        section = text.split(f": {name}\n")[1].split("\n## ")[0]
        assert "preset: `smoke`" in section, name
        assert "spec hash: `" in section and "specs/" in section


@pytest.mark.slow
def test_partial_results_show_what_exists_and_name_what_is_missing(
    smoke_report, tmp_path
):
    results, _ = smoke_report
    partial = tmp_path / "partial"
    for table in results.iterdir():
        source = table / "experiment=parity"
        if source.is_dir():
            shutil.copytree(source, partial / table.name / "experiment=parity")
    index = build_report(partial, tmp_path / "out")
    text = index.read_text()
    missing = text.split("## Missing")[1].split("\n## ")[0]
    for label, name in zip(("E1", "E2", "E3"), _EXPERIMENTS[:3], strict=True):
        assert f"{label} ({name}): no results" in missing
    assert "E4 (parity)" not in missing
    assert (tmp_path / "out" / "figures" / "figure3_parity.png").stat().st_size > 0
    assert not list((tmp_path / "out" / "figures").glob("figure1_*"))


def test_cli_help_texts_describe_every_option():
    runner = CliRunner()
    outcome = runner.invoke(_app(), ["report", "--help"])
    assert outcome.exit_code == 0
    for option in ("--results", "--out"):
        assert option in outcome.output
    assert "missing" in outcome.output
    outcome = runner.invoke(_app(), ["query", "--help"], terminal_width=200)
    assert outcome.exit_code == 0
    for option in (
        "--table",
        "--experiment",
        "--dataset",
        "--architecture",
        "--width",
        "--seed",
        "--epoch",
        "--status",
        "--group-by",
        "--agg",
        "--stat",
        "--column",
        "--output",
        "--sql",
        "--limit",
    ):
        assert option in outcome.output, option
