"""Tests for revntk_core.datasets: cache, parsers, splits, preprocessing."""

import dataclasses
import functools
import hashlib
import http.server
import io
import pathlib
import shutil
import tarfile
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import StandardScaler

from revntk_core.datasets import (
    DATASETS,
    ChecksumError,
    DatasetError,
    DatasetFormatError,
    DatasetNotFoundError,
    RemoteFile,
    _registry,
    _tabular,
    data_dir,
    is_available,
    load_dataset,
)
from revntk_core.datasets._splits import stratified_counts

# Class counts published with the pre-seeded UCI files (shared/data/README.md).
WINE_COUNTS = {"3": 10, "4": 53, "5": 681, "6": 638, "7": 199, "8": 18}
BALANCE_COUNTS = {"B": 49, "L": 288, "R": 288}
PAPER_SIZES = {
    "wine-quality-red": (800, 799),
    "balance-scale": (313, 312),
    "breast-cancer-wisc-diag": (285, 284),
}
# Row norms after "uniform" scaling are computed as sqrt(d) * x / |x| in
# float64, so they match sqrt(d) to ~1e-15; 1e-5 is the product requirement.
NORM_TOL = 1e-5
# Two float64 pipelines of a few dozen operations on O(1) numbers agree to a
# few ulps; 1e-10 leaves ample room and still catches any wrong statistic.
PIPELINE_TOL = 1e-10


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _uci(monkeypatch, name: str, **changes) -> None:
    """Swap a registry entry's file (the documented test hook)."""
    info = DATASETS[name]
    remote = dataclasses.replace(info.files[0], **changes)
    monkeypatch.setitem(
        _registry._DATASETS, name, dataclasses.replace(info, files=(remote,))
    )


# --- Real UCI files and scikit-learn's WDBC ---------------------------------


@pytest.mark.parametrize(
    "name, counts",
    [("wine-quality-red", WINE_COUNTS), ("balance-scale", BALANCE_COUNTS)],
)
def test_uci_sets_have_the_published_class_counts(shared_data_dir, name, counts):
    data = load_dataset(name, data_dir=shared_data_dir, offline=True)
    assert (data.n_train, data.n_test) == PAPER_SIZES[name]
    assert data.meta.class_names == tuple(counts)
    labels = np.concatenate([data.labels_train, data.labels_test])
    assert dict(zip(data.meta.class_names, np.bincount(labels), strict=True)) == counts
    # Every raw row is used exactly once: the split covers the whole file.
    rows = np.concatenate([data.train_idx, data.test_idx])
    np.testing.assert_array_equal(np.sort(rows), np.arange(sum(counts.values())))
    # One-hot targets agree with the class ids.
    np.testing.assert_array_equal(data.y_train.argmax(axis=1), data.labels_train)
    np.testing.assert_array_equal(data.y_train.sum(axis=1), 1.0)


def test_breast_cancer_has_569_rows_30_features_2_classes():
    data = load_dataset("breast-cancer-wisc-diag")
    assert data.n_train + data.n_test == 569
    assert data.x_train.shape[1] == data.meta.d_in == 30
    assert data.meta.n_classes == 2 == data.y_train.shape[1]
    assert data.meta.class_names == ("malignant", "benign")
    assert len(data.meta.feature_names) == 30


@pytest.mark.parametrize("name", ["wine-quality-red", "balance-scale"])
def test_preprocessing_matches_an_independent_pipeline(shared_data_dir, name):
    """Our loader against numpy's parser + sklearn's StandardScaler."""
    info = DATASETS[name]
    path = shared_data_dir / info.files[0].filename
    if name == "wine-quality-red":
        raw = np.loadtxt(path, delimiter=";", skiprows=1)[:, :-1]
    else:
        raw = np.loadtxt(path, delimiter=",", usecols=(1, 2, 3, 4))
    data = load_dataset(name, data_dir=shared_data_dir, split_seed=3)
    scaler = StandardScaler().fit(raw[data.train_idx])
    train = scaler.transform(raw[data.train_idx])
    test = scaler.transform(raw[data.test_idx])
    mean, std = train.mean(), train.std()
    train, test = (train - mean) / std, (test - mean) / std
    radius = np.sqrt(raw.shape[1])
    train *= radius / np.linalg.norm(train, axis=1, keepdims=True)
    test *= radius / np.linalg.norm(test, axis=1, keepdims=True)
    np.testing.assert_allclose(data.x_train, train, atol=PIPELINE_TOL)
    np.testing.assert_allclose(data.x_test, test, atol=PIPELINE_TOL)


@pytest.mark.parametrize("name", ["wine-quality-red", "balance-scale", "parity11"])
@pytest.mark.parametrize("normalisation", ["uniform", "mean", "none"])
def test_radius_rules(shared_data_dir, name, normalisation):
    data = load_dataset(name, data_dir=shared_data_dir, normalisation=normalisation)
    d_in = data.meta.d_in
    train_norms = np.linalg.norm(data.x_train, axis=1)
    test_norms = np.linalg.norm(data.x_test, axis=1)
    if normalisation == "uniform" or name == "parity11":
        np.testing.assert_allclose(train_norms, np.sqrt(d_in), atol=NORM_TOL)
        np.testing.assert_allclose(test_norms, np.sqrt(d_in), atol=NORM_TOL)
    elif normalisation == "mean":
        np.testing.assert_allclose(train_norms.mean(), np.sqrt(d_in), atol=NORM_TOL)
        assert train_norms.std() > 0.1  # a common factor, not per-row scaling
    else:  # z-scored with train statistics only: exact on train
        np.testing.assert_allclose(data.x_train.mean(), 0.0, atol=PIPELINE_TOL)
        np.testing.assert_allclose(data.x_train.std(), 1.0, atol=PIPELINE_TOL)


def test_breast_cancer_uniform_norms():
    data = load_dataset("breast-cancer-wisc-diag")
    for x in (data.x_train, data.x_test):
        np.testing.assert_allclose(
            np.linalg.norm(x, axis=1), np.sqrt(30), atol=NORM_TOL
        )


# --- Splits --------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["balance-scale", "breast-cancer-wisc-diag", "parity11"]
)
def test_split_is_disjoint_and_reproducible_from_its_seed(shared_data_dir, name):
    first = load_dataset(name, data_dir=shared_data_dir, split_seed=7)
    again = load_dataset(name, data_dir=shared_data_dir, split_seed=7)
    other = load_dataset(name, data_dir=shared_data_dir, split_seed=8)
    assert np.intersect1d(first.train_idx, first.test_idx).size == 0
    np.testing.assert_array_equal(first.train_idx, again.train_idx)
    np.testing.assert_array_equal(first.test_idx, again.test_idx)
    np.testing.assert_array_equal(first.x_train, again.x_train)
    assert not np.array_equal(first.train_idx, other.train_idx)
    record = first.split_record()
    assert record["train_idx"] == first.train_idx.tolist()
    assert record["split_seed"] == 7


@pytest.mark.parametrize(
    "name", ["wine-quality-red", "balance-scale", "breast-cancer-wisc-diag"]
)
@pytest.mark.parametrize("seed", [0, 1])
def test_stratification_keeps_class_shares(shared_data_dir, name, seed):
    data = load_dataset(name, data_dir=shared_data_dir, split_seed=seed)
    labels = np.concatenate([data.labels_train, data.labels_test])
    share = np.bincount(labels) / labels.size
    for part, n in ((data.labels_train, data.n_train), (data.labels_test, data.n_test)):
        # Largest-remainder rounding: every class within 1 row of its share.
        counts = np.bincount(part, minlength=share.size)
        assert np.all(np.abs(counts - n * share) < 1.0)


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(0, 50), min_size=1, max_size=12),
    fraction=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratified_counts_rounding(counts, fraction, seed):
    counts = np.array(counts)
    total = int(counts.sum())
    n = int(round(fraction * total))
    got = stratified_counts(counts, n, np.random.default_rng(seed))
    assert got.sum() == n
    assert np.all(got <= counts) and np.all(got >= 0)
    if total:
        assert np.all(np.abs(got - n * counts / total) < 1.0)


def test_custom_sizes(shared_data_dir):
    data = load_dataset("wine-quality-red", data_dir=shared_data_dir, n_train=1500)
    assert (data.n_train, data.n_test) == (1500, 99)  # test gets what is left
    with pytest.raises(ValueError, match=r"`n_test` must lie in \[0, 99\]"):
        load_dataset(
            "wine-quality-red", data_dir=shared_data_dir, n_train=1500, n_test=100
        )


# --- Cache: verification, offline mode, downloads ----------------------------


@pytest.mark.parametrize("damage", ["truncate", "alter"])
def test_damaged_copy_is_rejected_and_original_untouched(
    shared_data_dir, tmp_path, damage
):
    source = shared_data_dir / "winequality-red.csv"
    before = _sha256(source)
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    content = bytearray(copy.read_bytes())
    if damage == "truncate":
        content = content[: len(content) // 2]
    else:  # same size, one digit changed
        content[-3] = ord("9") if content[-3] != ord("9") else ord("8")
    copy.write_bytes(bytes(content))
    expected = "bytes" if damage == "truncate" else "sha256"
    with pytest.raises(
        ChecksumError, match=rf"winequality-red\.csv.*{expected}"
    ) as info:
        load_dataset("wine-quality-red", data_dir=tmp_path, offline=True)
    assert "4a402cf0" in str(info.value)  # the expected checksum is named
    assert copy.read_bytes() == bytes(content)  # the user's file is left as is
    assert _sha256(source) == before
    assert not is_available("wine-quality-red", tmp_path)
    assert is_available("wine-quality-red", shared_data_dir)


def test_offline_missing_file_names_file_address_and_fix(tmp_path, monkeypatch):
    remote = DATASETS["balance-scale"].files[0]
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("balance-scale", data_dir=tmp_path, offline=True)
    message = str(info.value)
    for part in ("balance-scale.data", remote.url, remote.sha256, "REVNTK_DATA_DIR"):
        assert part in message
    monkeypatch.setenv("REVNTK_OFFLINE", "1")
    monkeypatch.setenv("REVNTK_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="balance-scale.data"):
        load_dataset("balance-scale")
    assert list(tmp_path.iterdir()) == []


def test_cifar10_absent_offline_is_a_clear_error(tmp_path):
    assert not is_available("cifar10", tmp_path)
    with pytest.raises(DatasetError, match=r"cifar-10-binary\.tar\.gz.*toronto"):
        load_dataset("cifar10", data_dir=tmp_path, offline=True)
    assert is_available("parity11", tmp_path) and is_available("circle", tmp_path)


def test_data_dir_and_offline_env(monkeypatch, tmp_path):
    monkeypatch.setenv("REVNTK_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.delenv("REVNTK_DATA_DIR")
    assert data_dir().name == "revntk"
    monkeypatch.setenv("REVNTK_OFFLINE", "maybe")
    with pytest.raises(ValueError, match="`REVNTK_OFFLINE`.*'maybe'"):
        load_dataset("balance-scale", data_dir=tmp_path)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_root(tmp_path):
    """A local HTTP server over a folder: (folder, base address)."""
    root = tmp_path / "server"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_verifies_and_renames_atomically(
    shared_data_dir, http_root, tmp_path, monkeypatch
):
    root, base = http_root
    shutil.copyfile(shared_data_dir / "balance-scale.data", root / "balance-scale.data")
    _uci(monkeypatch, "balance-scale", url=f"{base}/balance-scale.data")
    cache = tmp_path / "cache"
    data = load_dataset("balance-scale", data_dir=cache, offline=False)
    assert data.n_train == 313
    assert [p.name for p in cache.iterdir()] == ["balance-scale.data"]
    assert is_available("balance-scale", cache)


def test_bad_download_leaves_nothing_in_the_cache(
    shared_data_dir, http_root, tmp_path, monkeypatch
):
    root, base = http_root
    content = (shared_data_dir / "balance-scale.data").read_bytes()
    (root / "balance-scale.data").write_bytes(
        content.replace(b"B,1,1,1,1", b"B,1,1,1,2", 1)
    )
    _uci(monkeypatch, "balance-scale", url=f"{base}/balance-scale.data")
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError, match=r"balance-scale\.data.*sha256"):
        load_dataset("balance-scale", data_dir=cache, offline=False)
    assert list(cache.iterdir()) == []
    # A failed connection falls back to the offline message, with the cause.
    _uci(monkeypatch, "balance-scale", url=f"{base}/no-such-file")
    with pytest.raises(
        DatasetNotFoundError, match=r"download from .*no-such-file failed"
    ):
        load_dataset("balance-scale", data_dir=cache, offline=False)
    assert list(cache.iterdir()) == []


# --- Parser validation ---------------------------------------------------


def _wine_lines(shared_data_dir) -> list[str]:
    return (shared_data_dir / "winequality-red.csv").read_text().splitlines()


def _set_cell(lines: list[str], i: int, j: int, value: str) -> None:
    cells = lines[i].split(";")
    cells[j] = value
    lines[i] = ";".join(cells)


@pytest.mark.parametrize(
    "edit, pattern",
    [
        (
            lambda l: l.__setitem__(4, l[4].rsplit(";", 1)[0]),
            r"line 5: expected 12 columns, got 11",
        ),
        (
            lambda l: _set_cell(l, 6, 0, "abc"),
            r"line 7, column 1 \(fixed acidity\): 'abc' is not a number",
        ),
        (
            lambda l: _set_cell(l, 2, 1, "nan"),
            r"line 3, column 2 \(volatile acidity\): 'nan' is NaN",
        ),
        (
            lambda l: _set_cell(l, 9, 11, "9"),
            r"line 10, column 12 \(quality\): '9' is not one of",
        ),
        (
            lambda l: l.__setitem__(
                slice(1, None), [r for r in l[1:] if not r.endswith(";3")]
            ),
            r"no rows of class 3;",
        ),
    ],
    ids=["columns", "non-numeric", "nan", "unknown-class", "missing-class"],
)
def test_wine_parser_names_row_and_column(shared_data_dir, tmp_path, edit, pattern):
    lines = _wine_lines(shared_data_dir)
    edit(lines)
    path = tmp_path / "winequality-red.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetFormatError, match=rf"winequality-red\.csv.*{pattern}"):
        _tabular.read_wine_quality_red(path)


def test_balance_parser_rejects_unknown_letter(tmp_path):
    path = tmp_path / "balance-scale.data"
    path.write_text("B,1,1,1,1\nL,5,5,5,3\nX,1,1,1,2\n")
    with pytest.raises(DatasetFormatError, match=r"line 3, column 1 \(class\): 'X'"):
        _tabular.read_balance_scale(path)
    path.write_text("B,1,1,1,1\nL,5,5,5,3\n")
    with pytest.raises(DatasetFormatError, match="no rows of class R"):
        _tabular.read_balance_scale(path)


# --- CIFAR-10 through a tiny archive of the same format ----------------------

_RECORD = 3073
_PER_CLASS = 2  # records per class in each tiny batch file


def _tiny_cifar(
    path: pathlib.Path, members=None, cut=0
) -> tuple[RemoteFile, np.ndarray]:
    """A tiny binary CIFAR-10 archive; returns its RemoteFile and all records."""
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    blocks = []
    with tarfile.open(path, "w:gz") as tar:
        for name in names if members is None else members:
            labels = rng.permutation(
                np.repeat(np.arange(10, dtype=np.uint8), _PER_CLASS)
            )
            pixels = rng.integers(
                0, 256, size=(labels.size, _RECORD - 1), dtype=np.uint8
            )
            records = np.concatenate([labels[:, None], pixels], axis=1)
            blocks.append(records)
            data = records.tobytes()[: len(records.tobytes()) - cut]
            entry = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
        meta = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"
        entry = tarfile.TarInfo("cifar-10-batches-bin/batches.meta.txt")
        entry.size = len(meta)
        tar.addfile(entry, io.BytesIO(meta))
    remote = dataclasses.replace(
        DATASETS["cifar10"].files[0], sha256=_sha256(path), size=path.stat().st_size
    )
    return remote, np.concatenate(blocks)


def _use_archive(monkeypatch, remote: RemoteFile) -> None:
    info = DATASETS["cifar10"]
    monkeypatch.setitem(
        _registry._DATASETS, "cifar10", dataclasses.replace(info, files=(remote,))
    )


def test_tiny_cifar10_archive_loads_through_the_real_path(tmp_path, monkeypatch):
    remote, records = _tiny_cifar(tmp_path / "cifar-10-binary.tar.gz")
    _use_archive(monkeypatch, remote)
    assert is_available("cifar10", tmp_path)
    data = load_dataset(
        "cifar10", data_dir=tmp_path, offline=True, n_train=30, n_test=10
    )
    n_official = 5 * 10 * _PER_CLASS
    assert data.x_train.shape == (30, 3072) and data.x_test.shape == (10, 3072)
    assert data.train_idx.max() < n_official <= data.test_idx.min()
    np.testing.assert_array_equal(data.labels_train, records[data.train_idx, 0])
    np.testing.assert_array_equal(data.labels_test, records[data.test_idx, 0])
    np.testing.assert_array_equal(np.bincount(data.labels_train), 3)  # stratified
    np.testing.assert_array_equal(np.bincount(data.labels_test), 1)
    # Independent preprocessing of the raw bytes: global z-score, radius sqrt(d).
    train = records[data.train_idx, 1:].astype(float)
    test = records[data.test_idx, 1:].astype(float)
    mean, std = train.mean(), train.std()
    train, test = (train - mean) / std, (test - mean) / std
    train *= np.sqrt(3072) / np.linalg.norm(train, axis=1, keepdims=True)
    test *= np.sqrt(3072) / np.linalg.norm(test, axis=1, keepdims=True)
    np.testing.assert_allclose(data.x_train, train, atol=PIPELINE_TOL)
    np.testing.assert_allclose(data.x_test, test, atol=PIPELINE_TOL)
    assert data.meta.class_names[0] == "airplane" and data.meta.sha256 == remote.sha256
    with pytest.raises(ValueError, match=r"`n_train` must lie in \[1, 100\]; got 1000"):
        load_dataset("cifar10", data_dir=tmp_path, offline=True)


def test_tiny_cifar10_archive_format_errors(tmp_path, monkeypatch):
    remote, _ = _tiny_cifar(
        tmp_path / "cifar-10-binary.tar.gz", members=["data_batch_1.bin"]
    )
    _use_archive(monkeypatch, remote)
    with pytest.raises(
        DatasetFormatError, match=r"lacks the member\(s\) .*data_batch_2\.bin"
    ):
        load_dataset("cifar10", data_dir=tmp_path, offline=True, n_train=10, n_test=5)
    remote, _ = _tiny_cifar(tmp_path / "cifar-10-binary.tar.gz", cut=5)
    _use_archive(monkeypatch, remote)
    with pytest.raises(DatasetFormatError, match=r"data_batch_1\.bin has 61,455 bytes"):
        load_dataset("cifar10", data_dir=tmp_path, offline=True, n_train=10, n_test=5)


# --- Generated sets ------------------------------------------------------


def test_parity_cube_labels_and_norms():
    data = load_dataset("parity11", split_seed=4)
    assert (data.n_train, data.n_test) == (1024, 1024)
    x = np.concatenate([data.x_train, data.x_test])
    y = np.concatenate([data.y_train, data.y_test])[:, 0]
    assert np.unique(x, axis=0).shape == (2048, 11)  # the whole cube, once
    assert set(np.unique(x)) == {-1.0, 1.0}
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), np.sqrt(11), atol=NORM_TOL)
    n_plus = (x > 0).sum(axis=1)
    np.testing.assert_array_equal(y, np.where(n_plus % 2 == 1, 1.0, -1.0))
    np.testing.assert_array_equal(y, x.prod(axis=1))  # same rule, 11 bits odd


def test_circle_points():
    data = load_dataset("circle")
    x = data.x_train
    assert x.shape == (100, 2) and data.n_test == 0
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), np.sqrt(2), atol=NORM_TOL)
    c = x @ x[0] / 2.0  # cosine similarity with the first point
    np.testing.assert_allclose(c, np.cos(np.linspace(0, np.pi, 100)), atol=1e-12)


# --- Arguments and error classes ----------------------------------------------


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="`name` must be one of .*'mnist'"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="`normalisation` .*'unit'"):
        load_dataset("parity11", normalisation="unit")
    with pytest.raises(ValueError, match="`split_seed` must be >= 0; got -1"):
        load_dataset("parity11", split_seed=-1)
    with pytest.raises(TypeError, match="`n_train` must be an int"):
        load_dataset("parity11", n_train=1.5)


def test_errors_derive_from_builtins():
    assert issubclass(DatasetNotFoundError, FileNotFoundError)
    assert issubclass(ChecksumError, ValueError)
    assert issubclass(DatasetFormatError, ValueError)
    assert all(issubclass(e, DatasetError) for e in (ChecksumError, DatasetFormatError))


def test_arrays_are_read_only():
    data = load_dataset("parity11")
    with pytest.raises(ValueError):
        data.x_train[0, 0] = 5.0


def test_unavailable_reason_names_file_cache_path_and_fix(shared_data_dir, tmp_path):
    from revntk_core.datasets import unavailable_reason

    assert unavailable_reason("wine-quality-red", shared_data_dir) is None
    assert unavailable_reason("parity11", tmp_path) is None  # no file needed
    remote = DATASETS["cifar10"].files[0]
    reason = unavailable_reason("cifar10", tmp_path)
    assert reason.startswith(
        f"cifar-10-binary.tar.gz is not in the dataset cache {tmp_path}."
    )
    for part in (remote.url, remote.sha256, str(tmp_path / remote.filename)):
        assert part in reason
    assert "\n" not in reason
    (tmp_path / "winequality-red.csv").write_text("not the published file\n")
    reason = unavailable_reason("wine-quality-red", tmp_path)
    assert f"{tmp_path / 'winequality-red.csv'} has the wrong size or sha256" in reason
    assert is_available("wine-quality-red", tmp_path) is False
