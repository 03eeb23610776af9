"""Stage configurations: frozen dataclasses built from a profile plus overrides, rejecting unknown keys."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """An unknown or ill-typed configuration key."""


def build_config(cls: type[T], overrides: Mapping[str, Any] | None = None, **more: Any) -> T:
    """``cls(**defaults | overrides | more)``; unknown keys raise :class:`ConfigError` naming them."""
    values = {**(overrides or {}), **more}
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(
            f"{cls.__name__}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(names))}"
        )
    return cls(**values)


def as_dict(cfg: Any) -> dict[str, Any]:
    """The resolved configuration as a plain dict (stored beside caches, inside checkpoints, in results)."""
    return dataclasses.asdict(cfg)
