"""Read a target kernel from a short text, for the command line.

A tokenizer and a recursive-descent parser over a fixed grammar; nothing is
ever evaluated as Python. Accepted forms:

- polynomials and closed forms in c: ``c^3``, ``c^4+c``, ``0.5*c^2 + c``,
  ``sinh(2c)``, ``cosh(2*c)``, ``exp(c)``, ``2*exp(0.5c) - 1``;
- ``coeffs:a0,a1,...`` for power-series coefficients;
- ``ntk:4hl-relu``, ``nngp:4hl-relu``, ``ntk:4hl-erf`` (L hidden layers,
  sigma_w = sqrt 2, sigma_b = 0.1, readout 1, 0);
- ``deep:ntk:depth=4,activation=relu,W_std=1.414,b_std=0.1`` (also
  ``readout_W_std``, ``readout_b_std``);
- ``file:path`` for sampled (c, K) values in a CSV or NPZ file.
"""

from __future__ import annotations

import math
import re

from revntk_core.design._targets import (
    ClosedForm,
    DeepKernel,
    PowerSeries,
    Sampled,
    Target,
)

__all__ = ["parse_target"]

_EXAMPLES = (
    "c^3, c^4+c, 0.5*c^2+c, sinh(2c), exp(c), coeffs:1,0,0.5, ntk:4hl-relu, "
    "deep:ntk:depth=4,activation=relu,W_std=1.414,b_std=0.1, file:kernel.csv"
)
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<func>sinh|cosh|exp)|(?P<var>c)|(?P<op>\*\*|[-+*^()]))"
)
_SHORTHAND = re.compile(r"(?P<depth>\d+)\s*hl-(?P<act>[a-z_]+)")
_DEEP_KEYS = {
    "depth": int,
    "activation": str,
    "W_std": float,
    "b_std": float,
    "readout_W_std": float,
    "readout_b_std": float,
}


class _Error(ValueError):
    pass


def _fail(text: str, why: str) -> ValueError:
    return ValueError(
        f"`target` {text!r} could not be read: {why}. Examples: {_EXAMPLES}"
    )


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if not match:
            raise _Error(f"unexpected character {stripped[pos]!r} at position {pos}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


class _Parser:
    """expr := [sign] term (sign term)*;  term := [num ['*']] atom | num;
    atom := 'c' [('^'|'**') int] | func '(' [num ['*']] 'c' ')'."""

    def __init__(self, tokens):
        self.tokens, self.i = tokens, 0

    def peek(self, kind=None, value=None):
        if self.i >= len(self.tokens):
            return None
        tok = self.tokens[self.i]
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            return None
        return tok

    def take(self, kind=None, value=None, what=""):
        tok = self.peek(kind, value)
        if tok is None:
            got = self.tokens[self.i] if self.i < len(self.tokens) else None
            where = f"{got[1]!r} at position {got[2]}" if got else "the end"
            raise _Error(f"expected {what or value or kind} but found {where}")
        self.i += 1
        return tok

    def expr(self):
        terms = []
        sign = 1.0
        if self.peek("op", "-") or self.peek("op", "+"):
            sign = -1.0 if self.take("op")[1] == "-" else 1.0
        terms.append(self.term(sign))
        while self.i < len(self.tokens):
            op = self.take("op", what="'+' or '-'")[1]
            if op not in "+-":
                raise _Error(f"expected '+' or '-' but found {op!r}")
            terms.append(self.term(-1.0 if op == "-" else 1.0))
        return terms

    def term(self, sign):
        weight = sign
        if self.peek("num"):
            weight *= float(self.take("num")[1])
            if self.peek("op", "*"):
                self.take("op", "*")
            elif not (self.peek("var") or self.peek("func")):
                return ("pow", 0, weight)
        if self.peek("var"):
            self.take("var")
            power = 1
            if self.peek("op", "^") or self.peek("op", "**"):
                self.take("op")
                num = self.take("num", what="an integer power")[1]
                if not re.fullmatch(r"\d+", num):
                    raise _Error(f"powers of c must be integers >= 0; got {num!r}")
                power = int(num)
            return ("pow", power, weight)
        func = self.take("func", what="c, a number, sinh, cosh or exp")[1]
        self.take("op", "(", what="'('")
        scale = 1.0
        if self.peek("num"):
            scale = float(self.take("num")[1])
            if self.peek("op", "*"):
                self.take("op", "*")
        self.take("var", what="c inside the parentheses")
        self.take("op", ")", what="')'")
        return (func, scale, weight)


def _parse_expression(text: str) -> Target:
    terms = _Parser(_tokenize(text)).expr()
    if all(fam == "pow" for fam, _, _ in terms):
        top = max(int(a) for _, a, _ in terms)
        coeffs = [0.0] * (top + 1)
        for _, a, w in terms:
            coeffs[int(a)] += w
        return PowerSeries(tuple(coeffs))
    return ClosedForm(tuple(terms))


def _parse_deep(kind: str, body: str, text: str) -> DeepKernel:
    if kind not in ("ntk", "nngp"):
        raise _fail(text, f"the kernel kind must be 'ntk' or 'nngp', not {kind!r}")
    short = _SHORTHAND.fullmatch(body.strip().lower())
    if short:
        return DeepKernel(int(short["depth"]), short["act"], math.sqrt(2.0), 0.1, kind)
    fields = {}
    for item in filter(None, (part.strip() for part in body.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in _DEEP_KEYS:
            raise _fail(
                text, f"{item!r} is not one of key=value with key in {list(_DEEP_KEYS)}"
            )
        try:
            fields[key] = _DEEP_KEYS[key](value.strip())
        except ValueError:
            raise _fail(text, f"{key} must be a {_DEEP_KEYS[key].__name__}") from None
    if "depth" not in fields:
        raise _fail(text, "a deep-kernel target needs depth=L")
    return DeepKernel(kind=kind, **fields)


def parse_target(text: str) -> Target:
    """Build a target kernel from text (grammar in the module docstring).

    Args:
        text: the target, e.g. ``"c^4+c"``, ``"sinh(2c)"``, ``"ntk:4hl-relu"``,
            ``"coeffs:1,0,0.5"`` or ``"file:kernel.csv"``.

    Returns:
        A :class:`PowerSeries` for polynomials and ``coeffs:``, a
        :class:`ClosedForm` when sinh/cosh/exp appear, a :class:`DeepKernel` or
        a :class:`Sampled` target.

    Raises:
        ValueError: naming the position and what was expected, with examples.
        FileNotFoundError: for ``file:`` with a missing file.

    Example:
        >>> parse_target("0.5*c^2+c").coeffs
        (0.0, 1.0, 0.5)
    """
    if not isinstance(text, str) or not text.strip():
        raise _fail(str(text), "it is empty")
    stripped = text.strip()
    head, colon, rest = stripped.partition(":")
    head = head.strip().lower()
    if colon and head == "file":
        return Sampled.from_file(rest.strip())
    if colon and head == "coeffs":
        try:
            coeffs = tuple(float(x) for x in rest.split(",") if x.strip())
        except ValueError:
            raise _fail(text, "coeffs must be comma-separated numbers") from None
        if not coeffs:
            raise _fail(text, "no coefficients given")
        return PowerSeries(coeffs)
    if colon and head == "deep":
        kind, _, body = rest.partition(":")
        return _parse_deep(kind.strip().lower(), body, text)
    if colon and head in ("ntk", "nngp"):
        return _parse_deep(head, rest, text)
    if colon:
        raise _fail(text, f"unknown prefix {head + ':'!r}")
    try:
        return _parse_expression(stripped.lower())
    except _Error as err:
        raise _fail(text, str(err)) from None
