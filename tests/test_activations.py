"""Activations as values: evaluation (NumPy and JAX), derivatives,
serialisation, fingerprints and the string parser."""

import hashlib
import json
import math

import numpy as np
import pytest
import scipy.special as sp

from revntk_core.kernels import (
    PAPER_ANSATZ,
    Activation,
    Ansatz,
    Constant,
    Cos,
    Erf,
    Exp,
    HermiteSeries,
    Identity,
    Relu,
    Scaled,
    Sin,
    Step,
    Sum,
    Tanh,
    activation_from_dict,
    fingerprint,
    parse_activation,
)

Z = np.linspace(-3.0, 3.0, 61) + 0.013  # avoids landing exactly on a kink

CASES = [
    (Relu(), lambda z: np.maximum(z, 0)),
    (Relu(0.5), lambda z: np.maximum(z - 0.5, 0)),
    (Step(0.2), lambda z: (z > 0.2).astype(float)),
    (Erf(), sp.erf),
    (Erf(1), lambda z: 2 / math.sqrt(math.pi) * np.exp(-z * z)),
    (Erf(2), lambda z: -4 * z / math.sqrt(math.pi) * np.exp(-z * z)),
    (Tanh(), np.tanh),
    (Tanh(1), lambda z: 1 / np.cosh(z) ** 2),
    (Sin(0.5, 6.0), lambda z: 0.5 * np.sin(6 * z)),
    (Cos(2.0, 1.5, 0.3), lambda z: 2 * np.cos(1.5 * z + 0.3)),
    (Exp(0.3, -1.2), lambda z: 0.3 * np.exp(-1.2 * z)),
    (Identity(), lambda z: z),
    (Constant(-0.7), lambda z: np.full_like(z, -0.7)),
    (
        HermiteSeries((1.0, 2.0, 3.0)),
        lambda z: 1 + 2 * z + 3 * (z * z - 1) / math.sqrt(2),
    ),
    (
        PAPER_ANSATZ,
        lambda z: (
            3.8001 * np.maximum(z - 1.06, 0)
            - 0.0794 * np.cos(11.8106 * z + 0.9341)
            + 0.0968 * z
            + 0.9010
        ),
    ),
    (Relu() + 2.0 * Sin(), lambda z: np.maximum(z, 0) + 2 * np.sin(z)),
    (Tanh() - 1.5, lambda z: np.tanh(z) - 1.5),
    (-Erf(), lambda z: -sp.erf(z)),
]


@pytest.mark.parametrize(("act", "ref"), CASES, ids=lambda a: getattr(a, "name", ""))
def test_numpy_values(act, ref):
    np.testing.assert_allclose(act(Z), ref(Z), rtol=1e-13, atol=1e-14)
    assert act(Z).dtype == np.float64


@pytest.mark.parametrize(("act", "ref"), CASES, ids=lambda a: getattr(a, "name", ""))
def test_jax_jit_vmap_grad(act, ref):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    z = jnp.asarray(Z, dtype=jnp.float32)
    out = jax.jit(act)(z)
    assert isinstance(out, jax.Array) and out.dtype == jnp.float32
    # float32 evaluation of O(1..10) values: 1e-5 relative
    np.testing.assert_allclose(np.asarray(out), ref(Z), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        np.asarray(jax.vmap(act)(z)), ref(Z), rtol=1e-5, atol=1e-5
    )
    g = jax.vmap(jax.grad(lambda t: act(t)))(z)
    assert np.all(np.isfinite(np.asarray(g)))


@pytest.mark.parametrize(("act", "ref"), CASES, ids=lambda a: getattr(a, "name", ""))
def test_derivative_matches_central_differences(act, ref):
    """h = 1e-6: error ~ h^2 phi''' + eps phi / h ~ 1e-9 relative, away from
    the kinks (no grid point within 0.01 of one)."""
    if isinstance(act, Step):
        with pytest.raises(NotImplementedError, match="Dirac"):
            act.derivative()
        return
    h = 1e-6
    fd = (ref(Z + h) - ref(Z - h)) / (2 * h)
    scale = 1 + np.abs(fd).max()
    np.testing.assert_allclose(act.derivative()(Z), fd, atol=1e-7 * scale)


def test_breakpoints():
    assert Relu().breakpoints == (0.0,)
    assert PAPER_ANSATZ.breakpoints == (1.06,)
    assert (Relu(1.0) + Step(-2.0) + Sin()).breakpoints == (-2.0, 1.0)
    assert Tanh().breakpoints == () and (0.0 * Relu()).breakpoints == ()


@pytest.mark.parametrize(("act", "ref"), CASES, ids=lambda a: getattr(a, "name", ""))
def test_dict_round_trip_and_fingerprint(act, ref):
    d = act.to_dict()
    text = json.dumps(d)
    back = activation_from_dict(json.loads(text))
    assert back == act
    assert back.fingerprint() == act.fingerprint() == fingerprint(act)
    np.testing.assert_array_equal(back(Z), act(Z))


def test_fingerprint_is_sha256_of_canonical_json_and_distinguishes():
    expected = hashlib.sha256(b'{"shift":0.0,"type":"relu"}').hexdigest()
    assert Relu().fingerprint() == expected
    assert Relu(-0.0).fingerprint() == expected
    assert Sin(1.0, 6.0).fingerprint() != Sin(1.0, 6.000001).fingerprint()
    assert Relu().fingerprint() != Step().fingerprint()


def test_operators_build_sum_and_scaled():
    s = Relu() + 2 * Tanh() - 1.0
    assert isinstance(s, Sum) and len(s.terms) == 3
    assert 3 * (2 * Relu()) == Scaled(6.0, Relu())
    assert Relu().__mul__("x") is NotImplemented


def test_values_are_immutable_and_validated():
    with pytest.raises(AttributeError):
        Relu().shift = 1.0
    with pytest.raises(ValueError, match="`frequency` must be finite"):
        Sin(1.0, math.inf)
    with pytest.raises(TypeError, match="`amplitude` must be a real number"):
        Sin("big")
    with pytest.raises(ValueError, match="`coeffs` must be"):
        HermiteSeries(())
    with pytest.raises(ValueError, match="`order` must be an int >= 0"):
        Erf(-1)
    with pytest.raises(ValueError, match="`type` must be one of"):
        activation_from_dict({"type": "softplus"})
    with pytest.raises(ValueError, match="bad fields"):
        activation_from_dict({"type": "relu", "slope": 2})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("relu", Relu()),
        ("ReLU(z)", Relu()),
        ("erf", Erf()),
        ("tanh", Tanh()),
        ("identity", Identity()),
        ("sin(6z)", Sin(1.0, 6.0)),
        ("0.5*sin(6z)", Sin(0.5, 6.0)),
        ("10 sin(6z)", Sin(10.0, 6.0)),
        ("10 * sin(6 * z)", Sin(10.0, 6.0)),
        ("-sin(z)", Sin(-1.0, 1.0)),
        ("cos(2z)", Cos(1.0, 2.0)),
        ("exp(z)", Exp(1.0, 1.0)),
        ("1e-1 exp(-2.5z)", Exp(0.1, -2.5)),
        ("ansatz:paper", PAPER_ANSATZ),
        ('{"type": "step", "shift": 1.0}', Step(1.0)),
        ({"type": "cos", "amplitude": 2.0, "frequency": 1.0, "phase": 0.0}, Cos(2.0)),
    ],
)
def test_parse_activation(text, expected):
    assert parse_activation(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "softplus",
        "sin(6x)",
        "__import__('os')",
        "sin(6z) + 1",
        "relu(z",
        "2**sin(z)",
        "",
    ],
)
def test_parse_activation_rejects_with_accepted_list(text):
    with pytest.raises(ValueError, match="not understood.*Accepted:.*relu"):
        parse_activation(text)


def test_parse_activation_other_errors():
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_activation("{relu}")
    with pytest.raises(TypeError, match="`spec` must be"):
        parse_activation(3.0)
    assert parse_activation(Relu()) == Relu()


def test_paper_ansatz_constant_and_expand():
    assert PAPER_ANSATZ == Ansatz(3.8001, 1.06, -0.0794, 11.8106, 0.9341, 0.0968, 0.901)
    np.testing.assert_allclose(PAPER_ANSATZ.expand()(Z), PAPER_ANSATZ(Z), rtol=1e-14)
    assert isinstance(PAPER_ANSATZ, Activation)
    assert "alpha=3.8001" in PAPER_ANSATZ.name
