"""`revntk report`: the paper's tables and figures from a results directory.

Reads a results directory (``RESULTS/<table>/experiment=<name>/*.parquet``,
hive-partitioned, plus run manifests in ``RESULTS/_runs/``) with
``pyarrow.dataset``, hands the tables to :mod:`revntk_core.analysis`, and
writes tables, figures, summaries and an index page. Registered by
``jobs/cli.py`` as ``app.command("report")(report)``; ``revntk query``
(:mod:`jobs._cli_query`) opens tables with :func:`open_table` from here.
"""

from __future__ import annotations

import datetime
import json
import logging
import pathlib
import re
from typing import Annotated, Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import typer

from revntk_core.analysis import (
    EXPERIMENTS,
    TABLE_NAMES,
    ResultTables,
    jsonable,
    report_contents,
    to_markdown,
)
from revntk_core.analysis._frames import manifest_experiments

logger = logging.getLogger(__name__)

RUNS_DIR = "_runs"
SPEC_STEM_CHARS = 16  # hash characters in a spec file name: unique enough
FIGURE_DPI = 150  # PNG resolution: 8-panel figures come out about 2200 px wide
FAILURE_COLUMNS = ("experiment", "name", "error_type", "error", "attempts")
PROVENANCE_COLUMNS = (
    "run_id",
    "spec_hash",
    "package_version",
    "git_commit",
    "python_version",
    "jax_version",
    "jax_backend",
    "device_kind",
    "hostname",
)


# ---------------------------------------------------------------- reading


def open_table(path: pathlib.Path) -> ds.Dataset:
    """The Parquet files under one table folder as a hive-partitioned dataset."""
    return ds.dataset(path, format="parquet", partitioning="hive")


def _read_dataset(path: pathlib.Path, notes: list[str]) -> pa.Table | None:
    """One table folder as an Arrow table (``None`` when absent or empty).

    Hidden (``.``) and ``_``-prefixed files, the writer's temporaries, are
    ignored by ``pyarrow.dataset``. If the folder cannot be read as one
    dataset (an unreadable file, schemas that differ between files), each
    file is read on its own, unreadable ones are skipped and noted.
    """
    if not path.is_dir():
        return None
    try:
        table = open_table(path).to_table()
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as err:
        logger.warning("reading %s as one dataset failed (%s); per file", path, err)
        parts = []
        for file in sorted(path.rglob("*.parquet")):
            if any(p.startswith((".", "_")) for p in file.relative_to(path).parts):
                continue
            try:
                part = (
                    ds.dataset(file, format="parquet", partitioning=None)
                    .to_table()
                    .to_pandas()
                )
            except (pa.ArrowInvalid, OSError) as file_err:
                notes.append(f"unreadable file skipped: {file} ({file_err})")
                continue
            match = re.search(r"experiment=([^/\\]+)", str(file.parent))
            if match:
                part["experiment"] = match.group(1)
            parts.append(part)
        if not parts:
            return None
        return pa.Table.from_pandas(pd.concat(parts, ignore_index=True))
    return table if table.num_rows else None


def read_manifests(results_dir: pathlib.Path, notes: list[str]) -> list[dict]:
    """The run manifests of ``results_dir/_runs`` (unparsable ones noted)."""
    out = []
    for file in sorted((results_dir / RUNS_DIR).glob("*.json")):
        try:
            out.append(json.loads(file.read_text()))
        except (OSError, json.JSONDecodeError) as err:
            notes.append(f"unreadable run manifest skipped: {file} ({err})")
    return out


def read_results(
    results_dir: str | pathlib.Path, notes: list[str] | None = None
) -> ResultTables:
    """Every table and manifest of a results directory, in memory.

    Args:
      results_dir: the results directory (need not exist: all tables empty).
      notes: a list that collects notes on skipped files.
    """
    notes = [] if notes is None else notes
    root = pathlib.Path(results_dir)
    tables = {name: _read_dataset(root / name, notes) for name in TABLE_NAMES}
    return ResultTables.from_tables(tables, manifests=read_manifests(root, notes))


# ---------------------------------------------------------------- writing


def _provenance(tables: ResultTables, experiment: str) -> dict[str, Any]:
    """Provenance of one experiment's rows: columns' values and run manifests."""
    mine = tables.experiment(experiment)
    values: dict[str, set] = {c: set() for c in PROVENANCE_COLUMNS}
    finished = []
    for name in TABLE_NAMES:
        frame = mine.table(name)
        for column in PROVENANCE_COLUMNS:
            if column in frame.columns:
                values[column].update(str(v) for v in frame[column].dropna().unique())
        if "finished_at" in frame.columns and frame["finished_at"].notna().any():
            finished.append(str(frame["finished_at"].max()))
    manifests = [m for m in tables.manifests if experiment in manifest_experiments(m)]
    presets = {
        str(m.get("preset") or (m.get("spec") or {}).get("preset") or "")
        for m in manifests
    } - {""}
    known = _preset_hashes(experiment)
    presets |= {known.get(h, "custom") for h in values["spec_hash"]}
    return {
        **{column: sorted(v) for column, v in values.items()},
        "last_finished_at": max(finished) if finished else None,
        "presets": sorted(presets),
        "manifests": manifests,
    }


def _preset_hashes(experiment: str) -> dict[str, str]:
    """{spec hash: preset} of the unmodified presets of ``experiment``.

    A results row records its spec's hash, not the preset it came from; a
    hash equal to that of a preset's spec names the preset, any other hash is
    reported as "custom" (a preset with overrides, or a spec file).
    """
    from jobs import PRESETS, SpecError, load_spec, spec_hash

    out = {}
    for preset in PRESETS:
        try:
            out[spec_hash(load_spec(experiment, preset=preset))] = preset
        except (SpecError, ImportError, ValueError) as err:
            logger.info("preset %s of %s not loadable: %s", preset, experiment, err)
    return out


def _write_specs(out: pathlib.Path, provenance: dict[str, Any]) -> list[str]:
    """Writes each manifest's spec once per spec hash; returns relative paths."""
    links = []
    for manifest in provenance["manifests"]:
        spec = manifest.get("spec")
        if spec is None:
            continue
        stem = str(manifest.get("spec_hash") or manifest.get("run_id") or "spec")
        stem = re.sub(r"[^A-Za-z0-9_.-]", "-", stem)[:SPEC_STEM_CHARS]
        phase = (spec or {}).get("phase") if isinstance(spec, dict) else None
        relative = f"specs/{stem}{'-' + str(phase) if phase else ''}.json"
        path = out / relative
        if relative not in links:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(jsonable(spec), indent=2, default=str) + "\n")
            links.append(relative)
    return links


DRIVER_RUN_PREFIX = "driver-"
"""Run ids of rows reduced on the driver (one id per reduction task)."""


def run_ids_text(run_ids: list[str]) -> str:
    """The run ids for the index page, driver reductions counted, not listed.

    Example: ``"`20261203T175202Z-a9774e` and 14 driver-side reductions
    (run ids `driver-...`)"``.
    """
    runs = [r for r in run_ids if not str(r).startswith(DRIVER_RUN_PREFIX)]
    drivers = len(run_ids) - len(runs)
    text = ", ".join(f"`{r}`" for r in runs)
    if drivers:
        counted = (
            f"{drivers} driver-side reduction{'s' if drivers > 1 else ''} "
            f"(run ids `{DRIVER_RUN_PREFIX}...`)"
        )
        text = f"{text} and {counted}" if text else counted
    return text or "not recorded"


def _provenance_lines(provenance: dict[str, Any], spec_links: list[str]) -> list[str]:
    def show(key: str, chars: int | None = None) -> str:
        values = [v[:chars] if chars else v for v in provenance[key]]
        return ", ".join(f"`{v}`" for v in values) or "not recorded"

    specs = ", ".join(f"[{link}]({link})" for link in spec_links) or "no manifest"
    return [
        f"- spec: {specs}; preset: {show('presets')}; "
        f"spec hash: {show('spec_hash', SPEC_STEM_CHARS)}",
        f"- runs: {run_ids_text(provenance['run_id'])}; "
        f"finished: {provenance['last_finished_at']}",
        f"- code: revntk {show('package_version')}, git {show('git_commit')}, "
        f"python {show('python_version')}, jax {show('jax_version')}",
        f"- hardware: backend {show('jax_backend')}, device {show('device_kind')}, "
        f"hosts {show('hostname')}",
    ]


def build_report(
    results_dir: str | pathlib.Path, out_dir: str | pathlib.Path
) -> pathlib.Path:
    """Writes the report of a results directory; returns the index page's path.

    Writes, under ``out_dir``: ``tables/<name>.{md,tex,csv}``,
    ``figures/<name>.{png,pdf}``, ``summaries/<experiment>.json``,
    ``status.csv`` (rows per experiment, table and status), ``specs/*.json``
    (the specs from the run manifests) and ``index.md`` linking all of them
    with their provenance and a "Missing" section. Works on partial, empty
    or absent results: what is missing is listed, nothing raises.

    Args:
      results_dir: the results directory.
      out_dir: where the report goes (created if needed).
    """
    results_dir, out = pathlib.Path(results_dir), pathlib.Path(out_dir)
    notes: list[str] = []
    tables = read_results(results_dir, notes)
    contents = report_contents(tables)
    for sub in ("tables", "figures", "summaries"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for table in contents.tables:
        for suffix, text in (("md", table.markdown), ("tex", table.latex)):
            (out / "tables" / f"{table.name}.{suffix}").write_text(text)
        (out / "tables" / f"{table.name}.csv").write_text(table.csv)
    for figure in contents.figures:
        for suffix in ("png", "pdf"):
            figure.figure.savefig(
                out / "figures" / f"{figure.name}.{suffix}", dpi=FIGURE_DPI
            )
    for summary in contents.summaries:
        (out / "summaries" / f"{summary.experiment}.json").write_text(summary.to_json())
    contents.status.to_csv(out / "status.csv", index=False)

    missing = [*contents.missing, *notes]
    lines = [
        "# revntk report",
        "",
        f"Results: `{results_dir.resolve()}`; written "
        f"{datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')}.",
        "",
        "## Missing",
        "",
        *([f"- {m}" for m in missing] or ["Nothing: every experiment has results."]),
        "",
        "## Rows by status",
        "",
        "Rows with status `diverged` or `failed` are counted here and in each "
        "table; they are never dropped. [status.csv](status.csv)",
        "",
        to_markdown(contents.status) if not contents.status.empty else "No rows.",
        "",
    ]
    failures = tables.failures
    if not failures.empty:
        shown = [c for c in FAILURE_COLUMNS if c in failures.columns]
        brief = failures[shown].copy()
        if "error" in brief.columns:
            brief["error"] = brief["error"].astype(str).str.slice(0, 120)
        lines += ["## Failed tasks", "", to_markdown(brief), ""]
    by_experiment = {s.experiment: s for s in contents.summaries}
    for experiment, label in EXPERIMENTS.items():
        lines += [f"## {label}: {experiment}", ""]
        if experiment not in tables.experiments():
            lines += ["No results.", ""]
            continue
        provenance = _provenance(tables, experiment)
        lines += _provenance_lines(provenance, _write_specs(out, provenance))
        lines.append("")
        for figure in contents.figures:
            if figure.experiments[-1] != experiment:
                continue
            png, pdf = f"figures/{figure.name}.png", f"figures/{figure.name}.pdf"
            lines += [
                f"### {figure.name}",
                "",
                f"![{figure.name}]({png})",
                "",
                f"{figure.caption} ([PNG]({png}), [PDF]({pdf}))",
                "",
            ]
        for table in contents.tables:
            if table.experiments[-1] != experiment:
                continue
            stem = f"tables/{table.name}"
            lines += [
                f"### {table.name}",
                "",
                table.caption,
                "",
                table.markdown,
                f"[Markdown]({stem}.md), [LaTeX]({stem}.tex), [CSV]({stem}.csv)",
                "",
            ]
        if experiment in by_experiment:
            lines += [
                f"Summary numbers: [summaries/{experiment}.json]"
                f"(summaries/{experiment}.json)",
                "",
            ]
    index = out / "index.md"
    index.write_text("\n".join(lines))
    return index


# ---------------------------------------------------------------- command


def report(
    results: Annotated[
        pathlib.Path,
        typer.Option(
            "--results",
            help="Results directory written by the experiment jobs "
            "(RESULTS/<table>/experiment=<name>/*.parquet and RESULTS/_runs/); "
            "it must exist. Partial or empty results are fine: the report "
            "lists what is missing.",
        ),
    ] = pathlib.Path("results"),
    out: Annotated[
        pathlib.Path | None,
        typer.Option(
            "--out",
            help="Folder for the report: index.md, tables/ (.md, .tex, .csv), "
            "figures/ (.png, .pdf), summaries/ (.json), status.csv, specs/. "
            "Created if needed; existing files of the same name are replaced. "
            "Default: a 'report' folder inside the results directory (where "
            "`revntk reproduce` puts it).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the paper's tables and figures from a results directory.

    Table 1 (parity), Figures 1-3 (kernel mimicry, the shallow phi~ net that
    trains like a deep ReLU net, parity kernels), the summary numbers beside
    each, and an index page linking all of them with the spec and
    provenance behind them.
    """
    if not results.is_dir():
        typer.echo(
            f"error: results directory {results} does not exist (--results). "
            "Produce results first, e.g. `revntk reproduce --preset quick "
            f"--results {results}` or `revntk run parity --preset smoke "
            f"--results {results}`.",
            err=True,
        )
        raise typer.Exit(code=2)
    index = build_report(results, out if out is not None else results / "report")
    typer.echo(f"report written: {index}")
