"""Reader for the binary version of CIFAR-10 (``cifar-10-binary.tar.gz``).

The archive holds ``cifar-10-batches-bin/data_batch_{1..5}.bin`` (the
50,000 training images) and ``cifar-10-batches-bin/test_batch.bin`` (10,000
test images). Each file is a run of 3073-byte records: one label byte
(0..9) and 3072 pixel bytes, 1024 red, 1024 green, 1024 blue, each a 32 x 32
image in row-major order. Members are read straight from the compressed
stream; nothing is extracted to disk and nothing is unpickled (the Python
version of the archive stores pickles, which run code when loaded).

Raw row order: the five training batches in order, then the test batch, so
rows ``[0, 50000)`` are the official training set. Pixels stay ``uint8``
until the split has chosen its rows, to keep memory at ~190 MB, not 1.5 GB.
"""

import pathlib
import tarfile

import numpy as np

from revntk_core.datasets._cache import RemoteFile, sha256_of
from revntk_core.datasets._dataset import RawData
from revntk_core.datasets._errors import DatasetFormatError

__all__ = [
    "CIFAR10_CLASSES",
    "CIFAR10_FILE",
    "CIFAR10_MEMBERS",
    "read_cifar10",
]

CIFAR10_FILE = RemoteFile(
    filename="cifar-10-binary.tar.gz",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
    sha256="c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    size=170_052_171,
)
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
_FOLDER = "cifar-10-batches-bin"
_TRAIN_MEMBERS = tuple(f"{_FOLDER}/data_batch_{i}.bin" for i in range(1, 6))
_TEST_MEMBER = f"{_FOLDER}/test_batch.bin"
# Members in raw row order: training batches first, then the test batch.
CIFAR10_MEMBERS = (*_TRAIN_MEMBERS, _TEST_MEMBER)

_SIDE = 32
_CHANNELS = ("R", "G", "B")
_PIXELS = len(_CHANNELS) * _SIDE * _SIDE
_RECORD = 1 + _PIXELS


def _feature_names() -> tuple[str, ...]:
    return tuple(
        f"{channel}[{row},{col}]"
        for channel in _CHANNELS
        for row in range(_SIDE)
        for col in range(_SIDE)
    )


def _records(archive: pathlib.Path, name: str, data: bytes) -> np.ndarray:
    """The (n, 3073) uint8 records of one member, validated."""
    if len(data) == 0 or len(data) % _RECORD:
        raise DatasetFormatError(
            f"{archive.name} member {name} has {len(data):,} bytes; expected a "
            f"positive multiple of {_RECORD} (1 label byte + {_PIXELS} pixel "
            f"bytes per record), so record {len(data) // _RECORD} is cut short."
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, _RECORD)
    bad = np.flatnonzero(records[:, 0] >= len(CIFAR10_CLASSES))
    if bad.size:
        raise DatasetFormatError(
            f"{archive.name} member {name} record {bad[0]} has label "
            f"{records[bad[0], 0]}; expected a class id 0..9."
        )
    return records


def _check_classes(archive: pathlib.Path, labels: np.ndarray, part: str) -> None:
    counts = np.bincount(labels, minlength=len(CIFAR10_CLASSES))
    missing = [
        name for name, count in zip(CIFAR10_CLASSES, counts, strict=True) if count == 0
    ]
    if missing:
        raise DatasetFormatError(
            f"{archive.name}: the {part} batches have no images of class "
            f"{', '.join(missing)}; expected all 10 classes."
        )


def read_cifar10(path: pathlib.Path) -> RawData:
    """All records of the archive at ``path``; ``x`` is uint8 (n, 3072)."""
    found: dict[str, np.ndarray] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                if member.name in CIFAR10_MEMBERS and member.isfile():
                    handle = tar.extractfile(member)
                    found[member.name] = _records(path, member.name, handle.read())
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DatasetFormatError(
            f"{path.name} is not a readable tar.gz archive ({error}); expected "
            f"the binary CIFAR-10 archive from {CIFAR10_FILE.url}."
        ) from error
    missing = [name for name in CIFAR10_MEMBERS if name not in found]
    if missing:
        raise DatasetFormatError(
            f"{path.name} lacks the member(s) {', '.join(missing)}; expected "
            f"{', '.join(CIFAR10_MEMBERS)} (the binary version of CIFAR-10)."
        )
    n_train = sum(len(found[name]) for name in _TRAIN_MEMBERS)
    records = np.concatenate([found.pop(name) for name in CIFAR10_MEMBERS])
    labels = records[:, 0].astype(np.int64)
    _check_classes(path, labels[:n_train], "training")
    _check_classes(path, labels[n_train:], "test")
    return RawData(
        x=records[:, 1:],
        labels=labels,
        feature_names=_feature_names(),
        class_names=CIFAR10_CLASSES,
        source=CIFAR10_FILE.url,
        sha256=sha256_of(path),
        n_official_train=n_train,
    )
