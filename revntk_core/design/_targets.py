"""Target dot-product kernels K(c) as immutable values.

Four kinds: a power series ``sum_k a_k c^k`` (:class:`PowerSeries`), the
infinite-width kernel of a deep FCN (:class:`DeepKernel`), a weighted sum of
closed forms sinh(a c), cosh(a c), exp(a c), c^k (:class:`ClosedForm`), and
sampled (c, K) pairs (:class:`Sampled`). Every target has ``name`` (text that
:func:`revntk_core.design.parse_target` reads back, where one exists),
``evaluate(c)``, ``to_dict()`` and ``exact_coeffs(degree)``: the power-series
coefficients a_0..a_degree where they are known exactly, else ``None``.
"""

from __future__ import annotations

import csv
import math
import pathlib
from dataclasses import dataclass, field

import numpy as np

from revntk_core.design._deep import fcn_kernels
from revntk_core.kernels import Activation, activation_from_dict

__all__ = [
    "ClosedForm",
    "DeepKernel",
    "PowerSeries",
    "Sampled",
    "Target",
    "target_from_dict",
    "E1_TARGETS",
]

# Tolerance for cosines read from files: values up to this far outside [-1, 1]
# are rounding (e.g. a cosine printed from float32) and are clipped.
_COSINE_SLACK = 1e-9


def _fmt(x: float) -> str:
    return f"{x:.12g}"


def _poly_text(coeffs) -> str:
    """Readable polynomial text in c, e.g. '0.5*c^2+c' (parse_target reads it)."""
    parts = []
    for k, a in enumerate(coeffs):
        if a == 0:
            continue
        mag = abs(a)
        power = "" if k == 0 else ("c" if k == 1 else f"c^{k}")
        if k == 0:
            body = _fmt(mag)
        elif mag == 1:
            body = power
        else:
            body = f"{_fmt(mag)}*{power}"
        sign = "-" if a < 0 else "+"
        parts.append((sign, body))
    if not parts:
        return "0"
    text = ("-" if parts[0][0] == "-" else "") + parts[0][1]
    return text + "".join(f"{s}{b}" for s, b in parts[1:])


class Target:
    """Base of the target kernels; subclasses are frozen dataclasses."""

    @property
    def name(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def evaluate(self, c) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def exact_coeffs(self, degree: int) -> np.ndarray | None:
        """Exact power-series coefficients a_0..a_degree, or None if unknown."""
        return None

    @property
    def polynomial_degree(self) -> int | None:
        """Degree when the target is a polynomial exactly, else None."""
        return None

    @property
    def sample_points(self) -> np.ndarray | None:
        """The cosines where the target is known, for sampled targets only."""
        return None

    def to_dict(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclass(frozen=True)
class PowerSeries(Target):
    """K(c) = sum_k a_k c^k with given coefficients (any sign; design checks).

    Args:
        coeffs: a_0, a_1, ... as a tuple of floats.
    """

    coeffs: tuple[float, ...]

    def __post_init__(self):
        coeffs = tuple(float(a) for a in np.atleast_1d(self.coeffs))
        if not coeffs or not all(math.isfinite(a) for a in coeffs):
            raise ValueError(
                "`coeffs` must be a non-empty list of finite numbers; "
                f"got {self.coeffs!r}"
            )
        object.__setattr__(self, "coeffs", coeffs)

    @property
    def name(self) -> str:
        return _poly_text(self.coeffs)

    def evaluate(self, c) -> np.ndarray:
        c = np.asarray(c, dtype=np.float64)
        return np.polynomial.polynomial.polyval(c, np.asarray(self.coeffs))

    def exact_coeffs(self, degree: int) -> np.ndarray:
        out = np.zeros(max(degree + 1, len(self.coeffs)))
        out[: len(self.coeffs)] = self.coeffs
        return out

    @property
    def polynomial_degree(self) -> int:
        nonzero = np.flatnonzero(self.coeffs)
        return int(nonzero[-1]) if nonzero.size else 0

    def to_dict(self) -> dict:
        return {"type": "power_series", "coeffs": list(self.coeffs)}


@dataclass(frozen=True)
class DeepKernel(Target):
    """NNGP or NTK of a deep FCN on normalised inputs (see ``fcn_kernels``).

    Args:
        depth: number of hidden layers.
        activation: ``"relu"``, ``"erf"`` or an activation name/value that
            ``fcn_kernels`` accepts.
        W_std: hidden-layer sigma_w.
        b_std: hidden-layer sigma_b.
        kind: ``"ntk"`` or ``"nngp"``.
        readout_W_std: readout sigma_w.
        readout_b_std: readout sigma_b.
    """

    depth: int
    activation: str | Activation = "relu"
    W_std: float = math.sqrt(2.0)
    b_std: float = 0.1
    kind: str = "ntk"
    readout_W_std: float = 1.0
    readout_b_std: float = 0.0

    def __post_init__(self):
        if self.kind not in ("ntk", "nngp"):
            raise ValueError(f"`kind` must be 'ntk' or 'nngp'; got {self.kind!r}")
        if isinstance(self.activation, str):
            object.__setattr__(self, "activation", self.activation.strip().lower())
        # Validates depth, scales and activation once, at construction.
        self.evaluate(np.array([0.0]))

    @property
    def name(self) -> str:
        act = self.activation
        act_text = act if isinstance(act, str) else type(act).__name__.lower()
        if (
            self.W_std == math.sqrt(2.0)
            and self.b_std == 0.1
            and self.readout_W_std == 1.0
            and self.readout_b_std == 0.0
            and isinstance(act, str)
        ):
            return f"{self.kind}:{self.depth}hl-{act_text}"
        return (
            f"deep:{self.kind}:depth={self.depth},activation={act_text},"
            f"W_std={_fmt(self.W_std)},b_std={_fmt(self.b_std)},"
            f"readout_W_std={_fmt(self.readout_W_std)},"
            f"readout_b_std={_fmt(self.readout_b_std)}"
        )

    def evaluate(self, c) -> np.ndarray:
        nngp, ntk = fcn_kernels(
            c,
            depth=self.depth,
            activation=self.activation,
            W_std=self.W_std,
            b_std=self.b_std,
            readout_W_std=self.readout_W_std,
            readout_b_std=self.readout_b_std,
        )
        return ntk if self.kind == "ntk" else nngp

    def to_dict(self) -> dict:
        act = self.activation
        return {
            "type": "deep_kernel",
            "depth": self.depth,
            "activation": act if isinstance(act, str) else act.to_dict(),
            "W_std": self.W_std,
            "b_std": self.b_std,
            "kind": self.kind,
            "readout_W_std": self.readout_W_std,
            "readout_b_std": self.readout_b_std,
        }


# name -> (function of a*c, coefficient of c^k given a); "pow" uses a = k.
_FAMILIES = ("sinh", "cosh", "exp", "pow")


def _family_coeffs(name: str, a: float, degree: int) -> np.ndarray:
    out = np.zeros(degree + 1)
    if name == "pow":
        if int(a) <= degree:
            out[int(a)] = 1.0
        return out
    k = np.arange(degree + 1)
    taylor = np.exp(k * np.log(abs(a)) - np.array([math.lgamma(j + 1) for j in k]))
    if a == 0:
        taylor = (k == 0).astype(float)
    taylor = taylor * np.sign(a) ** k
    if name == "sinh":
        taylor[k % 2 == 0] = 0.0
    elif name == "cosh":
        taylor[k % 2 == 1] = 0.0
    return taylor


@dataclass(frozen=True)
class ClosedForm(Target):
    """K(c) = sum_i w_i f_i(a_i c) for f in sinh, cosh, exp, or c^k.

    Args:
        terms: tuple of ``(family, a, weight)`` with family one of ``"sinh"``,
            ``"cosh"``, ``"exp"`` (argument a*c) or ``"pow"`` (c^a, a a
            non-negative integer).

    Example:
        >>> ClosedForm((("sinh", 2.0, 1.0),)).name
        'sinh(2*c)'
    """

    terms: tuple[tuple[str, float, float], ...]

    def __post_init__(self):
        terms = []
        for term in self.terms:
            if len(term) != 3:
                raise ValueError(
                    f"`terms` entries must be (family, a, weight); got {term!r}"
                )
            fam, a, w = str(term[0]).lower(), float(term[1]), float(term[2])
            if fam not in _FAMILIES:
                raise ValueError(
                    f"`terms` family must be one of {_FAMILIES}; got {term[0]!r}"
                )
            if fam == "pow" and (a < 0 or a != int(a)):
                raise ValueError(f"`terms` power must be an integer >= 0; got {a!r}")
            if not (math.isfinite(a) and math.isfinite(w)):
                raise ValueError(f"`terms` values must be finite; got {term!r}")
            terms.append((fam, a, w))
        if not terms:
            raise ValueError("`terms` must hold at least one term; got none")
        object.__setattr__(self, "terms", tuple(terms))

    @classmethod
    def sinh(cls, a: float = 1.0) -> ClosedForm:
        return cls((("sinh", a, 1.0),))

    @classmethod
    def cosh(cls, a: float = 1.0) -> ClosedForm:
        return cls((("cosh", a, 1.0),))

    @classmethod
    def exp(cls, a: float = 1.0) -> ClosedForm:
        return cls((("exp", a, 1.0),))

    @classmethod
    def power(cls, k: int) -> ClosedForm:
        return cls((("pow", k, 1.0),))

    @property
    def name(self) -> str:
        parts = []
        for fam, a, w in self.terms:
            body = f"c^{int(a)}" if fam == "pow" else f"{fam}({_fmt(a)}*c)"
            if fam == "pow" and a == 1:
                body = "c"
            if fam == "pow" and a == 0:
                body = "1"
            mag = abs(w)
            text = body if mag == 1 else f"{_fmt(mag)}*{body}"
            parts.append(("-" if w < 0 else "+", text))
        head = ("-" if parts[0][0] == "-" else "") + parts[0][1]
        return head + "".join(s + t for s, t in parts[1:])

    def evaluate(self, c) -> np.ndarray:
        c = np.asarray(c, dtype=np.float64)
        total = np.zeros_like(c)
        funcs = {"sinh": np.sinh, "cosh": np.cosh, "exp": np.exp}
        for fam, a, w in self.terms:
            total = total + w * (c ** int(a) if fam == "pow" else funcs[fam](a * c))
        return total

    def exact_coeffs(self, degree: int) -> np.ndarray:
        out = np.zeros(degree + 1)
        for fam, a, w in self.terms:
            out += w * _family_coeffs(fam, a, degree)
        return out

    @property
    def polynomial_degree(self) -> int | None:
        if any(fam != "pow" for fam, _, _ in self.terms):
            return None
        top = max(int(a) for _, a, _ in self.terms)
        nonzero = np.flatnonzero(self.exact_coeffs(top))
        return int(nonzero[-1]) if nonzero.size else 0

    def to_dict(self) -> dict:
        return {"type": "closed_form", "terms": [list(t) for t in self.terms]}


@dataclass(frozen=True)
class Sampled(Target):
    """A kernel known only at sample points (c_i, K_i); linear between them.

    Args:
        c: cosines in [-1, 1].
        values: K(c_i), finite.
        source: where the samples came from (a file path), for names and errors.
    """

    c: tuple[float, ...]
    values: tuple[float, ...]
    source: str = field(default="", compare=False)

    def __post_init__(self):
        where = f" in {self.source}" if self.source else ""
        c = np.asarray(self.c, dtype=np.float64).ravel()
        v = np.asarray(self.values, dtype=np.float64).ravel()
        if c.shape != v.shape:
            raise ValueError(
                f"`c` and `values` must have the same length{where}; "
                f"got {c.size} and {v.size}"
            )
        if c.size < 2:
            raise ValueError(f"a sampled target needs >= 2 points{where}; got {c.size}")
        for label, arr in (("c", c), ("values", v)):
            bad = np.flatnonzero(~np.isfinite(arr))
            if bad.size:
                raise ValueError(
                    f"`{label}` must be finite{where}; "
                    f"point {bad[0]} is {arr[bad[0]]!r}"
                )
        bad = np.flatnonzero(np.abs(c) > 1.0 + _COSINE_SLACK)
        if bad.size:
            raise ValueError(
                f"`c` must lie in [-1, 1]{where}; point {bad[0]} is {c[bad[0]]!r}"
            )
        c = np.clip(c, -1.0, 1.0)
        object.__setattr__(self, "c", tuple(c.tolist()))
        object.__setattr__(self, "values", tuple(v.tolist()))

    @classmethod
    def from_file(cls, path) -> Sampled:
        """Read (c, K) pairs from a CSV (two columns, optional header) or NPZ.

        The NPZ must hold arrays ``c`` and ``K`` (or ``values``).

        Raises:
            ValueError: naming the file and row of the first bad entry.
            FileNotFoundError: if ``path`` does not exist.
        """
        path = pathlib.Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"sampled-kernel file not found: {path}")
        if path.suffix.lower() == ".npz":
            with np.load(path) as data:
                if "c" not in data or not ({"K", "values"} & set(data.files)):
                    raise ValueError(
                        f"{path}: an NPZ target needs arrays 'c' and 'K'; "
                        f"found {sorted(data.files)}"
                    )
                c = np.asarray(data["c"], dtype=np.float64)
                v = np.asarray(data["K" if "K" in data else "values"], np.float64)
            return cls(tuple(c.ravel()), tuple(v.ravel()), source=str(path))
        return cls(*_read_csv(path), source=str(path))

    @property
    def name(self) -> str:
        return (
            f"file:{self.source}" if self.source else f"sampled({len(self.c)} points)"
        )

    @property
    def sample_points(self) -> np.ndarray:
        return np.asarray(self.c)

    def evaluate(self, c) -> np.ndarray:
        c = np.asarray(c, dtype=np.float64)
        xs = np.asarray(self.c)
        order = np.argsort(xs, kind="stable")
        lo, hi = xs[order[0]], xs[order[-1]]
        if np.any((c < lo - _COSINE_SLACK) | (c > hi + _COSINE_SLACK)):
            raise ValueError(
                f"`c` must lie within the sampled range [{lo}, {hi}] of {self.name}"
            )
        return np.interp(c, xs[order], np.asarray(self.values)[order])

    def to_dict(self) -> dict:
        return {
            "type": "sampled",
            "c": list(self.c),
            "values": list(self.values),
            "source": self.source,
        }


def _read_csv(path: pathlib.Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    cs, vs = [], []
    with path.open(newline="") as handle:
        for row_no, row in enumerate(csv.reader(handle), start=1):
            cells = [cell.strip() for cell in row]
            if not cells or all(not cell for cell in cells) or cells[0].startswith("#"):
                continue
            if len(cells) != 2:
                raise ValueError(
                    f"{path}, row {row_no}: expected 2 columns (c, K); got {len(cells)}"
                )
            try:
                c, v = float(cells[0]), float(cells[1])
            except ValueError:
                if not cs and row_no == 1:  # a header row
                    continue
                raise ValueError(
                    f"{path}, row {row_no}: not a number in {row!r}"
                ) from None
            if not (math.isfinite(c) and math.isfinite(v)):
                raise ValueError(
                    f"{path}, row {row_no}: values must be finite; got {row!r}"
                )
            if abs(c) > 1.0 + _COSINE_SLACK:
                raise ValueError(
                    f"{path}, row {row_no}: c must lie in [-1, 1]; got {c!r}"
                )
            cs.append(c)
            vs.append(v)
    if len(cs) < 2:
        raise ValueError(
            f"{path}: a sampled target needs >= 2 rows of (c, K); got {len(cs)}"
        )
    return tuple(cs), tuple(vs)


def target_from_dict(data: dict) -> Target:
    """Rebuild a target from its ``to_dict()`` output."""
    kind = data.get("type")
    if kind == "power_series":
        return PowerSeries(tuple(data["coeffs"]))
    if kind == "closed_form":
        return ClosedForm(tuple(tuple(t) for t in data["terms"]))
    if kind == "sampled":
        return Sampled(tuple(data["c"]), tuple(data["values"]), data.get("source", ""))
    if kind == "deep_kernel":
        act = data["activation"]
        if isinstance(act, dict):
            act = activation_from_dict(act)
        fields = {k: v for k, v in data.items() if k not in ("type", "activation")}
        return DeepKernel(activation=act, **fields)
    raise ValueError(f"`data['type']` is not a known target type; got {kind!r}")


_SQRT2 = math.sqrt(2.0)

#: The seven SPEC E1 targets: deep kernels with hidden sigma_w = sqrt 2,
#: sigma_b = 0.1 and readout (1, 0), and four closed forms.
E1_TARGETS: dict[str, Target] = {
    "nngp:4hl-relu": DeepKernel(4, "relu", _SQRT2, 0.1, "nngp"),
    "ntk:4hl-relu": DeepKernel(4, "relu", _SQRT2, 0.1, "ntk"),
    "ntk:4hl-erf": DeepKernel(4, "erf", _SQRT2, 0.1, "ntk"),
    "c^3": PowerSeries((0.0, 0.0, 0.0, 1.0)),
    "c^4+c": PowerSeries((0.0, 1.0, 0.0, 0.0, 1.0)),
    "sinh(2c)": ClosedForm.sinh(2.0),
    "cosh(2c)": ClosedForm.cosh(2.0),
}
