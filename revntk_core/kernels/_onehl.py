"""Exact infinite-width kernels of one-hidden-layer (1HL) networks.

Everything here is NumPy float64, whatever JAX's x64 flag says.

**Method.** The dual activation (SPEC eq. 5)

.. math::

    \\tau_{\\phi,\\psi}(q_1, q_2, q_{12}) = \\mathbb{E}[\\phi(z_1)\\,\\psi(z_2)],
    \\quad (z_1, z_2) \\sim N\\Big(0, \\begin{pmatrix} q_1 & q_{12} \\\\
    q_{12} & q_2 \\end{pmatrix}\\Big)

is bilinear in (phi, psi). Each activation is split into *atoms* (constant,
z, (z - b)_+, 1[z > b], exp(-p z^2 + w z) with complex w, which covers sin,
cos, exp and erf', erf, and "generic" smooth functions such as tanh or a
Hermite series), and tau is the sum over pairs of atoms. Almost every pair
has a closed form, exact at every correlation including rho = +-1:

- arc-cosine kernels for (z)_+ and 1[z > 0], and for shifted kinks the
  bivariate-normal orthant probability through Owen's T function with the
  truncated-moment formulas of Rosenbaum (1961);
- Gaussian integrals of exp(-p z^2 + w z) pairs, Stein's lemma for z;
- a Cameron-Martin shift, E[f(z1) e^{w z2}] = e^{w^2 q2/2} E[f(z1 + w q12)],
  with the complex normal CDF (through ``erfcx``) for kink x sin/cos/exp;
- (2/pi) arcsin for erf x erf.

The remaining pairs (tanh, erf'' and higher, Hermite series, or erf against a
kink) use a 2-D product quadrature: Gauss-Hermite in the conditional variable,
and in the other variable Gauss-Hermite, or composite Gauss-Legendre split at
the kink when that side has one. Its error is below 1e-12 for the activations
above with q <= 4 (checked against adaptive quadrature in the tests).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import scipy.special as sp

from revntk_core.kernels._activations import (
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
)

__all__ = ["kernels_1hl", "nngp_1hl", "ntk_1hl", "tau"]

_CONST, _LIN, _RELU, _STEP, _GEXP, _ERF, _GEN = range(7)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# Quadrature of the generic path: Gauss-Hermite nodes per dimension (at least
# degree + 2 for a Hermite series, which makes it exact), Gauss-Legendre order
# per unit-width panel on kinked sides, and the half-width in standard
# deviations (exp(-14^2/2) ~ 1e-43) beyond sqrt(4 degree + 2).
_N_GAUSS_HERMITE = 120
_MAX_GAUSS_HERMITE = 600
_PANEL_ORDER = 20
_TAIL = 14.0
_CHUNK = 2_000_000  # elements per temporary array of the quadrature


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


def _pdf(t: Any) -> Any:
    return np.exp(-0.5 * t * t) * _INV_SQRT_2PI


def _q(t: Any) -> Any:
    return sp.ndtr(-t)


def _exp_cdf(a: Any, t: Any) -> Any:
    """e^a Phi(t) for complex a, t without overflow (via erfcx)."""
    a, t = np.broadcast_arrays(np.asarray(a, complex), np.asarray(t, complex))
    low = t.real < 0
    r2 = math.sqrt(2.0)
    with np.errstate(over="ignore", invalid="ignore"):  # in the unused branch
        g = 0.5 * np.exp(a - 0.5 * t * t)
        return np.where(low, g * sp.erfcx(-t / r2), np.exp(a) - g * sp.erfcx(t / r2))


def _orthant(a: np.ndarray, b: np.ndarray, rho: np.ndarray) -> dict[str, np.ndarray]:
    """Truncated moments of standard (X, Y), corr rho, on {X > a, Y > b}.

    Returns L = P(X > a, Y > b) and the first and mixed moments
    E[X 1], E[Y 1], E[XY 1] (Rosenbaum 1961), exact also at rho = +-1.
    """
    a, b, rho = np.broadcast_arrays(a, b, rho)
    one_m = 1.0 - rho
    s = np.sqrt(np.maximum(one_m * (1.0 + rho), 0.0))
    deg = s == 0.0
    s_safe = np.where(deg, 1.0, s)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # a' = (b - rho a)/s, b' = (a - rho b)/s, written to avoid cancellation
        ap = ((b - a) + one_m * a) / s_safe
        bp = ((a - b) + one_m * b) / s_safe
        h, k = -a, -b
        big_l = 0.5 * sp.ndtr(h) + 0.5 * sp.ndtr(k)
        big_l -= _owen(h, -ap) + _owen(k, -bp)
        big_l -= np.where((h * k < 0) | ((h * k == 0) & (h + k < 0)), 0.5, 0.0)
        zero = (h == 0) & (k == 0)
        big_l = np.where(zero, 0.25 + np.arcsin(rho) / (2 * math.pi), big_l)
        qa, qb = _q(ap), _q(bp)
        fa, fb = _pdf(a), _pdf(b)
        ex = fa * qa + rho * fb * qb
        ey = fb * qb + rho * fa * qa
        r2 = ((a - b) ** 2 + 2.0 * one_m * a * b) / (s_safe * s_safe)
        exy = rho * (big_l + a * fa * qa + b * fb * qb) + s * _pdf(np.sqrt(r2)) * (
            _INV_SQRT_2PI
        )
    if np.any(deg):
        up = rho > 0
        m = np.where(up, np.maximum(a, b), a)
        v = -b  # at rho = -1, Y = -X and the event is a < X < v
        mass = np.where(up, _q(m), np.maximum(sp.ndtr(v) - sp.ndtr(a), 0.0))
        m1 = np.where(up, _pdf(m), np.where(a < v, _pdf(a) - _pdf(v), 0.0))
        m2 = np.where(
            up,
            _q(m) + m * _pdf(m),
            mass + np.where(a < v, a * _pdf(a) - v * _pdf(v), 0.0),
        )
        big_l = np.where(deg, mass, big_l)
        ex = np.where(deg, m1, ex)
        ey = np.where(deg, np.where(up, m1, -m1), ey)
        exy = np.where(deg, np.where(up, m2, -m2), exy)
    return {"L": big_l, "EX": ex, "EY": ey, "EXY": exy}


def _owen(h: np.ndarray, num: np.ndarray) -> np.ndarray:
    """Owen's T(h, num / h), with the limit T(0+, +-inf) = +-1/4."""
    h_safe = np.where(h == 0, 1.0, h)
    t = sp.owens_t(h, num / h_safe)
    return np.where(h == 0, 0.25 * np.sign(num), t)


def _pair(a: _Atom, b: _Atom, q1: np.ndarray, q2: np.ndarray, q12: np.ndarray) -> Any:
    """E[a(z1) b(z2)] for one pair of atoms (closed form or quadrature)."""
    if a.kind > b.kind:
        a, b, q1, q2 = b, a, q2, q1
    ka, kb = a.kind, b.kind
    s1, s2 = np.sqrt(q1), np.sqrt(q2)
    zero = np.zeros_like(q12)
    if ka == _CONST:
        if kb == _CONST:
            return np.ones_like(q12)
        if kb in (_LIN, _ERF):
            return zero
        t = b.shift / s2
        if kb == _RELU:
            return s2 * (_pdf(t) - t * _q(t))
        if kb == _STEP:
            return _q(t)
        if kb == _GEXP:
            return _gexp_mean(b, q2)
    if ka == _LIN:
        t = b.shift / s2
        if kb == _LIN:
            return q12
        if kb == _RELU:
            return q12 * _q(t)
        if kb == _STEP:
            return q12 * _pdf(t) / s2
        if kb == _GEXP:
            return q12 * b.w / (1.0 + 2.0 * b.p * q2) * _gexp_mean(b, q2)
        if kb == _ERF:
            return q12 * (2.0 / math.sqrt(math.pi)) / np.sqrt(1.0 + 2.0 * q2)
    if ka in (_RELU, _STEP) and kb in (_RELU, _STEP):
        ta, tb = a.shift / s1, b.shift / s2
        if a.shift == 0 and b.shift == 0:
            return _arccos_pair(ka, kb, s1, s2, q12)
        rho = np.clip(q12 / (s1 * s2), -1.0, 1.0)
        m = _orthant(ta, tb, rho)
        if ka == _RELU and kb == _RELU:
            mom = m["EXY"] - tb * m["EX"] - ta * m["EY"] + ta * tb * m["L"]
            return s1 * s2 * mom
        if ka == _RELU:
            return s1 * (m["EX"] - ta * m["L"])
        return m["L"]
    if ka in (_RELU, _STEP) and kb == _GEXP and b.p == 0:
        big_a = 0.5 * b.w * b.w * q2
        t = (b.w * q12 - a.shift) / s1
        e_cdf = _exp_cdf(big_a, t)
        if ka == _STEP:
            return e_cdf
        return s1 * (t * e_cdf + np.exp(big_a - 0.5 * t * t) * _INV_SQRT_2PI)
    if ka == _GEXP and kb == _GEXP:
        return _gexp_pair(a, b, q1, q2, q12)
    if ka == _GEXP and kb == _ERF:
        if a.w == 0:
            return zero  # even x odd under (z1, z2) -> (-z1, -z2)
        if a.p == 0:
            return _gexp_erf(a.w, q1, q2, q12)
    if kb == _GEN and isinstance(b.act, HermiteSeries) and ka in (_CONST, _LIN, _GEN):
        coeffs = {_CONST: (1.0,), _LIN: (0.0, 1.0)}.get(ka)
        first = a.act if coeffs is None else HermiteSeries(coeffs)
        if isinstance(first, HermiteSeries):
            return _hermite_pair(first.coeffs, b.act.coeffs, q1, q2, q12)
    if ka == _ERF and kb == _ERF:
        den = np.sqrt((1.0 + 2.0 * q1) * (1.0 + 2.0 * q2))
        return (2.0 / math.pi) * np.arcsin(np.clip(2.0 * q12 / den, -1.0, 1.0))
    return _quad_pair(a, b, q1, q2, q12)


def _arccos_pair(ka: int, kb: int, s1: Any, s2: Any, q12: Any) -> Any:
    """Arc-cosine kernels of (z)_+ and 1[z > 0] (Cho and Saul 2009)."""
    rho = np.clip(q12 / (s1 * s2), -1.0, 1.0)
    theta = np.arccos(rho)
    sin_t = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
    if ka == _RELU and kb == _RELU:
        return s1 * s2 * (sin_t + (math.pi - theta) * rho) / (2.0 * math.pi)
    if ka == _RELU:
        return s1 * (1.0 + rho) * (0.5 * _INV_SQRT_2PI)
    return (math.pi - theta) / (2.0 * math.pi)


def _gexp_mean(b: _Atom, q: Any) -> Any:
    """E[exp(-p z^2 + w z)], z ~ N(0, q)."""
    d = 1.0 + 2.0 * b.p * q
    return np.exp(b.w * b.w * q / (2.0 * d)) / np.sqrt(d)


def _gexp_pair(a: _Atom, b: _Atom, q1: Any, q2: Any, q12: Any) -> Any:
    """E[exp(-p1 z1^2 + w1 z1 - p2 z2^2 + w2 z2)] (Gaussian integral)."""
    det = np.maximum(q1 * q2 - q12 * q12, 0.0)
    d = 1.0 + 2.0 * a.p * q1 + 2.0 * b.p * q2 + 4.0 * a.p * b.p * det
    quad = (
        a.w * a.w * (q1 + 2.0 * b.p * det)
        + 2.0 * a.w * b.w * q12
        + b.w * b.w * (q2 + 2.0 * a.p * det)
    )
    return np.exp(quad / (2.0 * d)) / np.sqrt(d)


def _gexp_erf(w: complex, q1: Any, q2: Any, q12: Any) -> Any:
    """E[exp(w z1) erf(z2)] = e^{w^2 q1/2} erf(w q12 / sqrt(1 + 2 q2))."""
    arg = q12 / np.sqrt(1.0 + 2.0 * q2)
    if w.real == 0:  # imaginary w = i nu: erf(i y) = i (2/sqrt pi) e^{y^2} D(y)
        nu = w.imag
        y = nu * arg
        mag = np.exp(-0.5 * nu * nu * q1 + y * y) * sp.dawsn(y)
        return 1j * (2.0 / math.sqrt(math.pi)) * mag
    return np.exp(0.5 * w * w * q1) * sp.erf(w * arg)


def _rescaled_hermite(coeffs: tuple[float, ...], q: float) -> np.ndarray:
    """Coefficients of sum_n b_n h_n(sqrt(q) x) in the basis h_j(x).

    h_n(g x) = sum_k g^{n-2k} ((g^2 - 1)/2)^k sqrt(n!/(n-2k)!) / k! h_{n-2k}(x),
    the normalised form of the Hermite multiplication theorem, with g^2 = q.
    """
    b = np.asarray(coeffs)
    out = np.zeros(b.size)
    g, half = math.sqrt(q), 0.5 * (q - 1.0)
    for n in range(b.size):
        for k in range(n // 2 + 1):
            log_mag = (
                (n - 2 * k) * math.log(g)
                + 0.5 * (math.lgamma(n + 1) - math.lgamma(n - 2 * k + 1))
                - math.lgamma(k + 1)
            )
            if k and half == 0:
                continue
            term = math.exp(log_mag + (k * math.log(abs(half)) if k else 0.0))
            out[n - 2 * k] += b[n] * term * (-1.0 if half < 0 and k % 2 else 1.0)
    return out


def _hermite_pair(
    ca: tuple[float, ...], cb: tuple[float, ...], q1: Any, q2: Any, q12: Any
) -> np.ndarray:
    """E[A(z1) B(z2)] for Hermite series A, B: sum_j a_j b_j rho^j (SPEC eq. 9),

    after rescaling each series to unit variance. Exact up to rounding; the
    rescaling sums terms as large as q^{n/2} sqrt(n!) / (n/2)! for q != 1.
    """
    q1, q2, q12 = np.broadcast_arrays(q1, q2, q12)
    rho = np.clip(q12 / np.sqrt(q1 * q2), -1.0, 1.0)
    out = np.zeros(q12.shape)
    size = max(len(ca), len(cb))
    for v1 in np.unique(q1):
        ra = np.zeros(size)
        ra[: len(ca)] = _rescaled_hermite(ca, float(v1))
        for v2 in np.unique(q2[q1 == v1]):
            sel = (q1 == v1) & (q2 == v2)
            rb = np.zeros(size)
            rb[: len(cb)] = _rescaled_hermite(cb, float(v2))
            out[sel] = np.polynomial.polynomial.polyval(rho[sel], ra * rb)
    return out


def _quad_pair(a: _Atom, b: _Atom, q1: Any, q2: Any, q12: Any) -> np.ndarray:
    """E[a(z1) b(z2)] by product quadrature; the kinked side (if any) is outer.

    z1 = sqrt(q1) x and z2 = sqrt(q2) (rho x + sqrt(1 - rho^2) y), x, y
    independent standard normal; y by Gauss-Hermite, x by Gauss-Hermite or,
    when a has a kink, composite Gauss-Legendre split at it.
    """
    if b.kinks and a.kinks:
        raise NotImplementedError(f"no quadrature for two kinked atoms {a}, {b}")
    if b.kinks:
        a, b, q1, q2 = b, a, q2, q1
    degree = max(a.degree, b.degree)
    q1, q2, q12 = np.broadcast_arrays(q1, q2, q12)
    out = np.empty(q12.shape, dtype=complex)
    for qo in np.unique(q1):
        sel = q1 == qo
        so = math.sqrt(qo)
        # Gauss-Hermite error falls like exp(-const sqrt(n / q)) for functions
        # analytic in a strip (tanh), so the node count grows with the variance.
        scale = max(1.0, qo, float(np.max(q2[sel])))
        n_gh = max(
            min(_MAX_GAUSS_HERMITE, math.ceil(_N_GAUSS_HERMITE * scale)), degree + 2
        )
        y, wy = sp.roots_hermitenorm(n_gh)
        wy = wy / math.sqrt(2.0 * math.pi)
        x, wx = _outer_nodes(a.kinks, so, degree, n_gh, scale)
        fo = wx * a(so * x)
        rho = np.clip(q12[sel] / (so * np.sqrt(q2[sel])), -1.0, 1.0)
        s = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
        si = np.sqrt(q2[sel])
        vals = np.empty(rho.shape, dtype=complex)
        step = max(1, _CHUNK // (x.size * y.size))
        for i in range(0, rho.size, step):
            r = rho[i : i + step, None, None]
            zi = si[i : i + step, None, None] * (
                r * x[None, :, None] + s[i : i + step, None, None] * y[None, None, :]
            )
            vals[i : i + step] = (b(zi) @ wy) @ fo
        out[sel] = vals
    return out


def _outer_nodes(
    kinks: tuple[float, ...], so: float, degree: int, n_gh: int, scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal nodes and weights (density included) for the outer x."""
    if not kinks:
        x, w = sp.roots_hermitenorm(n_gh)
        return x, w / math.sqrt(2.0 * math.pi)
    half = _TAIL + math.sqrt(4.0 * degree + 2.0)
    cuts = sorted({k / so for k in kinks if -half < k / so < half})
    edges = [-half, *cuts, half]
    g, gw = np.polynomial.legendre.leggauss(_PANEL_ORDER)
    xs, ws = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        grid = np.linspace(lo, hi, max(1, math.ceil((hi - lo) * math.sqrt(scale))) + 1)
        mid, rad = 0.5 * (grid[1:] + grid[:-1]), 0.5 * (grid[1:] - grid[:-1])
        xs.append((mid[:, None] + rad[:, None] * g).ravel())
        ws.append((rad[:, None] * gw).ravel())
    x = np.concatenate(xs)
    return x, np.concatenate(ws) * _pdf(x)


def _tau_cov(
    phi: Activation, psi: Activation, q1: Any, q2: Any, q12: Any
) -> np.ndarray:
    """E[phi(z1) psi(z2)] for covariance [[q1, q12], [q12, q2]] (broadcast)."""
    q1, q2, q12 = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (q1, q2, q12))
    )
    atoms_a, atoms_b = _atoms(phi), _atoms(psi)
    symmetric = phi == psi and np.array_equal(q1, q2)
    total = np.zeros(q12.shape, dtype=complex)
    list_b = list(atoms_b.items())
    for i, (ta, ca) in enumerate(atoms_a.items()):
        for j, (tb, cb) in enumerate(list_b):
            if symmetric and j < i:
                continue
            weight = ca * cb * (2.0 if symmetric and j > i else 1.0)
            total += weight * _pair(ta, tb, q1, q2, q12)
    return np.ascontiguousarray(total.real)


def _as_cosines(c: Any) -> np.ndarray:
    c = np.asarray(c, dtype=np.float64)
    if not np.all(np.isfinite(c)):
        raise ValueError("`c` must be finite cosines in [-1, 1]; got NaN or inf")
    if np.any(np.abs(c) > 1.0 + 1e-6):
        raise ValueError(
            f"`c` must be cosines in [-1, 1]; got values up to {np.abs(c).max()!r}"
        )
    return np.clip(c, -1.0, 1.0)


def _check_scales(W_std: float, b_std: float) -> tuple[float, float]:
    if not W_std > 0 or not math.isfinite(W_std):
        raise ValueError(f"`W_std` must be a finite number > 0; got {W_std!r}")
    if not b_std >= 0 or not math.isfinite(b_std):
        raise ValueError(f"`b_std` must be a finite number >= 0; got {b_std!r}")
    return float(W_std), float(b_std)


def tau(
    activation: Activation,
    c: Any,
    var: float = 1.0,
    other: Activation | None = None,
) -> np.ndarray:
    """Dual activation tau (SPEC eq. 5), exact, NumPy float64.

    .. math::

        \\tau_{\\phi,\\psi}(c; s^2) = \\mathbb{E}[\\phi(z_1)\\,\\psi(z_2)],\\quad
        z_i \\sim N(0, s^2),\\ \\mathrm{corr}(z_1, z_2) = c.

    With ``other=None`` psi = phi (SPEC eq. 5 proper). Identity (6),
    tau_{phi'}(c; s^2) = s^{-2} d tau_phi / dc, holds for the values returned.

    Args:
        activation: phi.
        c: correlations, any shape; clipped to [-1, 1] (values more than 1e-6
            outside raise).
        var: s^2 > 0, the common variance of z_1 and z_2.
        other: psi, defaults to phi.

    Returns:
        float64 array shaped like ``c``.

    Raises:
        ValueError: for non-finite ``c``, |c| > 1 + 1e-6 or ``var`` <= 0.

    Example:
        >>> from revntk_core.kernels import Relu
        >>> float(tau(Relu(), 1.0))  # E[relu(z)^2] = 1/2
        0.5
    """
    c = _as_cosines(c)
    if not var > 0 or not math.isfinite(var):
        raise ValueError(f"`var` must be a finite number > 0; got {var!r}")
    psi = activation if other is None else other
    return _tau_cov(activation, psi, var, var, var * c)


def nngp_1hl(
    activation: Activation, c: Any, *, W_std: float = 1.0, b_std: float = 0.0
) -> np.ndarray:
    """NNGP kernel of a 1HL net (SPEC eq. 7), readout sigma_w = 1, sigma_b = 0.

    .. math::

        q = \\sigma_w^2 + \\sigma_b^2,\\quad
        u(c) = (\\sigma_w^2 c + \\sigma_b^2)/q,\\quad
        K_{nngp}(c) = \\tau_\\phi(u(c); q).

    ``W_std``, ``b_std`` (sigma_w, sigma_b) scale the hidden layer; the readout
    has sigma_w = 1, sigma_b = 0, matching
    ``stax.serial(Dense(., W_std, b_std), phi, Dense(., 1., 0.))``. SPEC eq. 7
    writes sigma_w^2 tau + sigma_b^2, the same map with the readout scaled by
    (sigma_w, sigma_b) (the layer map of SPEC eq. 42); both agree at
    sigma_w = 1, sigma_b = 0.

    Args:
        activation: phi.
        c: cosines of normalised inputs (|x| = sqrt(d_in)), any shape.
        W_std: sigma_w > 0 of the hidden layer.
        b_std: sigma_b >= 0 of the hidden layer.

    Returns:
        float64 array shaped like ``c``.
    """
    W_std, b_std = _check_scales(W_std, b_std)
    c = _as_cosines(c)
    q = W_std**2 + b_std**2
    return tau(activation, (W_std**2 * c + b_std**2) / q, q)


def ntk_1hl(
    activation: Activation, c: Any, *, W_std: float = 1.0, b_std: float = 0.0
) -> np.ndarray:
    """NTK of a 1HL net (SPEC eq. 8), readout sigma_w = 1, sigma_b = 0.

    .. math::

        K_{ntk}(c) = K_{nngp}(c) + (\\sigma_w^2 c + \\sigma_b^2)\\,
        \\tau_{\\phi'}(u(c); q),

    with q, u as in :func:`nngp_1hl`. At sigma_w = 1, sigma_b = 0 this is
    (1 + c d/dc) tau_phi(c) (SPEC eq. 14). Exact for every activation whose
    derivative is an activation value (not :class:`Step`).

    Args:
        activation: phi.
        c: cosines, any shape.
        W_std: sigma_w > 0 of the hidden layer.
        b_std: sigma_b >= 0 of the hidden layer.

    Returns:
        float64 array shaped like ``c``.

    Example:
        >>> from revntk_core.kernels import Relu
        >>> float(ntk_1hl(Relu(), 1.0))  # (1/2pi)(0 + 2 pi)
        1.0
    """
    W_std, b_std = _check_scales(W_std, b_std)
    c = _as_cosines(c)
    q = W_std**2 + b_std**2
    u = (W_std**2 * c + b_std**2) / q
    theta0 = W_std**2 * c + b_std**2
    return tau(activation, u, q) + theta0 * tau(activation.derivative(), u, q)


def kernels_1hl(
    activation: Activation,
    x1: Any,
    x2: Any | None = None,
    *,
    W_std: float = 1.0,
    b_std: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """1HL NNGP and NTK Gram matrices on data, any input norms.

    Pre-activation covariances (first layer, NTK parameterisation, fan-in d):

    .. math::

        q_{12} = \\sigma_w^2\\, x_1\\cdot x_2 / d + \\sigma_b^2,\\quad
        K_{nngp} = \\tau_\\phi(q_{11}, q_{22}, q_{12}),\\quad
        K_{ntk} = K_{nngp} + q_{12}\\,\\tau_{\\phi'}(q_{11}, q_{22}, q_{12}),

    the bivariate form of SPEC eqs. 7-8 with per-pair variances; no
    normalisation of the inputs is assumed. Readout sigma_w = 1, sigma_b = 0.

    Args:
        x1: inputs, shape ``(n1, d)``.
        x2: inputs, shape ``(n2, d)``; defaults to ``x1``.
        W_std: sigma_w > 0.
        b_std: sigma_b >= 0.

    Returns:
        ``(nngp, ntk)``, each float64 of shape ``(n1, n2)``.

    Raises:
        ValueError: for shapes that are not 2-D with equal d, or an input of
            zero pre-activation variance (zero vector with ``b_std`` = 0).
    """
    W_std, b_std = _check_scales(W_std, b_std)
    x1 = np.asarray(x1, dtype=np.float64)
    x2 = x1 if x2 is None else np.asarray(x2, dtype=np.float64)
    if x1.ndim != 2 or x2.ndim != 2 or x1.shape[1] != x2.shape[1]:
        raise ValueError(
            "`x1`, `x2` must be 2-D (n, d) with the same d; "
            f"got shapes {x1.shape} and {x2.shape}"
        )
    d = x1.shape[1]
    q1 = (W_std**2 * np.sum(x1 * x1, axis=1) / d + b_std**2)[:, None]
    q2 = (W_std**2 * np.sum(x2 * x2, axis=1) / d + b_std**2)[None, :]
    if np.any(q1 <= 0) or np.any(q2 <= 0):
        raise ValueError(
            "`x1`/`x2` contain a zero row with `b_std` = 0: its pre-activation "
            "variance is 0; remove it or use b_std > 0"
        )
    q12 = W_std**2 * (x1 @ x2.T) / d + b_std**2
    bound = np.sqrt(q1 * q2)
    q12 = np.clip(q12, -bound, bound)
    nngp = _tau_cov(activation, activation, q1, q2, q12)
    ntk = nngp + q12 * _tau_cov(
        activation.derivative(), activation.derivative(), q1, q2, q12
    )
    return nngp, ntk
