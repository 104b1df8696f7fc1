"""The values the loaders return: raw rows, and the split, preprocessed set."""

import dataclasses
from typing import Any

import numpy as np

__all__ = ["Dataset", "DatasetMeta", "RawData"]


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


@dataclasses.dataclass(frozen=True, eq=False)
class RawData:
    """A dataset's rows as read from its source, before splitting.

    Attributes:
        x: features, float64 of shape (n_rows, d_in), in file order.
        labels: int64 class ids of shape (n_rows,), in ``class_names`` order.
        feature_names: one name per column of ``x``.
        class_names: the class of each id, in id order.
        source: where the rows came from (an address or a package function).
        sha256: checksum of the source file, or None for generated data.
        n_official_train: rows ``[0, n_official_train)`` form a fixed official
            training set (CIFAR-10); None when the source has no such split.
    """

    x: np.ndarray
    labels: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    source: str
    sha256: str | None
    n_official_train: int | None = None


@dataclasses.dataclass(frozen=True)
class DatasetMeta:
    """What a loaded dataset is; record it next to every result.

    Attributes:
        name: registry name, e.g. ``"wine-quality-red"``.
        feature_names: one name per input feature.
        class_names: the class of each id, in id order (empty for ``circle``).
        source: canonical address of the file, or the package function.
        sha256: checksum of the source file (None for generated data).
        n_classes: number of classes (0 for ``circle``).
        d_in: number of input features.
        normalisation: ``"uniform"``, ``"mean"`` or ``"none"``.
        split_seed: seed of the train/test split.
        task: ``"classification"`` (one-hot targets), ``"sign"`` (scalar
            +-1 targets) or ``"inputs"`` (no targets).
    """

    name: str
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    source: str
    sha256: str | None
    n_classes: int
    d_in: int
    normalisation: str
    split_seed: int
    task: str

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready fields; feature names are left out (CIFAR has
        3072 of them) in favour of ``d_in``."""
        fields = dataclasses.asdict(self)
        fields.pop("feature_names")
        fields["class_names"] = list(self.class_names)
        return fields


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split, preprocessed, with the raw row indices it came from.

    Arrays are read-only. Shapes: ``x_*`` (n, d_in) float64; ``y_*``
    (n, n_classes) one-hot float64 for classification, (n, 1) of +-1 for
    parity, (n, 1) zeros for ``circle``; ``labels_*`` (n,) int64 class ids;
    ``train_idx``/``test_idx`` (n,) int64 indices into the raw rows of the
    source (file order; for CIFAR-10 the five training batches, then the
    test batch), sorted, never shared between train and test.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_idx: np.ndarray
    test_idx: np.ndarray
    labels_train: np.ndarray
    labels_test: np.ndarray
    meta: DatasetMeta

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, np.ndarray):
                object.__setattr__(self, field.name, _frozen(value))

    @property
    def n_train(self) -> int:
        """Number of training rows."""
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        """Number of test rows."""
        return int(self.x_test.shape[0])

    def split_record(self) -> dict[str, Any]:
        """Metadata plus the split's raw row indices, as plain lists."""
        record = self.meta.to_dict()
        record["train_idx"] = self.train_idx.tolist()
        record["test_idx"] = self.test_idx.tolist()
        return record
