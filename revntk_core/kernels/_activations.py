"""Named elementwise activations: ReLU, step, erf, tanh, sin, cos, exp, z.

Each is an immutable value built on :class:`Activation` (see ``_base``);
``Erf`` and ``Tanh`` carry a derivative order so that every derivative of
them is again a value of the same class.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np

from revntk_core.kernels._base import (
    Activation,
    Constant,
    _backend,
    _fmt,
    _num,
    _order,
)

__all__ = ["Cos", "Erf", "Exp", "Identity", "Relu", "Sin", "Step", "Tanh"]


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
