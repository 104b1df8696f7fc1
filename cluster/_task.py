"""Tasks: a function, its plain-data arguments and a content-derived id.

A :class:`Task` is the unit the scheduler submits to a Ray worker and the unit
the result store marks done. Its id hashes what determines the result (the
function's import path, the experiment and the arguments), never how it is
run (resources, labels, display name), so rerunning an unchanged spec finds
every finished task and a changed argument makes a new task.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

#: Hex characters kept of the sha256 task digest. 16 hex = 64 bits: the chance
#: that two of a million tasks collide is about 3e-8.
TASK_ID_HEX = 16

#: Experiment and table names become directory names of a hive-partitioned
#: dataset; pyarrow.dataset ignores paths starting with "." or "_", and "/" or
#: "=" would break the partition layout.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def check_name(value: object, what: str) -> str:
    """Checks that ``value`` can be a directory name of the results layout.

    Args:
        value: the candidate name.
        what: the parameter it came from, for the error message.

    Returns:
        ``value`` unchanged.

    Raises:
        ValueError: when ``value`` is not a non-empty string of letters, digits,
            ``_``, ``.`` or ``-`` starting with a letter or digit.
    """
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ValueError(
            f"`{what}` must be a non-empty string of letters, digits, '_', '.' "
            f"or '-' starting with a letter or digit; got {value!r}"
        )
    return value


def _check_plain(value: Any, path: str) -> None:
    """Raises TypeError naming ``path`` if ``value`` is not plain JSON data."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if type(value) is not float:
            raise TypeError(
                f"`{path}` must be plain JSON data; got {type(value).__name__} "
                f"{value!r}: convert it with float(...)"
            )
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_plain(item, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"`{path}` must have string keys; got key {key!r} of type "
                    f"{type(key).__name__}"
                )
            _check_plain(item, f"{path}[{key!r}]")
        return
    hint = ""
    if hasattr(value, "tolist"):
        hint = ": convert NumPy values with .tolist() or .item()"
    raise TypeError(
        f"`{path}` must be plain JSON data (None, bool, int, float, str, list, "
        f"dict with str keys); got {type(value).__name__} {value!r:.80}{hint}"
    )


def _plain_json(value: Any) -> Any:
    """Replaces non-finite floats by strings, which strict JSON lacks."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, list | tuple):
        return [_plain_json(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain_json(v) for k, v in value.items()}
    return value


def canonical_json(value: Any) -> str:
    """Serialises plain data to one canonical JSON string.

    Keys are sorted, separators are compact, tuples equal lists, and the
    non-finite floats (not JSON) are written as ``{"__float__": "nan"}`` so the
    text is valid JSON and the same data always gives the same text.

    Args:
        value: plain JSON data (see :class:`Task`).

    Returns:
        The canonical JSON text.
    """
    return json.dumps(
        _plain_json(value), sort_keys=True, separators=(",", ":"), allow_nan=False
    )


def function_path(fn: Callable[..., Any]) -> str:
    """Returns ``module:qualname`` of a module-level function.

    Raises:
        ValueError: for lambdas and nested functions, whose names are not
            stable import paths (a worker could not import them and their
            task ids would not identify them).
    """
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not callable(fn) or not module or not qualname:
        raise TypeError(f"`fn` must be a module-level function; got {fn!r}")
    if "<lambda>" in qualname or "<locals>" in qualname:
        raise ValueError(
            f"`fn` must be a module-level function so its task id is stable "
            f"and workers can import it; got {module}:{qualname}"
        )
    return f"{module}:{qualname}"


@dataclasses.dataclass(frozen=True)
class Resources:
    """What one task asks Ray for.

    Args:
        num_cpus: CPU cores, may be fractional.
        num_gpus: GPUs, may be fractional (0.25 lets four tasks share a GPU;
            the scheduler then tells JAX not to preallocate the GPU).
        memory_mb: heap memory to reserve in MiB, or None for no reservation.
    """

    num_cpus: float = 1
    num_gpus: float = 0
    memory_mb: float | None = None

    def __post_init__(self) -> None:
        for name in ("num_cpus", "num_gpus"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"`{name}` must be a number; got {value!r}")
            if not value >= 0:
                raise ValueError(f"`{name}` must be >= 0; got {value!r}")
        if self.memory_mb is not None and not self.memory_mb > 0:
            raise ValueError(
                f"`memory_mb` must be positive or None; got {self.memory_mb!r}"
            )

    def ray_options(self) -> dict[str, Any]:
        """Returns the matching keyword arguments of Ray's ``.options``."""
        options: dict[str, Any] = {
            "num_cpus": self.num_cpus,
            "num_gpus": self.num_gpus,
        }
        if self.memory_mb is not None:
            options["memory"] = int(self.memory_mb * 2**20)
        return options


@dataclasses.dataclass(frozen=True, eq=False)
class Task:
    """One unit of work: ``fn(**kwargs)`` on a worker, tagged by experiment.

    ``fn`` runs on a Ray worker and returns ``{table: rows}`` where rows is a
    list of dicts or a ``pyarrow.Table`` whose columns are those of the
    table's schema, plus optionally ``"_provenance": {column: value}`` with
    extra provenance values (e.g. ``jax_version``).

    Args:
        experiment: experiment name; the hive partition ``experiment=<name>``.
        fn: a module-level function the workers can import.
        kwargs: its keyword arguments, plain JSON data only (None, bool, int,
            float, str, lists and dicts with str keys), so they hash
            canonically and every setting a worker needs is explicit.
        labels: plain data describing the task for logs, the run manifest and
            the failures table; not part of the id.
        resources: what the task asks Ray for; not part of the id.
        name: a short display name; not part of the id.

    Attributes:
        id: sha256 of ``fn`` 's import path, the experiment and the canonical
            JSON of ``kwargs``, first :data:`TASK_ID_HEX` hex characters.

    Raises:
        TypeError: when ``kwargs`` or ``labels`` hold anything but plain data;
            the message names the offending key.
        ValueError: for a bad experiment name or a function without a stable
            import path.
    """

    experiment: str
    fn: Callable[..., Any]
    kwargs: Mapping[str, Any]
    labels: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    resources: Resources = dataclasses.field(default_factory=Resources)
    name: str = ""
    id: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        check_name(self.experiment, "experiment")
        fn_path = function_path(self.fn)
        if not isinstance(self.kwargs, Mapping):
            raise TypeError(f"`kwargs` must be a dict; got {self.kwargs!r:.80}")
        if not isinstance(self.labels, Mapping):
            raise TypeError(f"`labels` must be a dict; got {self.labels!r:.80}")
        _check_plain(self.kwargs, "kwargs")
        _check_plain(self.labels, "labels")
        if not isinstance(self.resources, Resources):
            raise TypeError(
                f"`resources` must be a Resources; got {self.resources!r:.80}"
            )
        if not isinstance(self.name, str):
            raise TypeError(f"`name` must be a str; got {self.name!r}")
        payload = canonical_json([fn_path, self.experiment, self.kwargs])
        digest = hashlib.sha256(payload.encode()).hexdigest()[:TASK_ID_HEX]
        object.__setattr__(self, "id", digest)

    @property
    def fn_path(self) -> str:
        """The ``module:qualname`` import path of ``fn``."""
        return function_path(self.fn)

    @property
    def display_name(self) -> str:
        """``name`` if given, else the function name and the id."""
        return self.name or f"{self.fn.__qualname__}[{self.id}]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Task) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)
