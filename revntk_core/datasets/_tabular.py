"""Readers for the tabular sets: the two raw UCI files and sklearn's WDBC.

Each reader validates every row (column count, numeric and finite cells,
known class values, every class present) and raises
:class:`DatasetFormatError` naming the file, the line (1-based, the header
is line 1 where there is one), the column and what was expected.

Class ids follow a fixed, documented order:

* wine-quality-red: quality 3, 4, 5, 6, 7, 8 -> ids 0..5.
* balance-scale: letters in alphabetical order B, L, R -> ids 0, 1, 2
  (B = balanced, L = tips left, R = tips right).
* breast-cancer-wisc-diag: scikit-learn's order, malignant = 0, benign = 1.
"""

import csv
import importlib.resources
import math
import pathlib
from collections.abc import Iterator

import numpy as np

from revntk_core.datasets._cache import RemoteFile, sha256_of
from revntk_core.datasets._dataset import RawData
from revntk_core.datasets._errors import DatasetFormatError

__all__ = [
    "BALANCE_FILE",
    "WINE_FILE",
    "read_balance_scale",
    "read_breast_cancer",
    "read_wine_quality_red",
]

_UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"

WINE_FILE = RemoteFile(
    filename="winequality-red.csv",
    url=f"{_UCI}/wine-quality/winequality-red.csv",
    sha256="4a402cf041b025d4566d954c3b9ba8635a3a8a01e039005d97d6a710278cf05e",
    size=84199,
)
BALANCE_FILE = RemoteFile(
    filename="balance-scale.data",
    url=f"{_UCI}/balance-scale/balance-scale.data",
    sha256="37180bcbe2ce2a2d324210d1cc4302000e26ac535b9b83122310ef6d5c967fc4",
    size=6250,
)

WINE_COLUMNS = (
    "fixed acidity",
    "volatile acidity",
    "citric acid",
    "residual sugar",
    "chlorides",
    "free sulfur dioxide",
    "total sulfur dioxide",
    "density",
    "pH",
    "sulphates",
    "alcohol",
    "quality",
)
WINE_QUALITIES = (3, 4, 5, 6, 7, 8)
BALANCE_CLASSES = ("B", "L", "R")
BALANCE_FEATURES = ("left-weight", "left-distance", "right-weight", "right-distance")


def _rows(path: pathlib.Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, stripped cells) of every non-blank line."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            for row in reader:
                cells = [cell.strip() for cell in row]
                if any(cells):
                    yield reader.line_num, cells
    except UnicodeDecodeError as error:
        raise DatasetFormatError(
            f"{path.name} is not UTF-8 text ({error}); expected the published UCI file."
        ) from error


def _expect_columns(path: pathlib.Path, line: int, cells: list[str], n: int) -> None:
    if len(cells) != n:
        raise DatasetFormatError(
            f"{path.name} line {line}: expected {n} columns, got {len(cells)}."
        )


def _number(path: pathlib.Path, line: int, column: int, name: str, text: str) -> float:
    """``text`` as a finite float; ``column`` is 1-based."""
    where = f"{path.name} line {line}, column {column} ({name})"
    try:
        value = float(text)
    except ValueError:
        raise DatasetFormatError(
            f"{where}: {text!r} is not a number; every feature must be numeric."
        ) from None
    if not math.isfinite(value):
        raise DatasetFormatError(
            f"{where}: {text!r} is NaN or infinite; every cell must be a finite number."
        )
    return value


def _check_classes(
    path: pathlib.Path, labels: np.ndarray, class_names: tuple[str, ...]
) -> None:
    if labels.size == 0:
        raise DatasetFormatError(f"{path.name} has no data rows.")
    counts = np.bincount(labels, minlength=len(class_names))
    missing = [
        name for name, count in zip(class_names, counts, strict=True) if count == 0
    ]
    if missing:
        raise DatasetFormatError(
            f"{path.name} has no rows of class {', '.join(missing)}; expected "
            f"every class of {', '.join(class_names)}."
        )


def read_wine_quality_red(path: pathlib.Path) -> RawData:
    """Rows of ``winequality-red.csv``: 11 features, class id = quality - 3."""
    rows = _rows(path, ";")
    first = next(rows, None)
    if first is None or tuple(first[1]) != WINE_COLUMNS:
        got = "an empty file" if first is None else f"{first[1]}"
        raise DatasetFormatError(
            f"{path.name} line 1: expected the header {list(WINE_COLUMNS)}, got {got}."
        )
    n_columns = len(WINE_COLUMNS)
    features, labels = [], []
    for line, cells in rows:
        _expect_columns(path, line, cells, n_columns)
        values = [
            _number(path, line, j + 1, WINE_COLUMNS[j], cell)
            for j, cell in enumerate(cells)
        ]
        quality = values[-1]
        if quality not in WINE_QUALITIES:
            raise DatasetFormatError(
                f"{path.name} line {line}, column {n_columns} (quality): "
                f"{cells[-1]!r} is not one of {list(WINE_QUALITIES)}."
            )
        features.append(values[:-1])
        labels.append(WINE_QUALITIES.index(int(quality)))
    labels = np.asarray(labels, dtype=np.int64)
    class_names = tuple(str(q) for q in WINE_QUALITIES)
    _check_classes(path, labels, class_names)
    return RawData(
        x=np.asarray(features, dtype=np.float64),
        labels=labels,
        feature_names=WINE_COLUMNS[:-1],
        class_names=class_names,
        source=WINE_FILE.url,
        sha256=sha256_of(path),
    )


def read_balance_scale(path: pathlib.Path) -> RawData:
    """Rows of ``balance-scale.data``: class letter then 4 integer features."""
    n_columns = 1 + len(BALANCE_FEATURES)
    features, labels = [], []
    for line, cells in _rows(path, ","):
        _expect_columns(path, line, cells, n_columns)
        if cells[0] not in BALANCE_CLASSES:
            raise DatasetFormatError(
                f"{path.name} line {line}, column 1 (class): {cells[0]!r} is "
                f"not one of {list(BALANCE_CLASSES)}."
            )
        features.append(
            [
                _number(path, line, j + 2, BALANCE_FEATURES[j], cell)
                for j, cell in enumerate(cells[1:])
            ]
        )
        labels.append(BALANCE_CLASSES.index(cells[0]))
    labels = np.asarray(labels, dtype=np.int64)
    _check_classes(path, labels, BALANCE_CLASSES)
    return RawData(
        x=np.asarray(features, dtype=np.float64).reshape(-1, len(BALANCE_FEATURES)),
        labels=labels,
        feature_names=BALANCE_FEATURES,
        class_names=BALANCE_CLASSES,
        source=BALANCE_FILE.url,
        sha256=sha256_of(path),
    )


def read_breast_cancer() -> RawData:
    """UCI WDBC (569 x 30, 2 classes) as shipped by scikit-learn; no download.

    ``sha256`` is that of the CSV file inside the scikit-learn package.
    """
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    packaged = importlib.resources.files("sklearn.datasets.data") / "breast_cancer.csv"
    with importlib.resources.as_file(packaged) as csv_path:
        checksum = sha256_of(csv_path) if csv_path.is_file() else None
    x = np.asarray(bunch.data, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise DatasetFormatError(
            "sklearn.datasets.load_breast_cancer returned NaN or infinite "
            "values; reinstall scikit-learn."
        )
    return RawData(
        x=x,
        labels=np.asarray(bunch.target, dtype=np.int64),
        feature_names=tuple(str(name) for name in bunch.feature_names),
        class_names=tuple(str(name) for name in bunch.target_names),
        source="sklearn.datasets.load_breast_cancer (UCI WDBC)",
        sha256=checksum,
    )
