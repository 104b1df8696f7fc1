"""Activations from JSON dicts and short strings; nothing is ever evaluated.

:func:`activation_from_dict` inverts :meth:`Activation.to_dict`;
:func:`parse_activation` also accepts names and simple formulas through a
small regular-expression parser.
"""

from __future__ import annotations

import json
import re
from typing import Any

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
from revntk_core.kernels._base import Activation, Constant, Scaled, Sum
from revntk_core.kernels._composite import PAPER_ANSATZ, Ansatz, HermiteSeries

__all__ = ["activation_from_dict", "parse_activation"]


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
