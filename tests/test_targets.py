"""Target kernels: values, the text parser, sampled files."""

import math

import numpy as np
import pytest

from revntk_core.design import (
    E1_TARGETS,
    ClosedForm,
    DeepKernel,
    PowerSeries,
    Sampled,
    fcn_kernels,
    parse_target,
    target_from_dict,
)

C = np.cos(np.linspace(0.0, np.pi, 100))


@pytest.mark.parametrize(
    "text, coeffs",
    [
        ("c^3", (0, 0, 0, 1)),
        ("c^4+c", (0, 1, 0, 0, 1)),
        ("0.5*c^2+c", (0, 1, 0.5)),
        ("0.5 c**2 + c", (0, 1, 0.5)),
        ("c - c^2", (0, 1, -1)),
        ("-c + 2", (2, -1)),
        ("coeffs:1,0,0.5", (1, 0, 0.5)),
        ("1e-1*c^2 + 3c^2", (0, 0, 3.1)),
    ],
)
def test_polynomials_parse_to_power_series(text, coeffs):
    target = parse_target(text)
    assert isinstance(target, PowerSeries)
    assert target.coeffs == pytest.approx(tuple(float(a) for a in coeffs))


@pytest.mark.parametrize(
    "text, fn",
    [
        ("sinh(2c)", lambda c: np.sinh(2 * c)),
        ("cosh(2*c)", lambda c: np.cosh(2 * c)),
        ("exp(c)", np.exp),
        ("2*exp(0.5c) - 1", lambda c: 2 * np.exp(0.5 * c) - 1),
        ("sinh(c) + c^3", lambda c: np.sinh(c) + c**3),
    ],
)
def test_closed_forms_evaluate(text, fn):
    target = parse_target(text)
    assert isinstance(target, ClosedForm)
    np.testing.assert_allclose(target.evaluate(C), fn(C), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("text", ["sinh(2c)", "cosh(2c)", "exp(1.5c)", "sinh(c)+c^3"])
def test_closed_form_series_sums_to_the_function(text):
    """The exact Taylor coefficients, summed to degree 40, reproduce the function
    on [-1, 1]; the tail is below 3^41/41! ~ 1e-30, so 1e-13 is rounding."""
    target = parse_target(text)
    coeffs = target.exact_coeffs(40)
    series = np.polynomial.polynomial.polyval(C, coeffs)
    np.testing.assert_allclose(series, target.evaluate(C), rtol=1e-13, atol=1e-14)


def test_sinh_coefficients_closed_form():
    coeffs = ClosedForm.sinh(2.0).exact_coeffs(5)
    expected = [0, 2, 0, 8 / 6, 0, 32 / 120]
    np.testing.assert_allclose(coeffs, expected, rtol=1e-14)


def test_deep_shorthand_matches_e1_and_recursion():
    assert parse_target("ntk:4hl-relu") == E1_TARGETS["ntk:4hl-relu"]
    assert parse_target("nngp:4hl-relu") == E1_TARGETS["nngp:4hl-relu"]
    assert parse_target("ntk:4hl-erf") == E1_TARGETS["ntk:4hl-erf"]
    nngp, ntk = fcn_kernels(C, depth=4, activation="erf", W_std=math.sqrt(2), b_std=0.1)
    np.testing.assert_array_equal(E1_TARGETS["ntk:4hl-erf"].evaluate(C), ntk)


def test_deep_key_value_form():
    target = parse_target("deep:ntk:depth=4,activation=relu,W_std=1.414,b_std=0.1")
    assert target == DeepKernel(4, "relu", 1.414, 0.1, "ntk")
    # sigma_w 1.414 vs sqrt 2 changes the 4HL NTK by ~1e-3 relative at most.
    ref = E1_TARGETS["ntk:4hl-relu"].evaluate(C)
    np.testing.assert_allclose(target.evaluate(C), ref, rtol=2e-3)
    assert not np.allclose(target.evaluate(C), ref, rtol=1e-9, atol=0)


def test_e1_targets_are_the_seven():
    assert sorted(E1_TARGETS) == sorted(
        [
            "nngp:4hl-relu",
            "ntk:4hl-relu",
            "ntk:4hl-erf",
            "c^3",
            "c^4+c",
            "sinh(2c)",
            "cosh(2c)",
        ]
    )
    for key, target in E1_TARGETS.items():
        assert parse_target(key) == target


@pytest.mark.parametrize(
    "target",
    [
        PowerSeries((0.0, 1.0, -1.0)),
        PowerSeries((0.25, 0.0, 0.5)),
        ClosedForm((("sinh", 2.0, 1.0), ("pow", 3, -0.5))),
        ClosedForm.exp(0.5),
        DeepKernel(3, "erf", 1.5, 0.2, "nngp"),
        E1_TARGETS["ntk:4hl-relu"],
    ],
)
def test_name_and_dict_round_trip(target):
    assert parse_target(target.name) == target
    assert target_from_dict(target.to_dict()) == target


@pytest.mark.parametrize(
    "text, match",
    [
        ("c^", "integer power"),
        ("foo(c)", "unexpected character"),
        ("__import__('os').system('true')", "unexpected character"),
        ("c^2.5", "integers"),
        ("sinh(2)", "c inside the parentheses"),
        ("", "empty"),
        ("ntk:4hl", "not one of key=value"),
        ("deep:ntk:depth=x", "depth must be a int"),
        ("deep:ntk:W_std=1", "needs depth"),
        ("deep:xtk:depth=2", "'ntk' or 'nngp'"),
        ("coeffs:1,a", "comma-separated numbers"),
        ("zzz:1", "unknown prefix"),
    ],
)
def test_bad_text_is_a_clear_error(text, match):
    with pytest.raises(ValueError, match=match):
        parse_target(text)


def test_sampled_csv_round_trip(tmp_path):
    target = E1_TARGETS["ntk:4hl-relu"]
    path = tmp_path / "kernel.csv"
    rows = "\n".join(
        f"{float(c)!r},{float(k)!r}" for c, k in zip(C, target.evaluate(C), strict=True)
    )
    path.write_text("c,K\n" + rows + "\n")
    sampled = parse_target(f"file:{path}")
    assert isinstance(sampled, Sampled)
    assert sampled.name == f"file:{path}"
    np.testing.assert_array_equal(sampled.sample_points, C)
    np.testing.assert_array_equal(sampled.evaluate(C), target.evaluate(C))
    assert target_from_dict(sampled.to_dict()) == sampled


def test_sampled_npz_round_trip(tmp_path):
    path = tmp_path / "kernel.npz"
    np.savez(path, c=C, K=C**3)
    sampled = Sampled.from_file(path)
    np.testing.assert_array_equal(sampled.evaluate(C), C**3)
    # Linear interpolation between samples: error below max|K''| h^2 / 8.
    mid = np.linspace(-1, 1, 7)
    np.testing.assert_allclose(
        sampled.evaluate(mid), mid**3, atol=6 * (np.pi / 99) ** 2 / 8
    )


@pytest.mark.parametrize(
    "content, match",
    [
        ("c,K\n0.5,1\n1.5,2\n", r"row 3: c must lie in \[-1, 1\]"),
        ("0.5,1\n0.2,abc\n", "row 2: not a number"),
        ("0.5,1\n0.2,nan\n", "row 2: values must be finite"),
        ("0.5,1,3\n", "row 1: expected 2 columns"),
        ("c,K\n0.5,1\n", "needs >= 2 rows"),
    ],
)
def test_bad_csv_names_file_and_row(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=match) as info:
        Sampled.from_file(path)
    assert "bad.csv" in str(info.value)


def test_bad_npz_and_missing_file(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x=C)
    with pytest.raises(ValueError, match="arrays 'c' and 'K'"):
        Sampled.from_file(path)
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        parse_target(f"file:{tmp_path / 'missing.csv'}")


def test_sampled_evaluate_outside_range():
    sampled = Sampled((0.0, 0.5, 1.0), (0.0, 0.25, 1.0))
    with pytest.raises(ValueError, match="sampled range"):
        sampled.evaluate(np.array([-0.5]))
