"""revntk_core: kernels, activations and finite nets of the NTK reverse-engineering paper."""

__version__ = "0.1.0"
