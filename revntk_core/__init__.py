"""revntk_core: the science of revntk.

Design the activation whose one-hidden-layer net has a given NNGP kernel or
NTK (Simon, Anand & DeWeese, "Reverse Engineering the Neural Tangent Kernel",
ICML 2022), compute infinite-width kernels exactly for any activation, and
measure and train finite networks with JAX alone.

Subpackages, each with its own ``__all__``:

- ``revntk_core.kernels``: Hermite basis, activations as values, exact
  one-hidden-layer kernels (float64).
- ``revntk_core.design``: deep-net kernels, target kernels, PSD fits, the
  reverse-engineering construction (Theorem 3.1), the ansatz fit.
- ``revntk_core.engine``: finite nets in NTK parameterisation, empirical
  kernels, sign policy, multi-seed training, kernel regression.
- ``revntk_core.datasets``: the paper's datasets, cached and preprocessed.
- ``revntk_core.analysis``: tables, figures and summaries from result tables
  (imports matplotlib; not re-exported here).

The names most sessions need are re-exported below; the function
``revntk_core.design.design`` is not, so that ``revntk_core.design`` stays the
subpackage.

Example:
    >>> import numpy as np
    >>> from revntk_core import ntk_1hl, parse_target
    >>> from revntk_core.design import design
    >>> d = design(parse_target("c^4+c"), degree=5, kind="ntk", signs="paper")
    >>> c = np.linspace(-1, 1, 5)
    >>> bool(np.allclose(ntk_1hl(d.activation, c), c**4 + c, atol=1e-12))
    True
"""

from .datasets import DATASETS, Dataset, DatasetError, data_dir, load_dataset
from .design import (
    E1_TARGETS,
    ClosedForm,
    DeepKernel,
    Design,
    NotPSDError,
    PowerSeries,
    Sampled,
    activation_for_kernel,
    check_psd,
    fcn_kernels,
    fit_ansatz,
    fit_psd_polynomial,
    parse_target,
)
from .engine import (
    FCN,
    KernelStats,
    TrainConfig,
    TrainResult,
    apply_fcn,
    choose_signs,
    cross_validate_stop_epoch,
    device_info,
    empirical_kernels,
    empirical_nngp_1hl,
    empirical_ntk_1hl,
    init_params,
    kernel_regression,
    param_count,
    train_multi_seed,
)
from .kernels import (
    PAPER_ANSATZ,
    Activation,
    Ansatz,
    Cos,
    Erf,
    Exp,
    HermiteSeries,
    Identity,
    Relu,
    Sin,
    Step,
    Tanh,
    activation_from_dict,
    hermite_coefficients,
    hermite_to_monomial,
    hermite_values,
    kernels_1hl,
    monomial_to_hermite,
    nngp_1hl,
    ntk_1hl,
    parse_activation,
    tau,
)

__version__ = "0.1.0"

__all__ = [
    "DATASETS",
    "E1_TARGETS",
    "FCN",
    "PAPER_ANSATZ",
    "Activation",
    "Ansatz",
    "ClosedForm",
    "Cos",
    "Dataset",
    "DatasetError",
    "DeepKernel",
    "Design",
    "Erf",
    "Exp",
    "HermiteSeries",
    "Identity",
    "KernelStats",
    "NotPSDError",
    "PowerSeries",
    "Relu",
    "Sampled",
    "Sin",
    "Step",
    "Tanh",
    "TrainConfig",
    "TrainResult",
    "activation_for_kernel",
    "activation_from_dict",
    "apply_fcn",
    "check_psd",
    "choose_signs",
    "cross_validate_stop_epoch",
    "data_dir",
    "device_info",
    "empirical_kernels",
    "empirical_nngp_1hl",
    "empirical_ntk_1hl",
    "fcn_kernels",
    "fit_ansatz",
    "fit_psd_polynomial",
    "hermite_coefficients",
    "hermite_to_monomial",
    "hermite_values",
    "init_params",
    "kernel_regression",
    "kernels_1hl",
    "load_dataset",
    "monomial_to_hermite",
    "nngp_1hl",
    "ntk_1hl",
    "param_count",
    "parse_activation",
    "parse_target",
    "tau",
    "train_multi_seed",
]
