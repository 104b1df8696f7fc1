"""Finite-width networks with JAX alone: nets, empirical kernels, training.

Nothing here imports neural-tangents or TensorFlow.
"""

from ._cv import CVResult, cross_validate_stop_epoch
from ._device import device_info
from ._empirical import KernelStats, empirical_nngp_1hl, empirical_ntk_1hl
from ._empirical_deep import empirical_kernels
from ._nets import FCN, Params, apply_fcn, init_params, param_count
from ._regression import (
    KernelPredictions,
    kernel_regression,
    kernel_regression_at_epochs,
    kernel_regression_on_data,
)
from ._signs import choose_signs, measured_ntk_std, predicted_ntk_std
from ._train import TrainConfig, TrainResult, log_spaced_epochs, train_multi_seed

__all__ = [
    "CVResult",
    "FCN",
    "KernelPredictions",
    "KernelStats",
    "Params",
    "TrainConfig",
    "TrainResult",
    "apply_fcn",
    "choose_signs",
    "cross_validate_stop_epoch",
    "device_info",
    "empirical_kernels",
    "empirical_nngp_1hl",
    "empirical_ntk_1hl",
    "init_params",
    "kernel_regression",
    "kernel_regression_at_epochs",
    "kernel_regression_on_data",
    "log_spaced_epochs",
    "measured_ntk_std",
    "param_count",
    "predicted_ntk_std",
    "train_multi_seed",
]
