"""The spec model of each experiment E1-E4 (SPEC section 5).

Defaults are the paper's protocol; the presets in ``jobs/presets`` shrink it.
Validators reject bad science input (an unknown dataset, a non-PSD target, a
width of 0) with a message naming the field, before any task is built.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import pydantic
from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt

from ._spec_base import ExperimentSpec, SpecModel

__all__ = [
    "AnsatzSpec",
    "ArchitectureName",
    "CurveSpec",
    "EmpiricalSpec",
    "KernelMimicrySpec",
    "MimicTrainingSpec",
    "ParityNet",
    "ParitySpec",
    "SweepSpec",
    "E3_DATASETS",
    "E3_OPTIONAL_DATASETS",
    "SPEC_MODELS",
]

SQRT2 = math.sqrt(2.0)
E3_DATASETS = ("wine-quality-red", "balance-scale", "breast-cancer-wisc-diag")
E3_OPTIONAL_DATASETS = ("cifar10",)
ArchitectureName = Literal["1hl-relu", "4hl-relu", "1hl-ansatz"]
_SIGNS_RE = re.compile(r"^[+-]+$")


def _known_datasets() -> tuple[str, ...]:
    from revntk_core.datasets import DATASETS

    return tuple(DATASETS)


def _check_target(text: str) -> str:
    """Parses a target kernel and checks its known coefficients are >= 0."""
    from revntk_core.design import check_psd, parse_target

    target = parse_target(text)
    if target.polynomial_degree is not None:
        check_psd(target.exact_coeffs(target.polynomial_degree), name=repr(text))
    return text


def _check_activation(value: str | dict) -> str | dict:
    """Checks ``value`` names an activation; the error says "activation"."""
    from revntk_core.kernels import activation_from_dict, parse_activation

    try:
        if isinstance(value, dict):
            activation_from_dict(value)
        else:
            parse_activation(value)
    except (ValueError, TypeError, KeyError) as err:
        reason = str(err).strip("'\"").replace("`spec` not understood: ", "")
        raise ValueError(f"activation not understood: {reason}") from None
    return value


class EmpiricalSpec(SpecModel):
    """Empirical kernels of finite 1HL nets, averaged over independent nets.

    Attributes:
        widths: hidden widths of the nets (each width is a separate average).
        n_nets: nets averaged per width.
        nets_per_shard: nets per task; the shards are merged by streaming.
        seed: base PRNG seed; shard ``s`` uses ``seed + s``-derived keys.
    """

    widths: list[PositiveInt] = [2**14]
    n_nets: PositiveInt = 16
    nets_per_shard: PositiveInt = 4
    seed: int = 0

    @property
    def n_shards(self) -> int:
        return -(-self.n_nets // self.nets_per_shard)


class KernelMimicrySpec(ExperimentSpec):
    """E1: any PSD kernel as the NTK of a 1HL net (Fig. 1).

    Attributes:
        targets: target kernels, as ``parse_target`` reads them; default the
            seven of SPEC E1.
        kind: kernel the designed activation realises, ``"ntk"`` or ``"nngp"``.
        degree: degree of the PSD polynomial fit.
        endpoint_weight: share of the fit's weight on the point c = 1.
        signs: ``"paper"`` (+ + - - + +), ``"positive"`` (all +) or an
            explicit sign string of length ``degree + 1``, e.g. ``"+-+-+-"``.
        n_points: input points sqrt2 (cos t, sin t), t uniform on [0, pi].
        empirical: the finite-net check, or None to skip it.
    """

    experiment = "kernel_mimicry"

    targets: list[str] = Field(
        default_factory=lambda: [
            "nngp:4hl-relu",
            "ntk:4hl-relu",
            "ntk:4hl-erf",
            "c^3",
            "c^4+c",
            "sinh(2c)",
            "cosh(2c)",
        ],
        min_length=1,
    )
    kind: Literal["ntk", "nngp"] = "ntk"
    degree: NonNegativeInt = 5
    endpoint_weight: float = Field(0.1, ge=0.0, lt=1.0)
    signs: str = "paper"
    n_points: int = Field(100, ge=2)
    empirical: EmpiricalSpec | None = EmpiricalSpec()

    @pydantic.field_validator("targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        for i, text in enumerate(value):
            try:
                _check_target(text)
            except ValueError as err:
                raise ValueError(f"target {i}: {err}") from None
        return value

    @pydantic.model_validator(mode="after")
    def _signs(self) -> KernelMimicrySpec:
        if self.signs not in ("paper", "positive"):
            if not _SIGNS_RE.match(self.signs) or len(self.signs) != self.degree + 1:
                raise ValueError(
                    f"`signs` must be 'paper', 'positive' or {self.degree + 1} "
                    f"characters of "
                    f"'+'/'-' (one per h_0..h_{self.degree}); got {self.signs!r}"
                )
        return self


class AnsatzSpec(ExperimentSpec):
    """E2: fit the ansatz phi~ so its 1HL NTK mimics a deep ReLU NTK.

    Attributes:
        depth, W_std, b_std: the deep ReLU net whose NTK is the target.
        n_grid: cosines in [-1, 1] where the kernels are compared.
        max_iter: Nelder-Mead iterations per start.
        n_starts: Nelder-Mead starts (the first from the paper's phi~, the
            others random perturbations of it).
        max_seconds: wall-time budget of all starts together.
        seed: seed of the random starts.
        empirical: optional finite-net check of both ansatzes' NTKs.
    """

    experiment = "ansatz"

    depth: PositiveInt = 4
    W_std: PositiveFloat = SQRT2
    b_std: float = Field(0.1, ge=0.0)
    n_grid: int = Field(201, ge=3)
    max_iter: PositiveInt = 4000
    n_starts: PositiveInt = 4
    max_seconds: PositiveFloat = 600.0
    seed: int = 0
    empirical: EmpiricalSpec | None = None


class CurveSpec(SpecModel):
    """Fixed-width learning curves.

    Attributes:
        width: hidden width of every net.
        epochs: full-batch GD epochs.
        seeds: initialisations.
        n_log_points: log-spaced epochs at which metrics are recorded.
    """

    width: PositiveInt = 4096
    epochs: PositiveInt = 2**16
    seeds: PositiveInt = 5
    n_log_points: int = Field(40, ge=2)


class SweepSpec(SpecModel):
    """Width sweep with a cross-validated stopping epoch per width.

    Attributes:
        widths: hidden widths.
        max_epochs: longest training considered by cross-validation.
        folds: cross-validation folds on the train set.
        cv_seeds: initialisations per fold.
        seeds: initialisations of the final training on the full train set.
        n_log_points: log-spaced candidate stopping epochs.
    """

    widths: list[PositiveInt] = [16, 64, 256, 1024, 4096]
    max_epochs: PositiveInt = 2**16
    folds: int = Field(3, ge=2)
    cv_seeds: PositiveInt = 1
    seeds: PositiveInt = 5
    n_log_points: int = Field(30, ge=2)


class MimicTrainingSpec(ExperimentSpec):
    """E3: a 1HL phi~ net trains like a 4HL ReLU net.

    Attributes:
        datasets: dataset names (``revntk_core.datasets``) the run needs. One
            missing from the cache is downloaded by the driver before any
            task starts; if that fails (offline, no network) the run stops
            with exit status 2 and one line per dataset saying where to put
            the file. ``--set datasets=[cifar10]`` makes CIFAR-10 required.
        optional_datasets: datasets run only when their files are already in
            the cache (never downloaded), else skipped with a note naming the
            file and the cache path; default ``[cifar10]``, whose archive is
            large. A name in both lists is required; ``[]`` runs exactly
            ``datasets``.
        normalisations: input radius variants, ``"uniform"`` and/or ``"mean"``.
        architectures: ``"1hl-relu"``, ``"4hl-relu"``, ``"1hl-ansatz"``.
        ansatz: ``"paper"`` (the paper's phi~), ``"fitted"`` (the latest E2
            fit in the same results directory) or seven numbers alpha..eta.
        split_seed: seed of the train/test split.
        step_size: GD step size.
        max_train: keep at most this many train (and test) points, or None.
        seeds_per_task: initialisations trained together in one task.
        curve: fixed-width learning curves, or None to skip.
        sweep: the cross-validated width sweep, or None to skip.
        regression: add exact-kernel regression baselines (NTK and NNGP).
    """

    experiment = "mimic_training"

    datasets: list[str] = Field(default_factory=lambda: list(E3_DATASETS), min_length=1)
    optional_datasets: list[str] = Field(
        default_factory=lambda: list(E3_OPTIONAL_DATASETS)
    )
    normalisations: list[Literal["uniform", "mean", "none"]] = ["uniform", "mean"]
    architectures: list[ArchitectureName] = ["1hl-relu", "4hl-relu", "1hl-ansatz"]
    ansatz: Literal["paper", "fitted"] | list[float] = "paper"
    split_seed: int = 0
    step_size: PositiveFloat = 0.1
    max_train: PositiveInt | None = None
    seeds_per_task: PositiveInt = 5
    curve: CurveSpec | None = CurveSpec()
    sweep: SweepSpec | None = SweepSpec()
    regression: bool = True

    @pydantic.field_validator("datasets", "optional_datasets")
    @classmethod
    def _datasets(cls, value: list[str]) -> list[str]:
        known = _known_datasets()
        for name in value:
            if name not in known or name in ("parity11", "circle"):
                valid = [n for n in known if n not in ("parity11", "circle")]
                raise ValueError(
                    f"unknown dataset {name!r}; valid names: {', '.join(valid)}"
                )
        return value

    @pydantic.field_validator("ansatz")
    @classmethod
    def _ansatz(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) != 7:
            raise ValueError(
                f"`ansatz` needs 7 numbers (alpha, beta, gamma, delta, epsilon, "
                f"zeta, eta); got {len(value)}"
            )
        return value


class ParityNet(SpecModel):
    """One net of the parity comparison.

    Attributes:
        name: label of the net in the results (``architecture`` column).
        activation: activation text (``parse_activation``) or dict.
        depth: hidden layers.
        W_std, b_std: hidden-layer scales.
        step_size: GD step size.
    """

    name: str
    activation: str | dict
    depth: PositiveInt = 1
    W_std: PositiveFloat = 1.0
    b_std: float = Field(0.0, ge=0.0)
    step_size: PositiveFloat = 0.1

    @pydantic.field_validator("activation")
    @classmethod
    def _activation(cls, value: str | dict) -> str | dict:
        return _check_activation(value)


def _default_parity_nets() -> list[ParityNet]:
    return [
        ParityNet(name="4hl-relu", activation="relu", depth=4, W_std=SQRT2, b_std=0.1),
        ParityNet(name="1hl-10sin6z", activation="10*sin(6z)", step_size=0.01),
        ParityNet(name="1hl-0.5sin6z", activation="0.5*sin(6z)", step_size=0.1),
    ]


class ParitySpec(ExperimentSpec):
    """E4: 11-bit parity (``parity11``), sine activations against deep ReLU.

    Attributes:
        split_seed: seed of the random half used for training.
        n_train, n_test: points of the 2048-point cube used for training and
            testing; None for the paper's random halves (1024 / 1024).
        width: hidden width of every net.
        trials: independent initialisations per net.
        trials_per_task: trials trained together in one task.
        max_epochs: epoch budget.
        train_mse_tol: stop once the train MSE is below this.
        nets: the nets compared.
        n_grid: cosines for the kernel curves.
        n_coeffs: power-series coefficients recorded per sine NTK.
    """

    experiment = "parity"

    split_seed: int = 0
    n_train: PositiveInt | None = None
    n_test: PositiveInt | None = None
    width: PositiveInt = 128
    trials: PositiveInt = 30
    trials_per_task: PositiveInt = 10
    max_epochs: PositiveInt = 10_000
    train_mse_tol: PositiveFloat = 1e-3
    nets: list[ParityNet] = Field(default_factory=_default_parity_nets, min_length=1)
    n_grid: int = Field(201, ge=3)
    n_coeffs: int = Field(80, ge=2)

    @pydantic.field_validator("nets")
    @classmethod
    def _unique(cls, value: list[ParityNet]) -> list[ParityNet]:
        names = [net.name for net in value]
        if len(set(names)) != len(names):
            raise ValueError(f"net names must be unique; got {names}")
        return value


#: The spec model of each experiment, by name.
SPEC_MODELS: dict[str, type[ExperimentSpec]] = {
    model.experiment: model
    for model in (KernelMimicrySpec, AnsatzSpec, MimicTrainingSpec, ParitySpec)
}
