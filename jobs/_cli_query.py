"""`revntk query`: filter, aggregate and export result rows.

Reads one table of a results directory (``RESULTS/<table>/experiment=<name>/
*.parquet``, hive-partitioned) with ``pyarrow.dataset``, or runs SQL over
them through DuckDB. Registered by ``jobs/cli.py`` as
``app.command("query")(query)``.
"""

from __future__ import annotations

import pathlib
import re
from typing import Annotated, Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import typer

from jobs._cli_errors import fail
from jobs._cli_report import open_table
from revntk_core.analysis import AGG_STATS, TABLE_NAMES, aggregate, numeric_columns

FAILURES_TABLE = "failures"
"""Written only when a task failed: its absence means no task failed."""


def _filter_expression(filters: dict[str, list], schema: pa.Schema) -> Any:
    expression = None
    for column, values in filters.items():
        if not values:
            continue
        if column not in schema.names:
            raise fail(
                f"`--{column}`: the table has no column {column!r}; its columns "
                f"are {', '.join(schema.names)}"
            )
        term = ds.field(column).isin(values)
        expression = term if expression is None else expression & term
    return expression


def _read(data: ds.Dataset, filters: dict[str, list | None]) -> pd.DataFrame:
    frame = data.to_table(filter=_filter_expression(filters, data.schema)).to_pandas()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(object)
    return frame


def _check_experiments(data: ds.Dataset, wanted: list[str] | None, table: str) -> None:
    """Fails when an ``--experiment`` has no rows in the table at all."""
    if not wanted or "experiment" not in data.schema.names:
        return
    column = data.to_table(columns=["experiment"])["experiment"]
    present = sorted({str(v) for v in column.to_pylist() if v is not None})
    unknown = [e for e in wanted if e not in present]
    if unknown:
        raise fail(
            f"`--experiment`: no rows of {', '.join(map(repr, unknown))} in table "
            f"{table!r}; experiments present: {', '.join(present) or 'none'}"
        )


_MAX_EPOCHS_SHOWN = 40  # log-spaced epochs: a full list stays on a few lines


def _explain_epochs(
    data: ds.Dataset, without_epoch: dict[str, list | None], epoch: list[int]
) -> None:
    """Says which epochs exist when only the ``--epoch`` filter emptied the rows."""
    rows = data.to_table(
        columns=["epoch"], filter=_filter_expression(without_epoch, data.schema)
    )["epoch"].to_pylist()
    epochs = sorted({int(e) for e in rows if e is not None})
    if not epochs:
        return
    shown = ", ".join(str(e) for e in epochs[:_MAX_EPOCHS_SHOWN])
    more = f" ... ({len(epochs)} in all)" if len(epochs) > _MAX_EPOCHS_SHOWN else ""
    typer.echo(
        f"note: no row at --epoch {', '.join(map(str, epoch))}; the other filters "
        f"match rows at epochs {shown}{more}",
        err=True,
    )


def _run_sql(results: pathlib.Path, sql: str) -> pd.DataFrame:
    try:
        import duckdb
    except ImportError:
        raise fail(
            "`--sql` needs DuckDB: pip install duckdb (part of the `full` extra)"
        ) from None
    connection = duckdb.connect()
    for name in TABLE_NAMES:
        if re.search(rf"\b{name}\b", sql) and (results / name).is_dir():
            connection.register(name, open_table(results / name))
    try:
        return connection.execute(sql).df()
    except duckdb.Error as err:
        raise fail(f"`--sql` failed: {err}") from None


def _write_output(frame: pd.DataFrame, output: pathlib.Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix == ".csv":
        frame.to_csv(output, index=False)
    elif output.suffix == ".parquet":
        frame.to_parquet(output, index=False)
    else:
        raise fail(f"`--output` must end in .csv or .parquet, got {output.name!r}")


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
            raise fail(f"`--table` must be one of {list(TABLE_NAMES)}, got {table!r}")
        if not results.is_dir():
            raise fail(
                f"results directory {results} does not exist (--results); "
                "produce results with `revntk run` or `revntk reproduce`"
            )
        path = results / table
        if not path.is_dir():
            if table == FAILURES_TABLE:
                typer.echo("no failed tasks")
                return
            raise fail(f"no table {table!r} in {results} (looked for {path})")
        for name in stat or ():
            if name not in AGG_STATS:
                raise fail(f"`--stat` must be one of {list(AGG_STATS)}, got {name!r}")
        data = open_table(path)
        filters = {
            "experiment": experiment,
            "dataset": dataset,
            "architecture": architecture,
            "width": width,
            "seed": seed,
            "epoch": epoch,
            "status": status,
        }
        _check_experiments(data, experiment, table)
        frame = _read(data, filters)
        if frame.empty and epoch:
            _explain_epochs(data, {**filters, "epoch": None}, epoch)
        try:
            if agg:
                numeric = numeric_columns(frame)
                for column in agg:
                    if column in frame.columns and column not in numeric:
                        raise fail(
                            f"`--agg {column}`: column {column!r} is not numeric; "
                            f"numeric columns are {', '.join(numeric)}"
                        )
                frame = aggregate(
                    frame, group_by or [], agg, stat or ("mean", "std", "count")
                )
            elif group_by:
                raise fail("`--group-by` needs at least one `--agg` column")
            elif columns:
                unknown = sorted(set(columns) - set(frame.columns))
                if unknown:
                    raise fail(f"`--column`: unknown columns {unknown}")
                frame = frame[list(columns)]
        except ValueError as err:
            raise fail(str(err)) from None
    if output is not None:
        _write_output(frame, output)
        typer.echo(f"{len(frame)} rows written to {output}")
        return
    shown = frame if limit == 0 else frame.head(limit)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        typer.echo(shown.to_string(index=False) if len(shown) else "(no rows)")
    if len(shown) < len(frame):
        typer.echo(f"({len(frame)} rows; first {len(shown)} shown, --limit 0 for all)")
