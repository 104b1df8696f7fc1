"""Tests of the `revntk` command line (jobs/cli.py): help, specs, errors.

Nothing here starts Ray: the commands that would are checked on invalid
input, which must fail before any task is built.
"""

import tomllib
from pathlib import Path

import pytest
import typer.main
import yaml
from typer.testing import CliRunner

import jobs
from jobs.cli import app, main

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _commands():
    group = typer.main.get_command(app)
    return group, sorted(group.commands)


def test_console_script_points_at_the_app():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["scripts"]["revntk"] == "jobs.cli:app"


def test_all_commands_exist():
    _, names = _commands()
    for name in ("reproduce", "run", "design", "report", "query", "bench", "spec"):
        assert name in names


@pytest.mark.parametrize("name", [None, *_commands()[1]])
def test_help_exits_0_and_describes_every_option(name):
    group, _ = _commands()
    command = group if name is None else group.commands[name]
    args = ["--help"] if name is None else [name, "--help"]
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for param in command.params:
        if param.name == "help":
            continue
        for opt in getattr(param, "opts", []):
            if opt.startswith("-"):
                assert opt in text, f"{opt} missing from `{' '.join(args)}`"
        # Every option and argument carries help text, not just its name.
        assert getattr(param, "help", None), f"{param.name} of {name} has no help"


def test_spec_prints_the_validated_spec_and_its_hash():
    result = runner.invoke(
        app, ["spec", "e4", "--preset", "smoke", "--set", "trials=3"]
    )
    assert result.exit_code == 0, result.output
    header, body = result.output.split("\n", 1)
    data = yaml.safe_load(body)
    assert data["trials"] == 3
    spec = jobs.load_spec("parity", preset="smoke", overrides=["trials=3"])
    assert header.endswith(jobs.spec_hash(spec))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "parity", "--preset", "smoke", "--set", "width=0"], "`width`"),
        (["run", "e3", "--preset", "smoke", "--set", "datasets=[mnist]"], "mnist"),
        (["run", "parity", "--set", "widthz=1"], "unknown field `widthz`"),
        (["run", "e9"], "unknown experiment 'e9'"),
        (["reproduce", "--only", "nope"], "unknown experiment 'nope'"),
    ],
)
def test_invalid_input_fails_with_the_field_named(args, message, tmp_path):
    result = runner.invoke(app, [*args, "--results", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "r").exists()  # nothing ran


def test_unknown_preset_is_a_usage_error():
    assert main(["spec", "e1", "--preset", "huge"]) == 2


def test_bench_lists_the_benchmark_modules():
    result = runner.invoke(app, ["bench"])
    assert result.exit_code == 0, result.output
    listed = {line.split(":")[0] for line in result.output.splitlines() if line}
    expected = {
        p.stem
        for p in (ROOT / "benchmarks").glob("*.py")
        if not p.stem.startswith("_") and "def run(" in p.read_text()
    }
    assert listed == expected
    bad = runner.invoke(app, ["bench", "no_such_bench"])
    assert bad.exit_code == 2 and "unknown benchmark" in bad.output
