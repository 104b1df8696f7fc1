"""Hermite basis, activations as values, and exact infinite-width 1HL kernels.

Public names:

- Hermite basis (``_hermite``): :func:`hermite_values`,
  :func:`hermite_coefficients`, :func:`hermite_to_monomial`,
  :func:`monomial_to_hermite`.
- Activations (``_activations``): the base class :class:`Activation` and the
  immutable values :class:`Relu`, :class:`Step`, :class:`Erf`, :class:`Tanh`,
  :class:`Sin`, :class:`Cos`, :class:`Exp`, :class:`Identity`,
  :class:`Constant`, :class:`HermiteSeries`, :class:`Ansatz`, :class:`Sum`,
  :class:`Scaled`; :func:`activation_from_dict`, :func:`parse_activation`,
  :func:`fingerprint` and the ansatz of SPEC eq. 29, :data:`PAPER_ANSATZ`.
- Kernels (``_onehl``): :func:`tau`, :func:`nngp_1hl`, :func:`ntk_1hl`,
  :func:`kernels_1hl`.
"""

from revntk_core.kernels._activations import (
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
from revntk_core.kernels._hermite import (
    hermite_coefficients,
    hermite_to_monomial,
    hermite_values,
    monomial_to_hermite,
)
from revntk_core.kernels._onehl import kernels_1hl, nngp_1hl, ntk_1hl, tau

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
