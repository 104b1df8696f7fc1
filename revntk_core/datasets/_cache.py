"""The local cache of data files: where it lives, verification, download.

A file is looked up as ``data_dir() / filename``. A file that is present is
checked (size, then sha256) and used in place; nothing is ever written next
to it, so the cache may be a read-only folder (the pre-seeded copy used in
CI). A file that is absent is downloaded from its canonical address to a
hidden temporary name in the same folder, verified, and renamed into place,
so an interrupted or corrupt download never leaves a file under the real
name; a rerun simply starts the download again.

Environment variables:
    REVNTK_DATA_DIR: the cache folder; default the platform's user cache
        folder plus ``revntk`` (``~/.cache/revntk`` on Linux).
    REVNTK_OFFLINE: ``1``/``true``/``yes`` forbids downloads, so a missing
        file fails fast with instructions for placing it by hand.
"""

import dataclasses
import hashlib
import os
import pathlib
import tempfile

import platformdirs

from revntk_core.datasets._errors import ChecksumError, DatasetNotFoundError

__all__ = [
    "RemoteFile",
    "cache_note",
    "data_dir",
    "fetch",
    "file_status",
    "is_offline",
    "resolve_dir",
    "sha256_of",
]

DATA_DIR_ENV = "REVNTK_DATA_DIR"
OFFLINE_ENV = "REVNTK_OFFLINE"

# Seconds requests waits for the server to answer or send the next chunk.
_DOWNLOAD_TIMEOUT_S = 60
# Bytes per read, for hashing and downloading (1 MiB keeps memory flat).
_CHUNK_BYTES = 1 << 20

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})

# Files already hashed in this process: (path, size, mtime_ns) -> sha256, so a
# 170 MB archive is hashed once per process, not once per load.
_VERIFIED: dict[tuple[str, int, int], str] = {}


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """A published data file: its cache name, address and checksum.

    Attributes:
        filename: name of the file in the cache folder.
        url: canonical download address.
        sha256: expected sha256 of the file, lower-case hex.
        size: expected size in bytes, or None to check the hash only.
    """

    filename: str
    url: str
    sha256: str
    size: int | None = None


def data_dir() -> pathlib.Path:
    """The cache folder: ``$REVNTK_DATA_DIR``, else the user cache dir / revntk.

    The folder is not created here; a download creates it when needed.
    """
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return pathlib.Path(env).expanduser()
    return pathlib.Path(platformdirs.user_cache_dir()) / "revntk"


def resolve_dir(folder: str | os.PathLike | None) -> pathlib.Path:
    """``folder`` as a path, or the default cache folder when None."""
    return pathlib.Path(folder).expanduser() if folder is not None else data_dir()


def is_offline(offline: bool | None = None) -> bool:
    """Whether downloads are forbidden: ``offline`` if given, else the env var.

    Raises:
        ValueError: ``REVNTK_OFFLINE`` holds something other than a boolean.
    """
    if offline is not None:
        return bool(offline)
    value = os.environ.get(OFFLINE_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"`{OFFLINE_ENV}` must be one of 1, true, yes, on, 0, false, no, off "
        f"or empty; got {value!r}."
    )


def sha256_of(path: str | os.PathLike) -> str:
    """The sha256 of a file, read in chunks; memoised by path, size and mtime."""
    path = pathlib.Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _VERIFIED:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK_BYTES):
                digest.update(chunk)
        _VERIFIED[key] = digest.hexdigest()
    return _VERIFIED[key]


def _fix_hint(remote: RemoteFile, folder: pathlib.Path) -> str:
    size = f", {remote.size:,} bytes" if remote.size is not None else ""
    return (
        f"To place it by hand, download {remote.url} (sha256 {remote.sha256}"
        f"{size}) and save it as {folder / remote.filename}, or set "
        f"{DATA_DIR_ENV} to a folder that holds a good copy of "
        f"{remote.filename}."
    )


def _check(path: pathlib.Path, remote: RemoteFile, what: str) -> None:
    """Raise ChecksumError unless ``path`` has the expected size and sha256."""
    size = path.stat().st_size
    if remote.size is not None and size != remote.size:
        raise ChecksumError(
            f"{what} {path} has {size:,} bytes but {remote.filename} should "
            f"have {remote.size:,}: the file is "
            "truncated or not the published version. Delete it so that the "
            f"next load downloads it again. {_fix_hint(remote, path.parent)}"
        )
    actual = sha256_of(path)
    if actual != remote.sha256.lower():
        raise ChecksumError(
            f"{what} {path} has sha256 {actual} but {remote.filename} should "
            f"have sha256 {remote.sha256}: the file is damaged or not the "
            "published version. Delete it so that the next load downloads it "
            f"again. {_fix_hint(remote, path.parent)}"
        )


def cache_note(remote: RemoteFile, folder: pathlib.Path) -> str | None:
    """None when ``remote`` is good in ``folder``, else one line saying what is
    wrong (missing, or wrong size/sha256) and how to place the file by hand."""
    status = file_status(remote, folder)
    if status == "ok":
        return None
    path = folder / remote.filename
    what = (
        f"{remote.filename} is not in the dataset cache {folder}"
        if status == "missing"
        else f"{path} has the wrong size or sha256 (delete it)"
    )
    return f"{what}. {_fix_hint(remote, folder)}"


def file_status(remote: RemoteFile, folder: pathlib.Path) -> str:
    """``"ok"``, ``"missing"`` or ``"invalid"`` for a file in ``folder``."""
    path = folder / remote.filename
    if not path.is_file():
        return "missing"
    try:
        _check(path, remote, "cached file")
    except ChecksumError:
        return "invalid"
    return "ok"


def _download(remote: RemoteFile, folder: pathlib.Path) -> pathlib.Path:
    """Download to a temporary name in ``folder``, verify, rename into place."""
    import pooch  # imported here: only downloads need it (and requests)

    target = folder / remote.filename
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{remote.filename}.", suffix=".part", dir=folder
    )
    os.close(fd)
    tmp = pathlib.Path(tmp_name)
    try:
        downloader = pooch.HTTPDownloader(
            progressbar=False, chunk_size=_CHUNK_BYTES, timeout=_DOWNLOAD_TIMEOUT_S
        )
        downloader(remote.url, str(tmp), None)
        _check(tmp, remote, f"download of {remote.url} saved as")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def fetch(
    remote: RemoteFile,
    *,
    data_dir: str | os.PathLike | None = None,
    offline: bool | None = None,
) -> pathlib.Path:
    """The verified local path of ``remote``, downloading it when absent.

    Args:
        remote: the file to fetch.
        data_dir: cache folder; default :func:`data_dir`.
        offline: forbid downloads; default from ``REVNTK_OFFLINE``.

    Returns:
        The path of the verified file in the cache folder.

    Raises:
        ChecksumError: the cached file, or the downloaded one, has the wrong
            size or sha256 (a cached file is left as it is).
        DatasetNotFoundError: the file is absent and offline mode is on, or
            the download failed; the message says how to place it by hand.
    """
    folder = resolve_dir(data_dir)
    path = folder / remote.filename
    if path.is_file():
        _check(path, remote, "cached file")
        return path
    if is_offline(offline):
        raise DatasetNotFoundError(
            f"{remote.filename} is not in the dataset cache {folder} and "
            f"downloads are off (offline=True or {OFFLINE_ENV}=1). "
            f"{_fix_hint(remote, folder)}"
        )
    try:
        return _download(remote, folder)
    except ChecksumError:
        raise
    except Exception as error:  # network, HTTP status, read-only folder, ...
        raise DatasetNotFoundError(
            f"{remote.filename} is not in the dataset cache {folder} and its "
            f"download from {remote.url} failed ({type(error).__name__}: "
            f"{error}). {_fix_hint(remote, folder)}"
        ) from error
