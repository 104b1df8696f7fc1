"""Experiment specs: the base model, presets, files, overrides and the hash.

A spec is a frozen pydantic model; every field has a documented default (the
paper's protocol, SPEC section 5) and presets change a few of them. A spec is
built in four steps, each able to fail with a message naming the field:

1. the preset's values (``jobs/presets/<experiment>.yaml``, key ``smoke``,
   ``quick`` or ``paper``);
2. merged, key by key, with a user file (YAML or TOML, ``--spec FILE``);
3. then ``--set path=value`` overrides, values parsed as YAML
   (``--set widths=[256,512]``, ``--set empirical.n_nets=4``);
4. validated by the model (unknown fields are errors, see ``extra="forbid"``).

All of this happens in the driver before a single task is built.
"""

from __future__ import annotations

import copy
import hashlib
import json
import pathlib
import tomllib
import typing
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import pydantic
import yaml

__all__ = [
    "PRESETS",
    "DatasetsUnavailableError",
    "ResourceSpec",
    "SpecError",
    "SpecModel",
    "ExperimentSpec",
    "apply_overrides",
    "build_spec",
    "has_field",
    "load_preset",
    "load_spec_file",
    "spec_hash",
]

PRESETS = ("smoke", "quick", "paper")
_PRESET_DIR = pathlib.Path(__file__).resolve().parent / "presets"


class SpecError(ValueError):
    """An experiment spec, preset, spec file or override is invalid."""


class DatasetsUnavailableError(SpecError):
    """A dataset the spec needs cannot be loaded (not cached, no download).

    The message has one line per dataset naming the file and where to put
    it; nothing has run.
    """


class SpecModel(pydantic.BaseModel):
    """Base of every spec model: immutable, and unknown fields are errors."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")


class ResourceSpec(SpecModel):
    """What each task of an experiment asks Ray for.

    Attributes:
        num_cpus: CPU cores per task (may be fractional).
        num_gpus: GPUs per task; fractional values share one GPU between tasks.
        memory_mb: memory to reserve per task in MiB, or None.
    """

    num_cpus: float = pydantic.Field(1.0, ge=0)
    num_gpus: float = pydantic.Field(0.0, ge=0)
    memory_mb: float | None = pydantic.Field(None, gt=0)


class ExperimentSpec(SpecModel):
    """Fields shared by every experiment.

    Attributes:
        float64: run finite nets in float64 (``jax_enable_x64``) on the workers.
        resources: Ray resources per task.
        max_in_flight: tasks submitted at once; None lets the scheduler choose.
        max_retries: retries of a crashed task before it is recorded as failed.
    """

    experiment: ClassVar[str] = ""

    float64: bool = False
    resources: ResourceSpec = ResourceSpec()
    max_in_flight: pydantic.PositiveInt | None = None
    max_retries: pydantic.NonNegativeInt = 2


def spec_hash(spec: ExperimentSpec) -> str:
    """sha256 of the canonical JSON of ``spec`` and its experiment name.

    Canonical means sorted keys and compact separators, so the hash depends
    only on the values, never on the order fields were given in.
    """
    payload = {"experiment": spec.experiment, "spec": spec.model_dump(mode="json")}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def load_preset(experiment: str, preset: str) -> dict[str, Any]:
    """The raw values of one preset of one experiment.

    Raises:
        SpecError: if ``preset`` is not one of :data:`PRESETS` or the preset
            file lacks it.
    """
    if preset not in PRESETS:
        raise SpecError(f"`preset` must be one of {list(PRESETS)}; got {preset!r}")
    path = _PRESET_DIR / f"{experiment}.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    if preset not in data:
        raise SpecError(f"{path} has no preset {preset!r}")
    return copy.deepcopy(data[preset] or {})


def load_spec_file(path: str | pathlib.Path) -> dict[str, Any]:
    """Reads a user spec file: YAML (``.yaml``/``.yml``) or TOML (``.toml``).

    Raises:
        SpecError: if the file is missing, unparsable or not a mapping.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise SpecError(
            f"`--spec {path}`: no such file; give a YAML or TOML file of spec "
            "fields (`revntk spec NAME > FILE.yaml` writes one to start from)"
        )
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text())
        else:
            data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as err:
        raise SpecError(f"`--spec {path}`: cannot be parsed: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SpecError(
            f"`--spec {path}`: must hold a mapping of field: value; "
            f"got {type(data).__name__}"
        )
    return data


def _merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merges ``update`` into a copy of ``base`` (mappings key by key)."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _sub_model(annotation: Any) -> type[pydantic.BaseModel] | None:
    """The model class inside ``annotation`` (``M`` or ``M | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, pydantic.BaseModel):
            return arg
    return None


def _is_list(annotation: Any) -> bool:
    """Whether ``annotation`` is ``list[...]`` or ``list[...] | None``."""
    if typing.get_origin(annotation) is list:
        return True
    return any(typing.get_origin(a) is list for a in typing.get_args(annotation))


def _current_value(field: Any, node: Any, name: str) -> Any:
    """The raw value of field ``name`` in ``node``, else the field's default,
    as plain data."""
    if isinstance(node, dict) and name in node:
        return node[name]
    default = field.get_default(call_default_factory=True)
    return pydantic.TypeAdapter(field.annotation).dump_python(default, mode="json")


def _list_item_error(text: str, path: str, value: Any) -> SpecError:
    shown = yaml.safe_dump(
        value, default_flow_style=True, width=float("inf"), sort_keys=False
    )
    return SpecError(
        f"`--set {text}`: `{path}` is a list, and the items of a list cannot be "
        f"set one by one; give the whole list instead. Its current value:\n"
        f"  --set '{path}={shown.strip()}'"
    )


def _check_path(
    model: type[pydantic.BaseModel],
    parts: list[str],
    text: str,
    values: Mapping[str, Any] | None = None,
) -> None:
    """Raises SpecError unless the dotted ``parts`` name a field of ``model``.

    ``values`` (the raw values so far) only serve to show the current value
    of a list whose items the path tries to address.
    """
    node: Any = values or {}
    for depth, part in enumerate(parts):
        fields = model.model_fields
        if part not in fields:
            where = ".".join(parts[:depth]) or "the spec"
            raise SpecError(
                f"`--set {text}`: unknown field `{'.'.join(parts[: depth + 1])}` "
                f"(fields of {where}: {', '.join(sorted(fields))})"
            )
        if depth < len(parts) - 1:
            if _is_list(fields[part].annotation):
                raise _list_item_error(
                    text,
                    ".".join(parts[: depth + 1]),
                    _current_value(fields[part], node, part),
                )
            node = node.get(part) if isinstance(node, dict) else None
            sub = _sub_model(fields[part].annotation)
            if sub is None:
                raise SpecError(
                    f"`--set {text}`: field `{'.'.join(parts[: depth + 1])}` has "
                    f"no sub-fields"
                )
            model = sub


def has_field(model: type[pydantic.BaseModel], path: str) -> bool:
    """Whether the dotted ``path`` (``"resources.num_gpus"``) names a field of
    ``model``."""
    try:
        _check_path(model, path.strip().split("."), path)
    except SpecError:
        return False
    return True


def apply_overrides(
    model: type[pydantic.BaseModel], values: dict[str, Any], overrides: Iterable[str]
) -> dict[str, Any]:
    """Applies ``path=value`` overrides to raw spec values.

    Args:
        model: the spec model, to check each path names a field.
        values: raw values (preset merged with file); not modified.
        overrides: strings ``"a=1"`` or ``"a.b=[1, 2]"``; the value is parsed
            as YAML, so numbers, lists, booleans and null work as written.

    Returns:
        The new raw values.

    Raises:
        SpecError: for a string without ``=``, an unknown field or a value
            that is not valid YAML; the message names the override.
    """
    out = copy.deepcopy(values)
    for text in overrides:
        if "=" not in text:
            raise SpecError(f"`--set {text}`: expected FIELD=VALUE, e.g. seeds=3")
        path, raw = text.split("=", 1)
        parts = path.strip().split(".")
        if not all(parts):
            raise SpecError(f"`--set {text}`: empty field name in {path!r}")
        _check_path(model, parts, text, out)
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError as err:
            raise SpecError(f"`--set {text}`: value is not valid YAML: {err}") from err
        node = out
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return out


def _format_errors(name: str, err: pydantic.ValidationError) -> str:
    lines = [f"invalid {name} spec:"]
    for item in err.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "(spec)"
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = "unknown field (check its spelling)"
        lines.append(f"  `{loc}`: {msg} (got {item.get('input')!r:.120})")
    return "\n".join(lines)


def build_spec(
    model: type[ExperimentSpec],
    *,
    preset: str | None = "smoke",
    spec_file: str | pathlib.Path | None = None,
    overrides: Iterable[str] | None = None,
) -> ExperimentSpec:
    """Builds and validates a spec from preset, file and overrides.

    Args:
        model: the experiment's spec class.
        preset: ``"smoke"``, ``"quick"``, ``"paper"`` or None (the model's
            defaults, which are the paper protocol).
        spec_file: optional YAML/TOML file merged over the preset.
        overrides: ``"path=value"`` strings applied last.

    Raises:
        SpecError: naming the field for every problem found.
    """
    values = load_preset(model.experiment, preset) if preset else {}
    if spec_file is not None:
        values = _merge(values, load_spec_file(spec_file))
    values = apply_overrides(model, values, overrides or ())
    try:
        return model.model_validate(values)
    except pydantic.ValidationError as err:
        raise SpecError(_format_errors(model.experiment, err)) from None
