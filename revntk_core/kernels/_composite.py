"""Activations given by coefficients: Hermite series and the paper's ansatz."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np

from revntk_core.kernels._activations import Cos, Identity, Relu
from revntk_core.kernels._base import (
    Activation,
    Constant,
    Scaled,
    Sum,
    _backend,
    _fmt,
    _num,
)

__all__ = ["PAPER_ANSATZ", "Ansatz", "HermiteSeries"]


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


PAPER_ANSATZ = Ansatz(3.8001, 1.0600, -0.0794, 11.8106, 0.9341, 0.0968, 0.9010)
"""The ansatz phi~ of SPEC eq. 19 with the parameters of SPEC eq. 29."""
