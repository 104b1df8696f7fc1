"""Activations as immutable, serialisable, hashable values.

Every activation is a frozen dataclass. It evaluates on NumPy arrays (float64,
NumPy/SciPy math) and on JAX arrays and tracers (``jax.numpy``, so it can be
called inside ``jit``/``vmap``/``grad``); it knows its derivative, the points
where it or its derivative jumps (``breakpoints``), and its JSON form
(``to_dict``, :func:`activation_from_dict`), whose sha256 is its
:func:`fingerprint`. ``a + b``, ``a - b``, ``x * a`` and ``-a`` build
:class:`Sum` and :class:`Scaled` values. No string is ever evaluated:
:func:`parse_activation` is a small regular-expression parser.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import sys
from typing import Any, ClassVar

import numpy as np
import scipy.special

__all__ = [
    "PAPER_ANSATZ",
    "Activation",
    "Ansatz",
    "Constant",
    "Cos",
    "Erf",
    "Exp",
    "HermiteSeries",
    "Identity",
    "Relu",
    "Scaled",
    "Sin",
    "Step",
    "Sum",
    "Tanh",
    "activation_from_dict",
    "fingerprint",
    "parse_activation",
]


def _backend(z: Any) -> tuple[Any, Any, Any]:
    """(array module, erf, z as array): jax.numpy for JAX values, else NumPy."""
    jax = sys.modules.get("jax")
    if jax is not None and isinstance(z, jax.Array | jax.core.Tracer):
        import jax.numpy as jnp
        import jax.scipy.special as jsp

        return jnp, jsp.erf, z
    return np, scipy.special.erf, np.asarray(z, dtype=np.float64)


def _num(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float | np.number):
        raise TypeError(f"`{name}` must be a real number; got {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"`{name}` must be finite; got {x}")
    return x + 0.0  # maps -0.0 to 0.0 so equal values fingerprint equally


def _order(x: Any) -> int:
    if isinstance(x, bool) or not isinstance(x, int | np.integer) or x < 0:
        raise ValueError(f"`order` must be an int >= 0; got {x!r}")
    return int(x)


class Activation:
    """Base class of activation values phi: R -> R (elementwise)."""

    type_name: ClassVar[str] = ""

    def __call__(self, z: Any) -> Any:
        raise NotImplementedError

    def derivative(self) -> Activation:
        """phi' as an activation value."""
        raise NotImplementedError

    @property
    def breakpoints(self) -> tuple[float, ...]:
        """Sorted points where phi or phi' jumps (kinks and steps)."""
        return ()

    @property
    def name(self) -> str:
        """Short readable name, e.g. ``"0.5*sin(6z)"``."""
        return repr(self)

    def parts(self) -> tuple[Activation, ...]:
        """Leaves of the Sum/Scaled/Ansatz tree (scales not applied)."""
        return (self,)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict with a ``"type"`` key; inverse of
        :func:`activation_from_dict`."""
        d: dict[str, Any] = {"type": self.type_name}
        for f in dataclasses.fields(self):
            d[f.name] = getattr(self, f.name)
        return d

    def fingerprint(self) -> str:
        """sha256 hex digest of the canonical JSON of :meth:`to_dict`."""
        return fingerprint(self)

    def __add__(self, other: Any) -> Activation:
        if isinstance(other, int | float) and not isinstance(other, bool):
            other = Constant(other)
        if not isinstance(other, Activation):
            return NotImplemented
        left = self.terms if isinstance(self, Sum) else (self,)
        right = other.terms if isinstance(other, Sum) else (other,)
        return Sum(left + right)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Activation:
        return self + (-1.0) * other

    def __rsub__(self, other: Any) -> Activation:
        return (-1.0) * self + other

    def __mul__(self, factor: Any) -> Activation:
        if isinstance(factor, bool) or not isinstance(factor, int | float | np.number):
            return NotImplemented
        if isinstance(self, Scaled):
            return Scaled(float(factor) * self.factor, self.inner)
        return Scaled(float(factor), self)

    __rmul__ = __mul__

    def __neg__(self) -> Activation:
        return (-1.0) * self


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclasses.dataclass(frozen=True)
class Relu(Activation):
    """ReLU(z - shift) = max(z - shift, 0)."""

    shift: float = 0.0
    type_name: ClassVar[str] = "relu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "shift", _num(self.shift, "shift"))

    def __call__(self, z: Any) -> Any:
        xp, _, z = _backend(z)
        return xp.maximum(z - self.shift, 0.0)

    def derivative(self) -> Activation:
        return Step(self.shift)

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (self.shift,)

    @property
    def name(self) -> str:
        return "relu" if self.shift == 0 else f"relu(z-{_fmt(self.shift)})"


@dataclasses.dataclass(frozen=True)
class Step(Activation):
    """Heaviside step 1[z > shift] (derivative of Relu; value 0 at the jump)."""

    shift: float = 0.0
    type_name: ClassVar[str] = "step"

    def __post_init__(self) -> None:
        object.__setattr__(self, "shift", _num(self.shift, "shift"))

    def __call__(self, z: Any) -> Any:
        xp, _, z = _backend(z)
        return xp.where(z > self.shift, 1.0, 0.0).astype(z.dtype)

    def derivative(self) -> Activation:
        raise NotImplementedError(
            "Step has a Dirac-delta derivative, which is not an activation value"
        )

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (self.shift,)

    @property
    def name(self) -> str:
        return "step" if self.shift == 0 else f"step(z-{_fmt(self.shift)})"


@dataclasses.dataclass(frozen=True)
class Erf(Activation):
    """d^order/dz^order erf(z); order 0 is erf itself.

    For order n >= 1 this is (2/sqrt(pi)) (-1)^(n-1) H_{n-1}(z) exp(-z^2),
    with H the physicists' Hermite polynomials.
    """

    order: int = 0
    type_name: ClassVar[str] = "erf"

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", _order(self.order))

    def __call__(self, z: Any) -> Any:
        xp, erf, z = _backend(z)
        if self.order == 0:
            return erf(z)
        h_prev, h = 0.0 * z, 1.0 + 0.0 * z  # physicists' H_{-1}, H_0
        for m in range(self.order - 1):
            h_prev, h = h, 2.0 * z * h - 2.0 * m * h_prev
        sign = -1.0 if self.order % 2 == 0 else 1.0
        return (sign * 2.0 / math.sqrt(math.pi)) * h * xp.exp(-z * z)

    def derivative(self) -> Activation:
        return Erf(self.order + 1)

    @property
    def name(self) -> str:
        return "erf" + "'" * self.order


def _tanh_poly(order: int) -> np.ndarray:
    """Coefficients (ascending) of P with d^order/dz^order tanh z = P(tanh z)."""
    p = np.array([0.0, 1.0])
    for _ in range(order):
        dp = np.polynomial.polynomial.polyder(p)
        p = np.polynomial.polynomial.polymul(dp, [1.0, 0.0, -1.0])
    return p


@dataclasses.dataclass(frozen=True)
class Tanh(Activation):
    """d^order/dz^order tanh(z), written as a polynomial in tanh(z)."""

    order: int = 0
    type_name: ClassVar[str] = "tanh"

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", _order(self.order))

    def __call__(self, z: Any) -> Any:
        xp, _, z = _backend(z)
        t = xp.tanh(z)
        out = 0.0 * t
        for coef in _tanh_poly(self.order)[::-1]:
            out = out * t + float(coef)
        return out

    def derivative(self) -> Activation:
        return Tanh(self.order + 1)

    @property
    def name(self) -> str:
        return "tanh" + "'" * self.order


@dataclasses.dataclass(frozen=True)
class Sin(Activation):
    """amplitude * sin(frequency * z + phase)."""

    amplitude: float = 1.0
    frequency: float = 1.0
    phase: float = 0.0
    type_name: ClassVar[str] = "sin"

    def __post_init__(self) -> None:
        for f in ("amplitude", "frequency", "phase"):
            object.__setattr__(self, f, _num(getattr(self, f), f))

    def __call__(self, z: Any) -> Any:
        xp, _, z = _backend(z)
        return self.amplitude * xp.sin(self.frequency * z + self.phase)

    def derivative(self) -> Activation:
        return Cos(self.amplitude * self.frequency, self.frequency, self.phase)

    @property
    def name(self) -> str:
        return _trig_name("sin", self.amplitude, self.frequency, self.phase)


@dataclasses.dataclass(frozen=True)
class Cos(Activation):
    """amplitude * cos(frequency * z + phase)."""

    amplitude: float = 1.0
    frequency: float = 1.0
    phase: float = 0.0
    type_name: ClassVar[str] = "cos"

    def __post_init__(self) -> None:
        for f in ("amplitude", "frequency", "phase"):
            object.__setattr__(self, f, _num(getattr(self, f), f))

    def __call__(self, z: Any) -> Any:
        xp, _, z = _backend(z)
        return self.amplitude * xp.cos(self.frequency * z + self.phase)

    def derivative(self) -> Activation:
        return Sin(-self.amplitude * self.frequency, self.frequency, self.phase)

    @property
    def name(self) -> str:
        return _trig_name("cos", self.amplitude, self.frequency, self.phase)


def _trig_name(fn: str, amp: float, freq: float, phase: float) -> str:
    arg = "z" if freq == 1 else f"{_fmt(freq)}z"
    if phase:
        arg += f"{phase:+g}"
    return (f"{_fmt(amp)}*" if amp != 1 else "") + f"{fn}({arg})"


@dataclasses.dataclass(frozen=True)
class Exp(Activation):
    """amplitude * exp(frequency * z)."""

    amplitude: float = 1.0
    frequency: float = 1.0
    type_name: ClassVar[str] = "exp"

    def __post_init__(self) -> None:
        for f in ("amplitude", "frequency"):
            object.__setattr__(self, f, _num(getattr(self, f), f))

    def __call__(self, z: Any) -> Any:
        xp, _, z = _backend(z)
        return self.amplitude * xp.exp(self.frequency * z)

    def derivative(self) -> Activation:
        return Exp(self.amplitude * self.frequency, self.frequency)

    @property
    def name(self) -> str:
        return _trig_name("exp", self.amplitude, self.frequency, 0.0)


@dataclasses.dataclass(frozen=True)
class Identity(Activation):
    """phi(z) = z."""

    type_name: ClassVar[str] = "identity"

    def __call__(self, z: Any) -> Any:
        _, _, z = _backend(z)
        return 1.0 * z

    def derivative(self) -> Activation:
        return Constant(1.0)

    @property
    def name(self) -> str:
        return "identity"


@dataclasses.dataclass(frozen=True)
class Constant(Activation):
    """phi(z) = value."""

    value: float = 0.0
    type_name: ClassVar[str] = "constant"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _num(self.value, "value"))

    def __call__(self, z: Any) -> Any:
        xp, _, z = _backend(z)
        return xp.full_like(z, self.value)

    def derivative(self) -> Activation:
        return Constant(0.0)

    @property
    def name(self) -> str:
        return _fmt(self.value)


@dataclasses.dataclass(frozen=True)
class HermiteSeries(Activation):
    """phi(z) = sum_k coeffs[k] h_k(z) (normalised probabilist's Hermite)."""

    coeffs: tuple[float, ...] = (0.0,)
    type_name: ClassVar[str] = "hermite"

    def __post_init__(self) -> None:
        raw = np.asarray(self.coeffs, dtype=np.float64)
        if raw.ndim != 1 or raw.size == 0 or not np.all(np.isfinite(raw)):
            raise ValueError(
                "`coeffs` must be a non-empty 1-D sequence of finite numbers; "
                f"got {self.coeffs!r}"
            )
        object.__setattr__(self, "coeffs", tuple(float(x) + 0.0 for x in raw))

    def __call__(self, z: Any) -> Any:
        _, _, z = _backend(z)
        h_prev, h = 0.0 * z, 1.0 + 0.0 * z
        out = self.coeffs[0] * h
        for k in range(1, len(self.coeffs)):
            h_prev, h = h, (z * h - math.sqrt(k - 1) * h_prev) / math.sqrt(k)
            out = out + self.coeffs[k] * h
        return out

    def derivative(self) -> Activation:
        b = self.coeffs
        new = [math.sqrt(k) * b[k] for k in range(1, len(b))]  # h_k' = sqrt(k) h_{k-1}
        return HermiteSeries(tuple(new) if new else (0.0,))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "coeffs": list(self.coeffs)}

    @property
    def name(self) -> str:
        return f"hermite(degree={len(self.coeffs) - 1})"


@dataclasses.dataclass(frozen=True)
class Ansatz(Activation):
    """SPEC eq. 19: alpha ReLU(z-beta) + gamma cos(delta z+epsilon) + zeta z + eta."""

    alpha: float
    beta: float
    gamma: float
    delta: float
    epsilon: float
    zeta: float
    eta: float
    type_name: ClassVar[str] = "ansatz"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _num(getattr(self, f.name), f.name))

    def expand(self) -> Sum:
        """The same function as a Sum of named parts."""
        return Sum(
            (
                Scaled(self.alpha, Relu(self.beta)),
                Cos(self.gamma, self.delta, self.epsilon),
                Scaled(self.zeta, Identity()),
                Constant(self.eta),
            )
        )

    def __call__(self, z: Any) -> Any:
        xp, _, z = _backend(z)
        return (
            self.alpha * xp.maximum(z - self.beta, 0.0)
            + self.gamma * xp.cos(self.delta * z + self.epsilon)
            + self.zeta * z
            + self.eta
        )

    def derivative(self) -> Activation:
        return self.expand().derivative()

    def parts(self) -> tuple[Activation, ...]:
        return self.expand().parts()

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (self.beta,)

    @property
    def name(self) -> str:
        return (
            "ansatz("
            + ", ".join(
                f"{f.name}={_fmt(getattr(self, f.name))}"
                for f in dataclasses.fields(self)
            )
            + ")"
        )


@dataclasses.dataclass(frozen=True)
class Sum(Activation):
    """phi(z) = sum of the terms' values."""

    terms: tuple[Activation, ...]
    type_name: ClassVar[str] = "sum"

    def __post_init__(self) -> None:
        terms = tuple(self.terms)
        if not terms or not all(isinstance(t, Activation) for t in terms):
            raise TypeError(
                f"`terms` must be a non-empty sequence of Activation; got {terms!r}"
            )
        object.__setattr__(self, "terms", terms)

    def __call__(self, z: Any) -> Any:
        out = self.terms[0](z)
        for t in self.terms[1:]:
            out = out + t(z)
        return out

    def derivative(self) -> Activation:
        return Sum(tuple(t.derivative() for t in self.terms))

    def parts(self) -> tuple[Activation, ...]:
        return tuple(p for t in self.terms for p in t.parts())

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return tuple(sorted({b for t in self.terms for b in t.breakpoints}))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "terms": [t.to_dict() for t in self.terms]}

    @property
    def name(self) -> str:
        return " + ".join(t.name for t in self.terms)


@dataclasses.dataclass(frozen=True)
class Scaled(Activation):
    """phi(z) = factor * inner(z)."""

    factor: float
    inner: Activation
    type_name: ClassVar[str] = "scaled"

    def __post_init__(self) -> None:
        object.__setattr__(self, "factor", _num(self.factor, "factor"))
        if not isinstance(self.inner, Activation):
            raise TypeError(f"`inner` must be an Activation; got {self.inner!r}")

    def __call__(self, z: Any) -> Any:
        return self.factor * self.inner(z)

    def derivative(self) -> Activation:
        return Scaled(self.factor, self.inner.derivative())

    def parts(self) -> tuple[Activation, ...]:
        return self.inner.parts()

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return self.inner.breakpoints if self.factor != 0 else ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "factor": self.factor,
            "inner": self.inner.to_dict(),
        }

    @property
    def name(self) -> str:
        return f"{_fmt(self.factor)}*({self.inner.name})"


_TYPES: dict[str, type[Activation]] = {
    cls.type_name: cls
    for cls in (
        Relu, Step, Erf, Tanh, Sin, Cos, Exp, Identity, Constant,
        HermiteSeries, Ansatz, Sum, Scaled,
    )
}  # fmt: skip


def activation_from_dict(d: dict[str, Any]) -> Activation:
    """Rebuild an activation from :meth:`Activation.to_dict` output.

    Raises:
        ValueError: for an unknown ``"type"`` or unknown/missing fields.
    """
    if not isinstance(d, dict) or "type" not in d:
        raise ValueError(f"`d` must be a dict with a 'type' key; got {d!r}")
    kind = d["type"]
    if kind not in _TYPES:
        raise ValueError(f"`type` must be one of {sorted(_TYPES)}; got {kind!r}")
    fields = {k: v for k, v in d.items() if k != "type"}
    try:
        if kind == "sum":
            return Sum(tuple(activation_from_dict(t) for t in fields["terms"]))
        if kind == "scaled":
            return Scaled(fields["factor"], activation_from_dict(fields["inner"]))
        if kind == "hermite":
            return HermiteSeries(tuple(fields["coeffs"]))
        return _TYPES[kind](**fields)
    except (KeyError, TypeError) as err:
        raise ValueError(f"bad fields for activation type {kind!r}: {err}") from err


def fingerprint(activation: Activation) -> str:
    """sha256 hex digest of the canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(activation.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


PAPER_ANSATZ = Ansatz(3.8001, 1.0600, -0.0794, 11.8106, 0.9341, 0.0968, 0.9010)
"""The ansatz phi~ of SPEC eq. 19 with the parameters of SPEC eq. 29."""

_NAMED: dict[str, Activation] = {
    "relu": Relu(),
    "step": Step(),
    "heaviside": Step(),
    "erf": Erf(),
    "tanh": Tanh(),
    "identity": Identity(),
    "linear": Identity(),
    "sin": Sin(),
    "cos": Cos(),
    "exp": Exp(),
    "ansatz:paper": PAPER_ANSATZ,
}
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?"
_FORM = re.compile(
    rf"^(?P<amp>{_NUMBER}|[+-])?\s*\*?\s*(?P<fn>sin|cos|exp)\s*\(\s*"
    rf"(?P<freq>{_NUMBER}|[+-])?\s*\*?\s*z\s*\)$"
)
_ACCEPTED = (
    "a name (" + ", ".join(sorted(_NAMED)) + "), optionally called on z as in "
    "'relu(z)'; 'A*sin(Fz)', 'A sin(Fz)', 'sin(Fz)' and the same with cos or "
    "exp (A, F plain numbers, e.g. '0.5*sin(6z)', '10 sin(6z)', 'exp(z)'); "
    "a JSON object from Activation.to_dict(); or an Activation"
)


def parse_activation(spec: str | dict[str, Any] | Activation) -> Activation:
    """Activation from a name, a simple formula, a JSON object or a dict.

    Accepted: names ``relu``, ``step``, ``heaviside``, ``erf``, ``tanh``,
    ``identity``, ``linear``, ``sin``, ``cos``, ``exp``, ``ansatz:paper``
    (also as ``name(z)``); ``A*sin(Fz)`` / ``A sin(Fz)`` / ``sin(Fz)`` and the
    same for ``cos``, ``exp`` with plain numbers A, F; a JSON object string or
    dict as written by :meth:`Activation.to_dict`. Nothing is evaluated.

    Raises:
        ValueError: for anything else, listing what is accepted.

    Example:
        >>> parse_activation("0.5*sin(6z)")
        Sin(amplitude=0.5, frequency=6.0, phase=0.0)
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, dict):
        return activation_from_dict(spec)
    if not isinstance(spec, str):
        raise TypeError(f"`spec` must be a str, dict or Activation; got {spec!r}")
    text = " ".join(spec.strip().lower().split())
    if text.startswith("{"):
        try:
            return activation_from_dict(json.loads(text))
        except json.JSONDecodeError as err:
            raise ValueError(f"`spec` is not valid JSON ({err}): {spec!r}") from err
    bare = re.sub(r"\s*\(\s*z\s*\)$", "", text)
    if bare in _NAMED and bare != "ansatz:paper" or text == "ansatz:paper":
        return _NAMED[bare]
    m = _FORM.match(text)
    if m is None:
        raise ValueError(f"`spec` not understood: {spec!r}. Accepted: {_ACCEPTED}")
    amp, freq = (_signed(m.group(g)) for g in ("amp", "freq"))
    cls = {"sin": Sin, "cos": Cos, "exp": Exp}[m.group("fn")]
    return cls(amplitude=amp, frequency=freq)


def _signed(text: str | None) -> float:
    if text is None or text == "+":
        return 1.0
    if text == "-":
        return -1.0
    return float(text)
