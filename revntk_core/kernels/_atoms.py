"""Activations split into atoms, the terms the 1HL kernel integrals pair up.

An atom is one of: a constant, z, (z - b)_+, 1[z > b], exp(-p z^2 + w z)
with complex w (which covers sin, cos, exp and erf'), erf, or a "generic"
activation (tanh, erf'' and higher, a Hermite series) kept as a whole.
:func:`_atoms` writes an activation as {atom: coefficient}.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import scipy.special as sp

from revntk_core.kernels._activations import (
    Cos,
    Erf,
    Exp,
    Identity,
    Relu,
    Sin,
    Step,
)
from revntk_core.kernels._base import Activation, Constant, Scaled, Sum
from revntk_core.kernels._composite import Ansatz, HermiteSeries

_CONST, _LIN, _RELU, _STEP, _GEXP, _ERF, _GEN = range(7)


@dataclasses.dataclass(frozen=True)
class _Atom:
    kind: int
    shift: float = 0.0
    p: float = 0.0
    w: complex = 0.0
    act: Activation | None = None

    @property
    def kinks(self) -> tuple[float, ...]:
        return (self.shift,) if self.kind in (_RELU, _STEP) else ()

    @property
    def degree(self) -> int:
        return len(self.act.coeffs) - 1 if isinstance(self.act, HermiteSeries) else 0

    def __call__(self, z: np.ndarray) -> np.ndarray:
        if self.kind == _CONST:
            return np.ones_like(z)
        if self.kind == _LIN:
            return z
        if self.kind == _RELU:
            return np.maximum(z - self.shift, 0.0)
        if self.kind == _STEP:
            return (z > self.shift).astype(np.float64)
        if self.kind == _GEXP:
            return np.exp(-self.p * z * z + self.w * z)
        if self.kind == _ERF:
            return sp.erf(z)
        return np.asarray(self.act(z), dtype=np.float64)


def _atoms(act: Activation, scale: complex = 1.0) -> dict[_Atom, complex]:
    """Split ``act`` into {atom: coefficient}, merging equal atoms."""
    out: dict[_Atom, complex] = {}

    def add(atom: _Atom, coef: complex) -> None:
        if atom.kind == _GEXP and atom.p == 0 and atom.w == 0:
            atom = _Atom(_CONST)
        out[atom] = out.get(atom, 0.0) + coef

    def walk(a: Activation, s: complex) -> None:
        if isinstance(a, Sum):
            for t in a.terms:
                walk(t, s)
        elif isinstance(a, Scaled):
            walk(a.inner, s * a.factor)
        elif isinstance(a, Ansatz):
            walk(a.expand(), s)
        elif isinstance(a, Constant):
            add(_Atom(_CONST), s * a.value)
        elif isinstance(a, Identity):
            add(_Atom(_LIN), s)
        elif isinstance(a, Relu):
            add(_Atom(_RELU, shift=a.shift), s)
        elif isinstance(a, Step):
            add(_Atom(_STEP, shift=a.shift), s)
        elif isinstance(a, Sin | Cos):
            # a sin(fz + ph) = a (e^{i(fz+ph)} - e^{-i(fz+ph)}) / 2i; cos with +, /2
            e = np.exp(1j * a.phase)
            plus, minus = (
                (e / 2j, -np.conj(e) / 2j)
                if isinstance(a, Sin)
                else (e / 2, np.conj(e) / 2)
            )
            add(_Atom(_GEXP, w=1j * a.frequency), s * a.amplitude * plus)
            add(_Atom(_GEXP, w=-1j * a.frequency), s * a.amplitude * minus)
        elif isinstance(a, Exp):
            add(_Atom(_GEXP, w=complex(a.frequency)), s * a.amplitude)
        elif isinstance(a, Erf) and a.order == 0:
            add(_Atom(_ERF), s)
        elif isinstance(a, Erf) and a.order == 1:
            add(_Atom(_GEXP, p=1.0), s * 2.0 / math.sqrt(math.pi))
        else:
            add(_Atom(_GEN, act=a), s)

    walk(act, scale)
    return {k: v for k, v in out.items() if v != 0}
