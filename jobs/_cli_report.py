"""`revntk report` and `revntk query`: the file side of the analysis.

Reads a results directory (``RESULTS/<table>/experiment=<name>/*.parquet``,
hive-partitioned, plus run manifests in ``RESULTS/_runs/``) with
``pyarrow.dataset``, hands the tables to :mod:`revntk_core.analysis`, and
writes tables, figures, summaries and an index page. Registered by
``jobs/cli.py`` as ``app.command("report")(report)`` and
``app.command("query")(query)``.
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
    AGG_STATS,
    EXPERIMENTS,
    TABLE_NAMES,
    ResultTables,
    aggregate,
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
        table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
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


def _provenance_lines(provenance: dict[str, Any], spec_links: list[str]) -> list[str]:
    def show(key: str, chars: int | None = None) -> str:
        values = [v[:chars] if chars else v for v in provenance[key]]
        return ", ".join(f"`{v}`" for v in values) or "not recorded"

    specs = ", ".join(f"[{link}]({link})" for link in spec_links) or "no manifest"
    return [
        f"- spec: {specs}; preset: {show('presets')}; "
        f"spec hash: {show('spec_hash', SPEC_STEM_CHARS)}",
        f"- runs: {show('run_id')}; finished: {provenance['last_finished_at']}",
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


# ---------------------------------------------------------------- commands


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def report(
    results: Annotated[
        pathlib.Path,
        typer.Option(
            "--results",
            help="Results directory written by the experiment jobs "
            "(RESULTS/<table>/experiment=<name>/*.parquet and RESULTS/_runs/). "
            "Partial or missing results are fine: the report lists what is "
            "missing.",
        ),
    ] = pathlib.Path("results"),
    out: Annotated[
        pathlib.Path,
        typer.Option(
            "--out",
            help="Folder for the report: index.md, tables/ (.md, .tex, .csv), "
            "figures/ (.png, .pdf), summaries/ (.json), status.csv, specs/. "
            "Created if needed; existing files of the same name are replaced.",
        ),
    ] = pathlib.Path("report"),
) -> None:
    """Write the paper's tables and figures from a results directory.

    Table 1 (parity), Figures 1-3 (kernel mimicry, the shallow phi~ net that
    trains like a deep ReLU net, parity kernels), the summary numbers beside
    each, and an index page linking all of them with the spec and
    provenance behind them.
    """
    index = build_report(results, out)
    typer.echo(f"report written: {index}")


def _filter_expression(filters: dict[str, list], schema: pa.Schema) -> Any:
    expression = None
    for column, values in filters.items():
        if not values:
            continue
        if column not in schema.names:
            raise _fail(
                f"`--{column}`: the table has no column {column!r}; its columns "
                f"are {', '.join(schema.names)}"
            )
        term = ds.field(column).isin(values)
        expression = term if expression is None else expression & term
    return expression


def _run_sql(results: pathlib.Path, sql: str) -> pd.DataFrame:
    try:
        import duckdb
    except ImportError:
        raise _fail(
            "`--sql` needs DuckDB: pip install duckdb (part of the `full` extra)"
        ) from None
    connection = duckdb.connect()
    for name in TABLE_NAMES:
        if re.search(rf"\b{name}\b", sql) and (results / name).is_dir():
            dataset = ds.dataset(results / name, format="parquet", partitioning="hive")
            connection.register(name, dataset)
    try:
        return connection.execute(sql).df()
    except duckdb.Error as err:
        raise _fail(f"`--sql` failed: {err}") from None


def _write_output(frame: pd.DataFrame, output: pathlib.Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix == ".csv":
        frame.to_csv(output, index=False)
    elif output.suffix == ".parquet":
        frame.to_parquet(output, index=False)
    else:
        raise _fail(f"`--output` must end in .csv or .parquet, got {output.name!r}")


def query(
    results: Annotated[
        pathlib.Path,
        typer.Option("--results", help="Results directory to query."),
    ] = pathlib.Path("results"),
    table: Annotated[
        str,
        typer.Option(
            "--table",
            help=f"Table to read: one of {', '.join(TABLE_NAMES)}.",
        ),
    ] = "metrics",
    experiment: Annotated[
        list[str] | None,
        typer.Option(
            "--experiment",
            help="Keep rows of this experiment (kernel_mimicry, ansatz, "
            "mimic_training, parity); repeat for several.",
        ),
    ] = None,
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", help="Keep rows of this dataset; repeatable."),
    ] = None,
    architecture: Annotated[
        list[str] | None,
        typer.Option(
            "--architecture",
            help="Keep rows of this architecture, e.g. 1hl-relu, 4hl-relu, "
            "1hl-ansatz; repeatable.",
        ),
    ] = None,
    width: Annotated[
        list[int] | None,
        typer.Option("--width", help="Keep rows of this hidden width; repeatable."),
    ] = None,
    seed: Annotated[
        list[int] | None,
        typer.Option("--seed", help="Keep rows of this seed; repeatable."),
    ] = None,
    epoch: Annotated[
        list[int] | None,
        typer.Option(
            "--epoch", help="Keep rows of this epoch (curves table); repeatable."
        ),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status", help="Keep rows of this status: ok, diverged, failed."
        ),
    ] = None,
    group_by: Annotated[
        list[str] | None,
        typer.Option(
            "--group-by",
            help="Group rows by this column before aggregating; repeatable. "
            "Needs --agg.",
        ),
    ] = None,
    agg: Annotated[
        list[str] | None,
        typer.Option(
            "--agg",
            help="Numeric column to aggregate per group (e.g. test_mse); "
            "repeatable. Nulls (diverged runs) are skipped.",
        ),
    ] = None,
    stat: Annotated[
        list[str] | None,
        typer.Option(
            "--stat",
            help=f"Statistic of each --agg column: {', '.join(AGG_STATS)}; "
            "repeatable; default mean, std (population) and count.",
        ),
    ] = None,
    columns: Annotated[
        list[str] | None,
        typer.Option("--column", help="Column to show (without --agg); repeatable."),
    ] = None,
    output: Annotated[
        pathlib.Path | None,
        typer.Option(
            "--output",
            help="Write all result rows to this file instead of printing: "
            ".csv or .parquet by suffix.",
        ),
    ] = None,
    sql: Annotated[
        str | None,
        typer.Option(
            "--sql",
            help="Run this SQL through DuckDB instead of the filters; every "
            "table it names (kernels, designs, curves, metrics, ...) is a view "
            'of the results with an `experiment` column. Example: "SELECT '
            "architecture, avg(test_acc) FROM metrics WHERE "
            "experiment='parity' GROUP BY 1\".",
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", help="Rows printed at most (0: all).", min=0),
    ] = 50,
) -> None:
    """Filter and aggregate result rows; print them or write CSV/Parquet.

    Without --agg, prints the matching rows (--column picks columns). With
    --agg, prints statistics of those columns per --group-by group.
    """
    if sql is not None:
        frame = _run_sql(results, sql)
    else:
        if table not in TABLE_NAMES:
            raise _fail(f"`--table` must be one of {list(TABLE_NAMES)}, got {table!r}")
        path = results / table
        if not path.is_dir():
            raise _fail(f"no table {table!r} in {results} (looked for {path})")
        data = ds.dataset(path, format="parquet", partitioning="hive")
        filters = {
            "experiment": experiment,
            "dataset": dataset,
            "architecture": architecture,
            "width": width,
            "seed": seed,
            "epoch": epoch,
            "status": status,
        }
        frame = data.to_table(
            filter=_filter_expression(filters, data.schema)
        ).to_pandas()
        for name in frame.columns:
            if isinstance(frame[name].dtype, pd.CategoricalDtype):
                frame[name] = frame[name].astype(object)
        try:
            if agg:
                frame = aggregate(
                    frame, group_by or [], agg, stat or ("mean", "std", "count")
                )
            elif group_by:
                raise _fail("`--group-by` needs at least one `--agg` column")
            elif columns:
                unknown = sorted(set(columns) - set(frame.columns))
                if unknown:
                    raise _fail(f"`--column`: unknown columns {unknown}")
                frame = frame[list(columns)]
        except ValueError as err:
            raise _fail(str(err)) from None
    if output is not None:
        _write_output(frame, output)
        typer.echo(f"{len(frame)} rows written to {output}")
        return
    shown = frame if limit == 0 else frame.head(limit)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        typer.echo(shown.to_string(index=False) if len(shown) else "(no rows)")
    if len(shown) < len(frame):
        typer.echo(f"({len(frame)} rows; first {len(shown)} shown, --limit 0 for all)")
