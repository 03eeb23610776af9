"""Stage configurations: frozen dataclasses built from a profile plus overrides, rejecting unknown keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """An unknown or ill-typed configuration key."""


def _is_tuple_field(field: dataclasses.Field) -> bool:
    annotation = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    return annotation.startswith(("tuple", "Tuple")) or isinstance(field.default, tuple)


def build_config(cls: type[T], overrides: Mapping[str, Any] | None = None, **more: Any) -> T:
    """``cls(**defaults | overrides | more)``; unknown keys raise :class:`ConfigError` naming them. A list
    given for a tuple field (YAML and JSON have no tuples) becomes a tuple, so configurations stay hashable
    and compare equal however they were written."""
    values = {**(overrides or {}), **more}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"{cls.__name__}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(fields))}")
    values = {k: tuple(v) if isinstance(v, list) and _is_tuple_field(fields[k]) else v for k, v in values.items()}
    return cls(**values)


def as_dict(cfg: Any) -> dict[str, Any]:
    """The resolved configuration as a plain dict (stored beside caches, inside checkpoints, in results)."""
    return dataclasses.asdict(cfg)
