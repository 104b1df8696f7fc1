"""`revntk design`: the activation whose 1HL kernel matches a target kernel.

Registered by ``jobs/cli.py`` as ``app.command("design")(design)``.
"""

from __future__ import annotations

import json
import pathlib
from typing import Annotated

import numpy as np
import typer

from jobs._cli_errors import fail

_TARGET_HELP = (
    "Target kernel K(c). Polynomials and closed forms in c: 'c^3', 'c^4+c', "
    "'0.5*c^2+c', 'sinh(2c)', 'cosh(2c)', 'exp(c)'; power-series coefficients: "
    "'coeffs:1,0,0.5'; deep-net kernels: 'ntk:4hl-relu', 'nngp:4hl-relu', "
    "'ntk:4hl-erf' (sigma_w = sqrt 2, sigma_b = 0.1) or "
    "'deep:ntk:depth=4,activation=relu,W_std=1.414,b_std=0.1'; sampled values: "
    "'file:kernel.csv' (two columns c, K) or 'file:kernel.npz' (arrays c, K)."
)


def _table(title: str, symbol: str, values) -> list[str]:
    lines = [title]
    for k, v in enumerate(values):
        lines.append(f"  {symbol}_{k:<3d} {v:>+22.15e}")
    return lines


def design(
    target: Annotated[str, typer.Argument(help=_TARGET_HELP, show_default=False)],
    degree: Annotated[
        int,
        typer.Option(
            help="Degree D of the fitted polynomial sum_k a_k c^k and of the "
            "activation phi = sum_k b_k h_k (h_k: normalised Hermite polynomials).",
            min=0,
        ),
    ] = 5,
    kind: Annotated[
        str,
        typer.Option(
            help="Which kernel of the 1HL net (sigma_w = 1, sigma_b = 0) should "
            "equal the target: 'ntk' or 'nngp'."
        ),
    ] = "ntk",
    signs: Annotated[
        str,
        typer.Option(
            help="Signs of b_0..b_D (they leave the kernel unchanged): a string of "
            "+ and - with at least D+1 characters such as '++--++', or 'paper' "
            "((+,+,-,-) repeated) or 'positive' (all +)."
        ),
    ] = "paper",
    endpoint_weight: Annotated[
        float,
        typer.Option(
            help="Fraction of the least-squares weight on the point c = 1 when the "
            "target is fitted (not used for polynomial targets of degree <= D).",
            min=0.0,
            max=0.999,
        ),
    ] = 0.1,
    points: Annotated[
        int,
        typer.Option(
            help="Number of fit points c = cos t, t evenly spaced on [0, pi], for "
            "targets that are fitted (deep-net kernels, closed forms); it must "
            "exceed the degree. Sampled targets use their own points.",
            min=2,
        ),
    ] = 100,
    out: Annotated[
        pathlib.Path | None,
        typer.Option(
            help="Also write the design (target, coefficients, error, activation) "
            "to this JSON file.",
            dir_okay=False,
            writable=True,
        ),
    ] = None,
) -> None:
    """Design a one-hidden-layer activation whose NTK (or NNGP) is the target.

    Prints the fitted kernel's coefficients a_k, the Hermite coefficients b_k of
    the activation, the activation as a polynomial in z, and the fit's maximum
    error against the target on [-1, 1].
    """
    from revntk_core.design import design as run_design
    from revntk_core.design import parse_target

    try:
        target_value = parse_target(target)
        result = run_design(
            target_value,
            degree=degree,
            kind=kind,
            signs=signs,
            endpoint_weight=endpoint_weight,
            n_grid=points,
        )
    except (ValueError, TypeError, FileNotFoundError) as err:
        raise fail(str(err)) from None
    sign_text = "".join("+" if s > 0 else "-" for s in result.signs)
    fit_text = "exact (polynomial target)" if result.exact else "PSD least squares"
    lines = [
        f"target          {result.target}",
        f"kernel          {result.kind} of a 1HL net, sigma_w = 1, sigma_b = 0",
        f"degree          {result.degree}",
        f"signs           {sign_text}",
        f"fit             {fit_text}, endpoint weight {result.endpoint_weight:g}",
        f"max error       {result.max_error:.3e}  (|fit - target| on [-1, 1])",
        "",
        *_table("kernel  K(c) = sum_k a_k c^k", "a", result.fit_coeffs),
        "",
        *_table("activation  phi(z) = sum_k b_k h_k(z)", "b", result.hermite_coeffs),
        "",
        *_table("activation  phi(z) = sum_k m_k z^k", "m", result.monomial_coeffs),
    ]
    typer.echo("\n".join(lines))
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result.to_dict(), indent=2, default=_jsonable))
        except OSError as err:
            raise fail(f"could not write `--out` {out}: {err}") from None
        typer.echo(f"\nwrote {out}")


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
