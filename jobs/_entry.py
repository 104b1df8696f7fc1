"""The command line of ``python -m jobs.<experiment>``.

``python -m jobs.parity [OPTIONS]`` is ``revntk run parity [OPTIONS]``: one
command-line implementation, the ``revntk`` one, with the same options
(``--preset``, ``--results``, ``--address``, ``--spec``, ``--set``,
``--no-progress``, ``-v``). Works locally (Ray starts in-process) and under
``ray job submit --working-dir . -- python -m jobs.<name> ...``, where
``RAY_ADDRESS`` picks the cluster.
"""

from __future__ import annotations

import re
import sys

__all__ = ["entry_main"]

_VERBOSE = re.compile(r"-v+|--verbose")


def entry_main(experiment: str, argv: list[str] | None = None) -> int:
    """Runs ``revntk run <experiment> <argv>``; returns the exit status.

    Exit status 0 when every task finished, 1 when some failed, 2 for an
    invalid spec or a dataset that cannot be loaded (nothing was run).
    """
    from .cli import main

    args = list(sys.argv[1:] if argv is None else argv)
    verbosity = [a for a in args if _VERBOSE.fullmatch(a)]
    rest = [a for a in args if not _VERBOSE.fullmatch(a)]
    return main([*verbosity, "run", experiment, *rest])
