"""Hermite basis, activations as values, and exact infinite-width 1HL kernels.

Public names:

- Hermite basis (``_hermite``): :func:`hermite_values`,
  :func:`hermite_coefficients`, :func:`hermite_to_monomial`,
  :func:`monomial_to_hermite`.
- Activations: the base class :class:`Activation` with :class:`Sum`,
  :class:`Scaled`, :class:`Constant` and :func:`fingerprint` (``_base``); the
  elementwise values :class:`Relu`, :class:`Step`, :class:`Erf`,
  :class:`Tanh`, :class:`Sin`, :class:`Cos`, :class:`Exp`, :class:`Identity`
  (``_activations``); :class:`HermiteSeries`, :class:`Ansatz` and the ansatz
  of SPEC eq. 29, :data:`PAPER_ANSATZ` (``_composite``);
  :func:`activation_from_dict`, :func:`parse_activation` (``_parse``).
- Kernels (``_onehl``, with ``_atoms``, ``_pairs``, ``_normal`` and
  ``_quadrature`` behind it): :func:`tau`, :func:`nngp_1hl`, :func:`ntk_1hl`,
  :func:`kernels_1hl`.
"""

from revntk_core.kernels._activations import (
    Cos,
    Erf,
    Exp,
    Identity,
    Relu,
    Sin,
    Step,
    Tanh,
)
from revntk_core.kernels._base import Activation, Constant, Scaled, Sum, fingerprint
from revntk_core.kernels._composite import PAPER_ANSATZ, Ansatz, HermiteSeries
from revntk_core.kernels._hermite import (
    hermite_coefficients,
    hermite_to_monomial,
    hermite_values,
    monomial_to_hermite,
)
from revntk_core.kernels._onehl import kernels_1hl, nngp_1hl, ntk_1hl, tau
from revntk_core.kernels._parse import activation_from_dict, parse_activation

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
    "hermite_coefficients",
    "hermite_to_monomial",
    "hermite_values",
    "kernels_1hl",
    "monomial_to_hermite",
    "nngp_1hl",
    "ntk_1hl",
    "parse_activation",
    "tau",
]
