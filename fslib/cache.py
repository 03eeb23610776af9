"""Content-addressed caches that cannot go stale.

A cache entry is keyed by a hash of everything that produced it: the resolved configuration *and* the
source code of the modules that compute it. Entries are written atomically (temporary name, then
``os.replace``), so an interrupted run never leaves a half-written entry behind, and a rerun resumes by
skipping the entries that exist.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import importlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any


def _canonical(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"__type__": type(obj).__name__, **_canonical(dataclasses.asdict(obj))}
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy / torch scalars
        return obj.item()
    return obj


def stable_json(obj: Any) -> str:
    """JSON with sorted keys; dataclasses, tuples, paths and numpy scalars made canonical."""
    return json.dumps(_canonical(obj), sort_keys=True, separators=(",", ":"), default=str)


def code_digest(*modules: str | ModuleType) -> str:
    """SHA-256 over the code of the given modules (a package counts with all its ``.py`` files): each file's
    syntax tree without its docstrings (:func:`code_form`), so editing a comment, a docstring or the layout
    keeps the caches while any change to what the code does makes new entries."""
    h = hashlib.sha256()
    for mod in sorted(modules, key=lambda m: m if isinstance(m, str) else m.__name__):
        module = importlib.import_module(mod) if isinstance(mod, str) else mod
        path = Path(module.__file__)
        files = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]
        for f in files:
            h.update(f.name.encode())
            h.update(code_form(f.read_bytes()))
    return h.hexdigest()


def code_form(source: bytes) -> bytes:
    """What of a Python source can change a result: its syntax tree (``ast.dump``, no line numbers) with the
    docstrings of the module, classes and functions removed; comments and layout are not in a tree. A file
    that does not parse counts by its bytes."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return source
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False).encode()


def file_digest(*paths: str | os.PathLike, length: int | None = None) -> str:
    """SHA-256 over the bytes of the given files in order, read in blocks (large checkpoints too)."""
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 24), b""):
                h.update(block)
    return h.hexdigest()[:length] if length else h.hexdigest()


def cache_key(config: Any, code: Iterable[str | ModuleType] = (), *, length: int = 16) -> str:
    """Short hex key of a configuration plus the code digest of ``code`` modules."""
    h = hashlib.sha256(stable_json(config).encode())
    mods = list(code)
    if mods:
        h.update(code_digest(*mods).encode())
    return h.hexdigest()[:length]


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; on success it is renamed onto ``final``.

    Works for files and for directories (the caller creates whichever it needs at the yielded path).
    On an exception the temporary is removed and ``final`` is left untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    target = tmp / "entry"
    try:
        yield target
        if final.is_dir() and not final.is_symlink():
            shutil.rmtree(final)
        os.replace(target, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_canonical(obj), indent=2, sort_keys=False) + "\n")
