"""`revntk design`, registered on a local Typer app as jobs/cli.py does."""

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from jobs._cli_design import design as design_command
from revntk_core.design import E1_TARGETS, design
from revntk_core.kernels import activation_from_dict, ntk_1hl

app = typer.Typer()
app.command("design")(design_command)
# A second command keeps Typer from collapsing the app into the bare command,
# so the invocation reads as in the real CLI: `revntk design TARGET ...`.
app.command("noop")(lambda: None)
runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["design", *args])


@pytest.mark.parametrize("target", sorted(E1_TARGETS))
def test_e1_targets_print_and_save(target, tmp_path):
    out = tmp_path / "d.json"
    result = run(target, "--degree", "5", "--signs", "++--++", "--out", str(out))
    assert result.exit_code == 0, result.output
    for label in ("a_0", "a_5", "b_5", "m_5", "max error", "++--++"):
        assert label in result.output
    saved = json.loads(out.read_text())
    ref = design(E1_TARGETS[target], degree=5, signs="++--++", endpoint_weight=0.1)
    np.testing.assert_allclose(saved["fit_coeffs"], ref.fit_coeffs, rtol=1e-12, atol=0)
    assert saved["signs"] == [1, 1, -1, -1, 1, 1]
    # The saved activation reloads, and its exact NTK is the printed fit (1e-8).
    phi = activation_from_dict(saved["activation"])
    c = np.linspace(-1, 1, 51)
    np.testing.assert_allclose(
        ntk_1hl(phi, c, W_std=1.0, b_std=0.0),
        np.polynomial.polynomial.polyval(c, saved["fit_coeffs"]),
        rtol=1e-8,
        atol=1e-10,
    )


def test_printed_coefficients_are_the_design_values():
    result = run("c^4+c", "--signs", "positive")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    b = {
        row[0]: float(row[1])
        for row in lines
        if len(row) == 2 and row[0].startswith("b_")
    }
    # b_k = sqrt(a_k / (1 + k)): b_1 = sqrt(1/2), b_4 = sqrt(1/5).
    assert b["b_1"] == pytest.approx(np.sqrt(0.5), rel=1e-14)
    assert b["b_4"] == pytest.approx(np.sqrt(0.2), rel=1e-14)
    assert b["b_2"] == 0.0


@pytest.mark.parametrize(
    "args, match",
    [
        (["c-c^2"], "a_2 = -1 of c^2 is negative"),
        (["foo(c)"], "could not be read"),
        (["c^3", "--signs", "+-x"], "`signs`"),
        (["c^3", "--signs", "++"], "gives 2 signs but 6"),
        (["c^3", "--kind", "gp"], "`kind`"),
        (["file:/nonexistent/kernel.csv"], "not found"),
    ],
)
def test_bad_input_is_one_line_without_traceback(args, match):
    result = run(*args)
    assert result.exit_code != 0
    assert match in result.output
    assert "Traceback" not in result.output
    error_lines = [
        line for line in result.output.splitlines() if line.startswith("error:")
    ]
    assert len(error_lines) == 1


def test_help_describes_every_option():
    result = run("--help")
    assert result.exit_code == 0
    for option in ("--degree", "--kind", "--signs", "--endpoint-weight", "--out"):
        assert option in result.output
    assert "ntk:4hl-relu" in result.output


def test_more_fit_points_allow_a_higher_degree():
    """exp(c) has all a_k = 1/k! > 0: at degree 120 the default 100 points are
    too few (refused, naming the count), 200 points fit it, and the fit's
    first coefficients are exp's own to the accuracy the print shows."""
    refused = run("exp(c)", "--degree", "120", "--signs", "positive")
    assert refused.exit_code == 2 and "100" in refused.output
    fitted = run("exp(c)", "--degree", "120", "--signs", "positive", "--points", "200")
    assert fitted.exit_code == 0, fitted.output
    a = [
        float(line.split()[1])
        for line in fitted.output.splitlines()
        if line.strip().startswith("a_")
    ]
    assert len(a) == 121
    np.testing.assert_allclose(a[:3], [1.0, 1.0, 0.5], atol=1e-6)
