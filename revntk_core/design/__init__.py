"""Deep-net kernels, target kernels, PSD fits and kernel reverse engineering.

Public names:

- Deep FCN kernels (``_deep``): :func:`fcn_kernels` (own layer recursion) and
  :func:`nt_fcn_kernels` (neural-tangents, imported lazily).
- Targets (``_targets``, ``_parse``): :class:`PowerSeries`, :class:`DeepKernel`,
  :class:`ClosedForm`, :class:`Sampled`, :func:`parse_target`,
  :func:`target_from_dict`, :data:`E1_TARGETS`.
- Fits (``_fit``): :func:`fit_psd_polynomial`, :func:`check_psd`,
  :class:`NotPSDError`.
- Reverse engineering (``_reverse``): :func:`activation_for_kernel`,
  :func:`design`, :class:`Design`, :func:`resolve_signs`,
  :func:`kernel_derivative`, :data:`PAPER_SIGNS`.
- The ansatz fit (``_ansatz``): :func:`fit_ansatz`, :class:`AnsatzFit`,
  :func:`ansatz_objective`, and :data:`PAPER_ANSATZ` (from the kernels module).
"""

from revntk_core.design._ansatz import (
    ANSATZ_PARAMS,
    AnsatzFit,
    ansatz_objective,
    fit_ansatz,
)
from revntk_core.design._deep import fcn_kernels, nt_fcn_kernels
from revntk_core.design._fit import NotPSDError, check_psd, fit_psd_polynomial
from revntk_core.design._parse import parse_target
from revntk_core.design._reverse import (
    PAPER_SIGNS,
    Design,
    activation_for_kernel,
    default_grid,
    design,
    kernel_derivative,
    resolve_signs,
)
from revntk_core.design._targets import (
    E1_TARGETS,
    ClosedForm,
    DeepKernel,
    PowerSeries,
    Sampled,
    Target,
    target_from_dict,
)
from revntk_core.kernels import PAPER_ANSATZ

__all__ = [
    "ANSATZ_PARAMS",
    "E1_TARGETS",
    "PAPER_ANSATZ",
    "PAPER_SIGNS",
    "AnsatzFit",
    "ClosedForm",
    "DeepKernel",
    "Design",
    "NotPSDError",
    "PowerSeries",
    "Sampled",
    "Target",
    "activation_for_kernel",
    "ansatz_objective",
    "check_psd",
    "default_grid",
    "design",
    "fcn_kernels",
    "fit_ansatz",
    "fit_psd_polynomial",
    "kernel_derivative",
    "nt_fcn_kernels",
    "parse_target",
    "resolve_signs",
    "target_from_dict",
]
