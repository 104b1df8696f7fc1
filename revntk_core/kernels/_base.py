"""The :class:`Activation` base class and the values its operators build.

Every activation is a frozen dataclass. It evaluates on NumPy arrays (float64,
NumPy/SciPy math) and on JAX arrays and tracers (``jax.numpy``, so it can be
called inside ``jit``/``vmap``/``grad``); it knows its derivative, the points
where it or its derivative jumps (``breakpoints``), and its JSON form
(``to_dict``, :func:`activation_from_dict`), whose sha256 is its
:func:`fingerprint`. ``a + b``, ``a - b``, ``x * a`` and ``-a`` build
:class:`Sum` and :class:`Scaled` values (a plain number added becomes a
:class:`Constant`), so those three live here with the base class. The named
elementwise functions are in ``_activations``, Hermite series and the ansatz
in ``_composite``, and string/JSON parsing in ``_parse``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
from typing import Any, ClassVar

import numpy as np
import scipy.special

__all__ = ["Activation", "Constant", "Scaled", "Sum", "fingerprint"]


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


def fingerprint(activation: Activation) -> str:
    """sha256 hex digest of the canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(activation.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
