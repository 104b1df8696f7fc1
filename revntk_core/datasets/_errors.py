"""Errors raised by the dataset loaders.

Every error is a :class:`DatasetError`, so a job can catch one class; each
subclass also derives from the builtin that fits its cause, so generic
handlers (``except FileNotFoundError``, ``except ValueError``) work too.
"""

__all__ = [
    "ChecksumError",
    "DatasetError",
    "DatasetFormatError",
    "DatasetNotFoundError",
]


class DatasetError(RuntimeError):
    """A dataset could not be loaded; the message says why and what to do."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A data file is missing from the cache and could not be downloaded."""


class ChecksumError(DatasetError, ValueError):
    """A data file's size or sha256 differs from the published one."""


class DatasetFormatError(DatasetError, ValueError):
    """A data file has a wrong column count, a non-numeric cell, a NaN, an
    unknown class or a missing class."""
