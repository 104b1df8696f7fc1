"""Datasets of the paper's experiments: loaders, cache, splits, preprocessing.

:func:`load_dataset` returns a :class:`Dataset` for any name in
:data:`DATASETS`; files are downloaded once into :func:`data_dir`, verified
by sha256, and refused with a :class:`DatasetError` that says what to do.
"""

from revntk_core.datasets._cache import RemoteFile, data_dir
from revntk_core.datasets._dataset import Dataset, DatasetMeta
from revntk_core.datasets._errors import (
    ChecksumError,
    DatasetError,
    DatasetFormatError,
    DatasetNotFoundError,
)
from revntk_core.datasets._preprocess import NORMALISATIONS, preprocess
from revntk_core.datasets._registry import (
    DATASETS,
    DatasetInfo,
    is_available,
    load_dataset,
    unavailable_reason,
)

__all__ = [
    "DATASETS",
    "NORMALISATIONS",
    "ChecksumError",
    "Dataset",
    "DatasetError",
    "DatasetFormatError",
    "DatasetInfo",
    "DatasetMeta",
    "DatasetNotFoundError",
    "RemoteFile",
    "data_dir",
    "is_available",
    "load_dataset",
    "preprocess",
    "unavailable_reason",
]
