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


def test_global_help_shows_flags_without_value_types():
    text = runner.invoke(app, ["--help"], terminal_width=200).output
    assert "-v" in text and "repeat the flag" in text
    for odd in ("<int>", "<bool>", "[default: 0]"):
        assert odd not in text
    run_help = runner.invoke(app, ["run", "--help"], terminal_width=200).output
    assert "<bool>" not in run_help and "<list[str]>" not in run_help
    assert "FIELD=VALUE" in run_help


def _empty_offline_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REVNTK_OFFLINE", "1")
    monkeypatch.setenv("REVNTK_DATA_DIR", str(tmp_path / "empty_cache"))

    def forbidden(*args, **kwargs):
        raise AssertionError("Ray was started although a dataset is missing")

    monkeypatch.setattr("cluster.connect", forbidden)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "mimic_training", "--preset", "smoke"],
        ["reproduce", "--only", "e4", "--only", "e3", "--preset", "smoke"],
    ],
)
def test_missing_dataset_exits_2_before_any_task(args, tmp_path, monkeypatch):
    _empty_offline_cache(tmp_path, monkeypatch)
    result = runner.invoke(app, [*args, "--results", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("error: 1 dataset(s) of mimic_training")
    assert lines[1].strip().startswith("balance-scale: balance-scale.data is not")
    assert not (tmp_path / "r").exists()  # E4 did not run first either


def test_module_entry_point_exits_2_for_a_missing_dataset(
    tmp_path, monkeypatch, capsys
):
    from jobs import mimic_training

    _empty_offline_cache(tmp_path, monkeypatch)
    argv = ["--preset", "smoke", "--results", str(tmp_path / "r")]
    assert mimic_training.main(argv) == 2
    assert "balance-scale.data" in capsys.readouterr().err


def test_reproduce_set_needs_a_field_some_experiment_has(tmp_path):
    result = runner.invoke(
        app, ["reproduce", "--set", "trialz=3", "--results", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert "no experiment of this run" in result.output and "`trialz`" in result.output
    assert not (tmp_path / "r").exists()


@pytest.fixture
def restore_logging():
    import logging

    names = [
        "",
        "jobs",
        "cluster",
        "ray",
        "cluster.progress",
        "ray._private.authentication.authentication_token_setup",
    ]
    levels = {n: logging.getLogger(n).level for n in names}
    yield
    for n, level in levels.items():
        logging.getLogger(n).setLevel(level)


def test_default_logging_shows_progress_and_hides_the_ray_token_notice(
    restore_logging, caplog
):
    import logging

    import cluster
    from cluster._scheduler import _Progress
    from jobs._logging import PROGRESS_LOGGER, RAY_AUTH_NOTICE_LOGGER, configure_logging

    assert PROGRESS_LOGGER == cluster.PROGRESS_LOGGER
    configure_logging(0)
    progress = logging.getLogger(PROGRESS_LOGGER)
    notice = logging.getLogger(RAY_AUTH_NOTICE_LOGGER)
    assert progress.isEnabledFor(logging.INFO)
    assert not logging.getLogger("cluster").isEnabledFor(logging.INFO)
    assert not notice.isEnabledFor(logging.WARNING)
    configure_logging(1)
    assert notice.isEnabledFor(logging.WARNING)
    configure_logging(0)
    # Not on a terminal (pytest captures stderr): log lines, on that logger.
    with caplog.at_level(logging.INFO, logger=PROGRESS_LOGGER):
        bar = _Progress(True, 3, "r1")
        bar.update(done=2, failed=1)
        bar.close()
        _Progress(False, 3, "r2").close()  # --no-progress: silent
    lines = [r.getMessage() for r in caplog.records if r.name == PROGRESS_LOGGER]
    assert lines and all("run r1: 2/3 done, 1 failed, 0 left" in m for m in lines)
