"""How every ``revntk`` command reports bad input: one line, no traceback."""

from __future__ import annotations

import typer


def fail(message: str, code: int = 2) -> typer.Exit:
    """Prints ``error: message`` on stderr; returns the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=code)
