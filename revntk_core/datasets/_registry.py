"""The dataset registry and :func:`load_dataset`, the one entry point.

Loading runs the same steps for every file-backed set: fetch and verify the
file(s) (:mod:`._cache`), parse and validate the raw rows, draw the split by
raw row index (:mod:`._splits`), preprocess with train statistics
(:mod:`._preprocess`), encode targets.

Test hook: a test may swap an entry of ``_DATASETS`` (for example with
``monkeypatch.setitem(_registry._DATASETS, "cifar10",
dataclasses.replace(DATASETS["cifar10"], files=(tiny_remote_file,)))``) to
load a small archive with its own checksum through exactly this code path.
"""

import dataclasses
import os
import types
from collections.abc import Callable, Mapping

import numpy as np

from revntk_core.datasets import _cifar10, _synthetic, _tabular
from revntk_core.datasets._cache import (
    RemoteFile,
    cache_note,
    fetch,
    file_status,
    resolve_dir,
)
from revntk_core.datasets._dataset import Dataset, DatasetMeta, RawData
from revntk_core.datasets._errors import DatasetFormatError
from revntk_core.datasets._preprocess import NORMALISATIONS, preprocess
from revntk_core.datasets._splits import train_test_indices

__all__ = [
    "DATASETS",
    "DatasetInfo",
    "is_available",
    "load_dataset",
    "unavailable_reason",
]


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """A registered dataset: its source and its paper-default split.

    Attributes:
        name: registry name.
        task: ``"classification"`` (one-hot targets), ``"sign"`` (scalar +-1
            target) or ``"inputs"`` (inputs only, no test set).
        n_train: default training rows (the paper's).
        n_test: default test rows (the paper's).
        d_in: input features.
        n_classes: classes (0 for inputs-only sets).
        files: data files to fetch into the cache; empty when none.
        reader: builds the raw rows from the fetched paths, in ``files``
            order; None for circle, which :func:`load_dataset` builds itself.
        stratify: keep class shares in the split.
        per_feature: standardise each feature before the global z-score
            (raw tabular files, whose columns have their own units).
        on_sphere: inputs already have norm sqrt(d_in); never preprocessed.
    """

    name: str
    task: str
    n_train: int
    n_test: int
    d_in: int
    n_classes: int
    files: tuple[RemoteFile, ...]
    reader: Callable[..., RawData] | None
    stratify: bool
    per_feature: bool
    on_sphere: bool = False


_DATASETS: dict[str, DatasetInfo] = {
    "wine-quality-red": DatasetInfo(
        name="wine-quality-red",
        task="classification",
        n_train=800,
        n_test=799,
        d_in=11,
        n_classes=6,
        files=(_tabular.WINE_FILE,),
        reader=_tabular.read_wine_quality_red,
        stratify=True,
        per_feature=True,
    ),
    "balance-scale": DatasetInfo(
        name="balance-scale",
        task="classification",
        n_train=313,
        n_test=312,
        d_in=4,
        n_classes=3,
        files=(_tabular.BALANCE_FILE,),
        reader=_tabular.read_balance_scale,
        stratify=True,
        per_feature=True,
    ),
    "breast-cancer-wisc-diag": DatasetInfo(
        name="breast-cancer-wisc-diag",
        task="classification",
        n_train=285,
        n_test=284,
        d_in=30,
        n_classes=2,
        files=(),
        reader=_tabular.read_breast_cancer,
        stratify=True,
        per_feature=True,
    ),
    "cifar10": DatasetInfo(
        name="cifar10",
        task="classification",
        n_train=1000,
        n_test=1000,
        d_in=3072,
        n_classes=10,
        files=(_cifar10.CIFAR10_FILE,),
        reader=_cifar10.read_cifar10,
        stratify=True,
        per_feature=False,
    ),
    "parity11": DatasetInfo(
        name="parity11",
        task="sign",
        n_train=1024,
        n_test=1024,
        d_in=_synthetic.PARITY_BITS,
        n_classes=2,
        files=(),
        reader=_synthetic.read_parity,
        stratify=False,
        per_feature=False,
        on_sphere=True,
    ),
    "circle": DatasetInfo(
        name="circle",
        task="inputs",
        n_train=_synthetic.CIRCLE_POINTS,
        n_test=0,
        d_in=2,
        n_classes=0,
        files=(),
        reader=None,
        stratify=False,
        per_feature=False,
        on_sphere=True,
    ),
}

DATASETS: Mapping[str, DatasetInfo] = types.MappingProxyType(_DATASETS)
"""Read-only view of the registered datasets, by name."""


def _info(name: str) -> DatasetInfo:
    if name not in _DATASETS:
        raise ValueError(f"`name` must be one of {sorted(_DATASETS)}; got {name!r}.")
    return _DATASETS[name]


def _check_size(name: str, value: int | None) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | np.integer)
    ):
        raise TypeError(f"`{name}` must be an int or None; got {value!r}.")


def is_available(name: str, data_dir: str | os.PathLike | None = None) -> bool:
    """Whether ``name`` loads without a download: every file it needs is in
    the cache with the right checksum (always True for sets with no file).

    Jobs use it to skip CIFAR-10, with a note, where the archive is absent.
    """
    folder = resolve_dir(data_dir)
    return all(file_status(f, folder) == "ok" for f in _info(name).files)


def unavailable_reason(
    name: str, data_dir: str | os.PathLike | None = None
) -> str | None:
    """Why ``name`` cannot load without a download, or None when it can.

    One line covering every file that is missing from the cache or fails
    its checksum, naming the file, the cache folder, its URL and sha256 and the path to
    save it as. Jobs print it when they skip or refuse a dataset.

    Raises:
        ValueError: ``name`` is not a registered dataset.
    """
    folder = resolve_dir(data_dir)
    notes = [cache_note(f, folder) for f in _info(name).files]
    notes = [n for n in notes if n is not None]
    return " ".join(notes) if notes else None


def _circle(info: DatasetInfo, n_points: int | None, normalisation: str) -> Dataset:
    n_points = info.n_train if n_points is None else n_points
    if n_points < 1:
        raise ValueError(f"`n_train` must be positive for circle; got {n_points}.")
    x = _synthetic.circle_points(n_points)
    empty_int = np.empty(0, dtype=np.int64)
    meta = DatasetMeta(
        name=info.name,
        feature_names=("x0", "x1"),
        class_names=(),
        source="generated: sqrt(2) (cos t, sin t), t evenly spaced on [0, pi]",
        sha256=None,
        n_classes=0,
        d_in=2,
        normalisation=normalisation,
        split_seed=0,
        task=info.task,
    )
    return Dataset(
        x_train=x,
        y_train=np.zeros((n_points, 1)),
        x_test=np.empty((0, 2)),
        y_test=np.empty((0, 1)),
        train_idx=np.arange(n_points, dtype=np.int64),
        test_idx=empty_int,
        labels_train=np.zeros(n_points, dtype=np.int64),
        labels_test=empty_int,
        meta=meta,
    )


def _targets(info: DatasetInfo, labels: np.ndarray) -> np.ndarray:
    if info.task == "sign":
        return np.where(labels == 1, 1.0, -1.0)[:, None]
    return np.eye(info.n_classes)[labels]


def load_dataset(
    name: str,
    *,
    split_seed: int = 0,
    normalisation: str = "uniform",
    data_dir: str | os.PathLike | None = None,
    offline: bool | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
) -> Dataset:
    r"""Load a registered dataset, split and preprocessed as in SPEC E3/E4.

    Args:
        name: one of :data:`DATASETS`: ``"wine-quality-red"``,
            ``"balance-scale"``, ``"breast-cancer-wisc-diag"``, ``"cifar10"``,
            ``"parity11"``, ``"circle"``.
        split_seed: seed of the train/test draw (stratified by class for the
            classification sets; a plain random draw for parity).
        normalisation: radius rule after standardisation: ``"uniform"``
            (every row to norm :math:`\sqrt{d_{in}}`), ``"mean"`` (mean train
            norm :math:`\sqrt{d_{in}}`, one factor for all rows) or ``"none"``.
            Parity and circle are already on that sphere and are left as
            they are.
        data_dir: cache folder; default ``$REVNTK_DATA_DIR`` or the user
            cache dir.
        offline: forbid downloads; default from ``$REVNTK_OFFLINE``.
        n_train: training rows; default the paper's (800, 313, 285, 1000,
            1024; for circle, the number of points, 100).
        n_test: test rows; default the paper's (799, 312, 284, 1000, 1024),
            or all rows left when ``n_train`` leaves fewer. CIFAR-10 draws
            train rows from its official training batches and test rows from
            its test batch.

    Returns:
        The :class:`Dataset`, whose ``train_idx``/``test_idx`` and ``meta``
        should be recorded with any result computed from it.

    Raises:
        ValueError: unknown ``name`` or ``normalisation``, or sizes that do
            not fit the data.
        DatasetNotFoundError: a file is absent and cannot be downloaded.
        ChecksumError: a cached file is damaged.
        DatasetFormatError: a file parses but breaks its format.
    """
    info = _info(name)
    if normalisation not in NORMALISATIONS:
        raise ValueError(
            f"`normalisation` must be one of {list(NORMALISATIONS)}; got "
            f"{normalisation!r}."
        )
    if isinstance(split_seed, bool) or not isinstance(split_seed, int | np.integer):
        raise TypeError(f"`split_seed` must be an int; got {split_seed!r}.")
    if split_seed < 0:
        raise ValueError(f"`split_seed` must be >= 0; got {split_seed}.")
    _check_size("n_train", n_train)
    _check_size("n_test", n_test)
    if info.task == "inputs":
        if n_test:
            raise ValueError(f"`n_test` must be None or 0 for circle; got {n_test}.")
        return _circle(info, n_train, normalisation)

    paths = [fetch(f, data_dir=data_dir, offline=offline) for f in info.files]
    raw = info.reader(*paths)
    if raw.x.shape[1] != info.d_in or len(raw.class_names) != info.n_classes:
        raise DatasetFormatError(
            f"{name}: the source gave {raw.x.shape[1]} features and "
            f"{len(raw.class_names)} classes; expected {info.d_in} and "
            f"{info.n_classes}."
        )
    n_train = info.n_train if n_train is None else int(n_train)
    if n_test is None:
        room = raw.labels.size - (raw.n_official_train or n_train)
        n_test = max(0, min(info.n_test, room))
    train_idx, test_idx = train_test_indices(
        raw.labels,
        n_train=n_train,
        n_test=int(n_test),
        seed=int(split_seed),
        stratify=info.stratify,
        n_official_train=raw.n_official_train,
    )
    x_train, x_test = raw.x[train_idx], raw.x[test_idx]
    if info.on_sphere:
        x_train, x_test = x_train.astype(np.float64), x_test.astype(np.float64)
    else:
        x_train, x_test = preprocess(
            x_train, x_test, normalisation=normalisation, per_feature=info.per_feature
        )
    labels_train, labels_test = raw.labels[train_idx], raw.labels[test_idx]
    meta = DatasetMeta(
        name=info.name,
        feature_names=raw.feature_names,
        class_names=raw.class_names,
        source=raw.source,
        sha256=raw.sha256,
        n_classes=info.n_classes,
        d_in=info.d_in,
        normalisation=normalisation,
        split_seed=int(split_seed),
        task=info.task,
    )
    return Dataset(
        x_train=x_train,
        y_train=_targets(info, labels_train),
        x_test=x_test,
        y_test=_targets(info, labels_test),
        train_idx=train_idx,
        test_idx=test_idx,
        labels_train=labels_train,
        labels_test=labels_test,
        meta=meta,
    )
