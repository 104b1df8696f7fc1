"""The shared command line of ``python -m jobs.<experiment>``.

Every experiment module's ``main(argv)`` calls :func:`entry_main`; the same
options exist on ``revntk run``. Works locally (Ray starts in-process) and
under ``ray job submit --working-dir . -- python -m jobs.<name> ...``, where
``RAY_ADDRESS`` picks the cluster.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ._logging import configure_logging
from ._spec_base import PRESETS, SpecError

__all__ = ["entry_main"]

logger = logging.getLogger(__name__)


def _parser(experiment: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m jobs.{experiment}",
        description=f"Run the {experiment} experiment and write Parquet results.",
    )
    parser.add_argument(
        "--preset",
        choices=PRESETS,
        default="quick",
        help="smoke: seconds, for tests; quick: minutes on a laptop CPU; "
        "paper: the full protocol of the paper, for GPUs (default: quick).",
    )
    parser.add_argument(
        "--results",
        required=True,
        help="Results directory; reruns skip finished tasks.",
    )
    parser.add_argument(
        "--address",
        default=None,
        help="Ray cluster address (default: $RAY_ADDRESS, else a local Ray).",
    )
    parser.add_argument(
        "--spec",
        default=None,
        help="YAML or TOML file of spec fields, merged over the preset.",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="Override one spec field, value parsed as YAML; dotted paths for "
        "nested fields, e.g. --set seeds=3 --set sweep.widths=[16,64]. Repeatable.",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="Do not show a progress bar."
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="More log output (-vv)."
    )
    return parser


def entry_main(experiment: str, argv: list[str] | None = None) -> int:
    """Parses ``argv``, runs the experiment and returns the exit status.

    Exit status 0 when every task finished, 1 when some failed, 2 for an
    invalid spec (nothing was run).
    """
    args = _parser(experiment).parse_args(argv)
    configure_logging(args.verbose)
    from . import run_experiment

    try:
        summary = run_experiment(
            experiment,
            preset=args.preset,
            results=args.results,
            overrides=args.overrides,
            spec_file=args.spec,
            address=args.address,
            progress=not args.no_progress,
        )
    except SpecError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(
        f"{experiment}: {summary.done} task(s) run, {summary.skipped} already "
        f"done, {summary.failed} failed; results in {args.results}"
    )
    return 0 if summary.failed == 0 else 1
