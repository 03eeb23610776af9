"""Where the study keeps things.

All locations derive from the repository root, so nothing of one machine's file system ends up in a
committed artefact. ``FSLIB_ROOT`` overrides the root and ``FSLIB_CACHE`` the cache directory.
"""

from __future__ import annotations

import os
from pathlib import Path

_MARKERS = ("_toc.yml", "pyproject.toml")


def repo_root() -> Path:
    """The study's root: ``$FSLIB_ROOT``, else the nearest parent of the cwd or of this package
    that holds ``_toc.yml`` and ``pyproject.toml``."""
    env = os.environ.get("FSLIB_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for candidate in (start, *start.parents):
            if all((candidate / m).exists() for m in _MARKERS):
                return candidate
    raise FileNotFoundError(
        "cannot find the study's root (a folder with _toc.yml and pyproject.toml) above "
        f"{Path.cwd().name!r}; run from inside the repository or set FSLIB_ROOT"
    )


def cache_dir() -> Path:
    """Stage caches (corpora, crops, features, checkpoints): ``$FSLIB_CACHE`` or ``<root>/cache``."""
    env = os.environ.get("FSLIB_CACHE")
    path = Path(env) if env else repo_root() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir(profile: str, root: Path | None = None) -> Path:
    """Outputs of one profile's study run: executed notebooks, manifest, results tables, figures."""
    return (root or repo_root()) / "runs" / profile
