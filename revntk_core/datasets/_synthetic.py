"""Generated inputs: the 11-bit parity cube (E4) and the circle of E1.

Both already lie on the sphere of radius sqrt(d_in), so they are never
standardised or rescaled.
"""

import numpy as np

from revntk_core.datasets._dataset import RawData

__all__ = ["PARITY_BITS", "circle_points", "read_parity"]

PARITY_BITS = 11
# Points on E1's half circle (the paper's figure uses 100).
CIRCLE_POINTS = 100


def read_parity(n_bits: int = PARITY_BITS) -> RawData:
    r"""All 2^n_bits points of the cube {-1, +1}^n_bits with their parity.

    Row i has x_j = +1 where bit j of i is set, else -1, so |x| = sqrt(n_bits).
    Class id 1 (target +1) when the number of +1 entries is odd, else class
    id 0 (target -1). For odd n_bits an odd count of +1 means an even count of
    -1, so the target equals :math:`\prod_j x_j`.
    """
    rows = np.arange(2**n_bits, dtype=np.int64)
    bits = (rows[:, None] >> np.arange(n_bits)) & 1
    x = 2.0 * bits - 1.0
    labels = (bits.sum(axis=1) % 2).astype(np.int64)
    return RawData(
        x=x,
        labels=labels,
        feature_names=tuple(f"bit{j}" for j in range(n_bits)),
        class_names=("-1", "+1"),
        source=f"generated: the boolean cube {{-1, +1}}^{n_bits}",
        sha256=None,
    )


def circle_points(n_points: int = CIRCLE_POINTS) -> np.ndarray:
    r"""E1's inputs :math:`\sqrt{2}(\cos t, \sin t)`, t evenly spaced on [0, pi].

    The first point is t = 0, so the cosine similarity of point i with the
    first is c = cos t_i, covering [-1, 1]. Shape (n_points, 2).
    """
    t = np.linspace(0.0, np.pi, n_points)
    return np.sqrt(2.0) * np.stack([np.cos(t), np.sin(t)], axis=1)
