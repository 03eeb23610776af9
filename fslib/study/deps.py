"""Which of fslib's source files a notebook runs, found statically (for the study runner's cache key).

A notebook depends on the fslib modules its code cells import (``import fslib.x``, ``from fslib import x``,
``from fslib.x import y``), closed over the package's own imports: every ``import`` / ``from ... import``
anywhere in a module's source (also those inside functions: lazy imports count), relative ones
(``from ..cache import x``, ``from . import tables``) resolved against the importing module. ``from pkg import
name`` counts the submodule ``pkg.name`` when there is one; importing a module counts the ``__init__.py`` of
every package above it (Python runs them). IPython magics and shell lines (``%...``, ``!...``) are skipped; a
code cell that still does not parse as Python makes the notebook depend on every file of the package (the
safe answer). Imports made from strings (``importlib.import_module("fslib.x")``) are not seen.

The runner keys a notebook's executed copy by the digest of exactly these files, so editing a module re-executes
the pages that use it and no other.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import nbformat

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the fslib package folder

_MAGIC = re.compile(r"^(\s*)[%!]")
# parsed imports per source file (path, module name, digest of its bytes): each version is parsed once
_IMPORTS: dict[tuple[str, str, str], list[tuple[str, tuple[str, ...]]]] = {}


def _root(package_root: Path | None) -> Path:
    return Path(package_root or PACKAGE_ROOT).resolve()


def _module_path(name: str, root: Path) -> Path | None:
    """The file of module ``name`` (``fslib.a.b``) in the package at ``root``, or None when there is none."""
    parts = name.split(".")
    if parts[0] != root.name:
        return None
    base = root.joinpath(*parts[1:])
    for cand in (base / "__init__.py", base.with_suffix(".py") if len(parts) > 1 else None):
        if cand is not None and cand.is_file():
            return cand
    return None


def _imported(tree: ast.AST, package: str | None) -> list[tuple[str, tuple[str, ...]]]:
    """``(module, names)`` for every import in ``tree`` (``names``: what a ``from`` import takes from it);
    relative imports resolved against ``package`` (the dotted package the source belongs to; None for a
    notebook, whose relative imports are ignored)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, ()) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if package is None:
                    continue
                parts = package.split(".")
                if node.level - 1 >= len(parts):
                    continue
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            out.append((module, tuple(a.name for a in node.names if a.name != "*")))
    return out


def _file_imports(path: Path, module: str) -> list[tuple[str, tuple[str, ...]]]:
    source = path.read_bytes()
    key = (str(path), module, hashlib.sha256(source).hexdigest())
    if key not in _IMPORTS:
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        _IMPORTS[key] = _imported(ast.parse(source, filename=str(path)), package)
    return _IMPORTS[key]


def _cell_source(source: str) -> str:
    """A code cell's source with each magic or shell line replaced by ``pass`` (indentation kept)."""
    return "\n".join(
        _MAGIC.sub(r"\1pass  # ", line, count=1) if _MAGIC.match(line) else line for line in source.splitlines()
    )


def notebook_imports(notebook_path: str | Path) -> list[tuple[str, tuple[str, ...]]] | None:
    """``(module, names)`` imported by the notebook's code cells; None when a cell does not parse."""
    nb = nbformat.read(str(notebook_path), as_version=4)
    out: list[tuple[str, tuple[str, ...]]] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_cell_source(cell.source))
        except SyntaxError:
            return None
        out += _imported(tree, None)
    return out


def module_files(notebook_path: str | Path, package_root: str | Path | None = None) -> list[Path]:
    """The source files of the package at ``package_root`` (default: fslib) that the notebook runs, sorted:
    the modules it imports, closed over the package's own imports (see the module docstring)."""
    root = _root(Path(package_root) if package_root else None)
    imports = notebook_imports(notebook_path)
    if imports is None:
        return sorted(root.rglob("*.py"))
    return _closure(imports, root)


def module_closure(module: str, package_root: str | Path | None = None) -> list[Path]:
    """The source files that importing and running ``module`` (``fslib.recognizer.train``) can execute: the
    module, closed over the package's own imports like :func:`module_files` (lazy imports inside functions
    count). What a stage's cache key must cover, or leave to the keys of the inputs it reads."""
    return _closure([(module, ())], _root(Path(package_root) if package_root else None), parents=False)


def _closure(imports: list[tuple[str, tuple[str, ...]]], root: Path, parents: bool = True) -> list[Path]:
    """Files of the modules ``imports`` reach through the package's own imports; ``parents``: also the
    ``__init__.py`` of every package above each module (Python runs them; what a notebook's key must cover),
    else only the packages a module imports from by name (what its results can depend on)."""
    pkg = root.name
    files: set[Path] = set()
    seen: set[str] = set()
    todo: list[tuple[str, tuple[str, ...]]] = list(imports)
    while todo:
        module, names = todo.pop()
        if module != pkg and not module.startswith(pkg + "."):
            continue
        # a `from module import name` whose name is a submodule imports that submodule
        todo += [(f"{module}.{n}", ()) for n in names if f"{module}.{n}" not in seen]
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        # Python runs the __init__.py of every package above the module
        if parents:
            todo += [(".".join(parts[:i]), ()) for i in range(1, len(parts)) if ".".join(parts[:i]) not in seen]
        path = _module_path(module, root)
        if path is None:
            continue  # a name from a package's namespace, or a module that does not exist
        files.add(path)
        todo += _file_imports(path, module)
    return sorted(files)


def relative_name(path: Path, package_root: str | Path | None = None) -> str:
    """``path`` relative to the folder holding the package (``fslib/islr/normalize.py``)."""
    return Path(path).resolve().relative_to(_root(Path(package_root) if package_root else None).parent).as_posix()


def file_digests(files: list[Path], package_root: str | Path | None = None, length: int = 16) -> dict[str, str]:
    """Relative name -> short SHA-256 of the file's bytes, sorted by name."""
    return {
        relative_name(f, package_root): hashlib.sha256(Path(f).read_bytes()).hexdigest()[:length]
        for f in sorted(files, key=lambda f: relative_name(f, package_root))
    }


def code_digest_for(notebook_path: str | Path, package_root: str | Path | None = None) -> str:
    """SHA-256 over the relative names and bytes of :func:`module_files` of the notebook."""
    h = hashlib.sha256()
    for f in sorted(module_files(notebook_path, package_root), key=lambda f: relative_name(f, package_root)):
        h.update(relative_name(f, package_root).encode() + b"\0")
        h.update(Path(f).read_bytes())
    return h.hexdigest()
