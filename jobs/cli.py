"""The ``revntk`` command line: a thin shell over the Python API of ``jobs``.

    revntk reproduce --preset quick        # E1-E4 on this machine, then the report
    revntk run parity --preset smoke --results results/ --set trials=4
    revntk design "c^4+c"                  # an activation for a target kernel
    revntk report --results results/ --out report/
    revntk query --results results/ --table metrics --group-by architecture
    revntk bench training                  # speed of a benchmark, as JSON

Quiet by default (warnings and progress: a bar on a terminal, else a log line
every 10 s); ``-v`` logs what happens, ``-vv`` everything.
"""

from __future__ import annotations

from jobs._logging import silence_startup_noise

silence_startup_noise()  # before anything imports TensorFlow, JAX or Ray

import enum  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import pathlib  # noqa: E402
import pkgutil  # noqa: E402
import sys  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402
import typer.core  # noqa: E402
import yaml  # noqa: E402

from jobs import (  # noqa: E402
    EXPERIMENTS,
    PRESETS,
    SpecError,
    load_spec,
    load_specs,
    preflight,
    resolve_experiment,
    run_spec,
    spec_hash,
)
from jobs._cli_design import design  # noqa: E402
from jobs._cli_errors import fail  # noqa: E402
from jobs._cli_query import query  # noqa: E402
from jobs._cli_report import report  # noqa: E402
from jobs._logging import configure_logging  # noqa: E402

__all__ = ["app", "main"]

logger = logging.getLogger(__name__)


class _FlagHelp:
    """Shows ``--help`` as a plain flag, without a ``<bool>`` value type."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option


class _Group(_FlagHelp, typer.core.TyperGroup):
    pass


class _Command(_FlagHelp, typer.core.TyperCommand):
    pass


app = typer.Typer(
    cls=_Group,
    name="revntk",
    help="Reverse-engineer neural tangent kernels: design activations from "
    "target kernels, run the paper's experiments (E1-E4) on Ray, and report. "
    "Start with `revntk reproduce --preset quick`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_NAMES = ", ".join(f"{n} (e{i + 1})" for i, n in enumerate(EXPERIMENTS))

Preset = enum.Enum("Preset", {p: p for p in PRESETS}, type=str)
PresetOpt = Annotated[
    Preset,
    typer.Option(
        "--preset",
        help="Size of the run: 'smoke' (seconds, for tests), 'quick' (minutes "
        "on a laptop CPU), 'paper' (the paper's full protocol, for GPUs).",
    ),
]
ResultsOpt = Annotated[
    pathlib.Path,
    typer.Option(
        "--results",
        help="Results directory (Parquet). Rerunning on the same directory "
        "skips finished tasks.",
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="Ray cluster to run on, e.g. 'auto' or 'ray://head:10001'. "
        "Default: $RAY_ADDRESS if set, else a Ray started on this machine.",
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="FIELD=VALUE",
        help="Change one spec field: FIELD=VALUE, the value read as YAML, "
        "dotted paths for nested fields (--set seeds=3 --set "
        "sweep.widths=[16,64]). Repeatable. An unknown field is an error.",
    ),
]
SpecOpt = Annotated[
    pathlib.Path | None,
    typer.Option(
        "--spec",
        help="YAML or TOML file of spec fields, applied over the preset "
        "(before --set).",
    ),
]
ProgressOpt = Annotated[
    bool,
    typer.Option(
        "--progress/--no-progress",
        metavar="",
        help="Show progress: a bar on a terminal, else a log line every 10 s.",
    ),
]


@app.callback()
def _main(
    verbose: Annotated[
        int,
        typer.Option(
            "-v",
            "--verbose",
            count=True,
            metavar="",
            show_default=False,
            help="Log what happens; repeat the flag (-vv) to log everything, "
            "Ray and JAX included.",
        ),
    ] = 0,
) -> None:
    configure_logging(verbose)


@app.command(cls=_Command)
def run(
    name: Annotated[
        str, typer.Argument(help=f"Experiment to run: {_NAMES}.", show_default=False)
    ],
    preset: PresetOpt = Preset.quick,
    results: ResultsOpt = pathlib.Path("results"),
    address: AddressOpt = None,
    set_: SetOpt = None,
    spec: SpecOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Run one experiment and write its results as Parquet.

    The same as `python -m jobs.<name>`. The spec is checked completely
    before anything runs.
    """
    try:
        experiment = resolve_experiment(name)
        cfg = load_spec(experiment, preset=preset.value, spec_file=spec, overrides=set_)
        summary = run_spec(cfg, results=results, address=address, progress=progress)
    except SpecError as err:
        raise fail(str(err)) from None
    typer.echo(
        f"{experiment}: {summary.done} task(s) run, {summary.skipped} already done, "
        f"{summary.failed} failed; results in {results}"
    )
    if summary.failed:
        raise typer.Exit(code=1)


@app.command(cls=_Command)
def reproduce(
    preset: PresetOpt = Preset.quick,
    results: ResultsOpt = pathlib.Path("results"),
    report_dir: Annotated[
        pathlib.Path | None,
        typer.Option(
            "--report",
            help="Where the report goes. Default: a 'report' folder inside the "
            "results directory.",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help=f"Run only these experiments (repeatable): {_NAMES}. "
            "Default: all four.",
        ),
    ] = None,
    address: AddressOpt = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="FIELD=VALUE",
            help="Change one spec field of every experiment that has it, "
            "e.g. --set resources.num_gpus=0 (all four) or --set trials=4 "
            "(parity only); value read as YAML. Repeatable. A field that no "
            "experiment has is an error.",
        ),
    ] = None,
    progress: ProgressOpt = True,
) -> None:
    """Reproduce the paper: E1-E4 in one Ray session, then the report.

    Runs locally unless --address or RAY_ADDRESS names a cluster. Every spec
    and dataset is checked before the first task: a dataset that cannot be
    loaded stops the run (exit status 2). CIFAR-10 is optional in the quick
    and paper presets: used only when its archive is already in the dataset
    cache, else skipped with a note. Ends by printing where the report is.
    """
    try:
        names = [resolve_experiment(n) for n in only] if only else list(EXPERIMENTS)
        specs = load_specs(names, preset=preset.value, overrides=set_)
        for cfg in specs:
            preflight(cfg)
    except SpecError as err:
        raise fail(str(err)) from None
    failed = 0
    for i, cfg in enumerate(specs, 1):
        typer.echo(
            f"[{i}/{len(specs)}] {cfg.experiment} (preset {preset.value}, spec "
            f"{spec_hash(cfg)[:12]})",
            err=True,
        )
        try:
            summary = run_spec(
                cfg, results=results, address=address, progress=progress, check=False
            )
        except SpecError as err:
            raise fail(str(err)) from None
        failed += summary.failed
        typer.echo(
            f"    {summary.done} task(s) run, {summary.skipped} already done, "
            f"{summary.failed} failed",
            err=True,
        )
    out = report_dir or results / "report"
    try:
        from jobs._cli_report import build_report
    except ImportError as err:
        typer.echo(f"no report: the report module is unavailable ({err})", err=True)
    else:
        index = build_report(results, out)
        typer.echo(f"Report: {index}")
    typer.echo(f"Results: {results}")
    if failed:
        typer.echo(f"{failed} task(s) failed; see the failures table.", err=True)
        raise typer.Exit(code=1)


@app.command("spec", cls=_Command)
def show_spec(
    name: Annotated[
        str, typer.Argument(help=f"Experiment: {_NAMES}.", show_default=False)
    ],
    preset: PresetOpt = Preset.quick,
    set_: SetOpt = None,
    spec: SpecOpt = None,
) -> None:
    """Print the validated spec of an experiment (YAML) and its hash; runs nothing.

    Save the output to a file, edit it, and pass it back with --spec.
    """
    try:
        cfg = load_spec(name, preset=preset.value, spec_file=spec, overrides=set_)
    except SpecError as err:
        raise fail(str(err)) from None
    typer.echo(f"# {cfg.experiment}, spec hash {spec_hash(cfg)}")
    typer.echo(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False).rstrip())


def _benchmarks() -> list[str]:
    import benchmarks

    return sorted(
        m.name
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if not m.name.startswith("_")
        and hasattr(importlib.import_module(f"benchmarks.{m.name}"), "run")
    )


@app.command(cls=_Command)
def bench(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Benchmark to run (a module of benchmarks/ with a run() "
            "function). Omit it to list the benchmarks.",
            show_default=False,
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Keyword argument of the benchmark's run(): KEY=VALUE, the "
            "value read as YAML. Repeatable.",
        ),
    ] = None,
) -> None:
    """List the benchmarks, or run one and print its JSON result."""
    names = _benchmarks()
    if name is None:
        for n in names:
            doc = (importlib.import_module(f"benchmarks.{n}").__doc__ or "").strip()
            typer.echo(f"{n}: {doc.splitlines()[0] if doc else ''}")
        return
    if name not in names:
        raise fail(f"unknown benchmark {name!r}; available: {', '.join(names)}")
    kwargs = {}
    for text in set_ or []:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise fail(f"`--set {text}`: expected KEY=VALUE")
        kwargs[key.strip()] = yaml.safe_load(value) if value.strip() else None
    fn = importlib.import_module(f"benchmarks.{name}").run
    try:
        result = fn(**kwargs)
    except TypeError as err:
        raise fail(f"benchmark {name}: {err}") from None
    typer.echo(json.dumps(result, indent=2, default=str))


app.command("design", cls=_Command)(design)
app.command("report", cls=_Command)(report)
app.command("query", cls=_Command)(query)


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI with ``argv`` and returns the exit status (for tests)."""
    try:
        app(args=argv, prog_name="revntk")
    except SystemExit as err:
        if err.code is None or isinstance(err.code, int):
            return err.code or 0
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
