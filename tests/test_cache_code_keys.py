"""Each cached stage's key covers the code it runs (issue 26: "a changed code never reuses a stale cache entry").

A stage keys its cache folder by its configuration plus the source of the modules in its ``CODE`` list
(:func:`fslib.cache.code_digest`; a package there counts with all its files). Everything the stage can execute
(its static import closure, lazy imports included: :func:`fslib.study.deps.module_closure`) must be in that
list, or reach the stage only through an input whose own cache folder is in the key (the crop store, the teacher
features, the corpus), or be one of the few modules that cannot change a result. A module imported by a stage
and in none of these is a stale-cache hole: editing it would leave old results in use.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from fslib.study import deps

PACKAGE = Path(deps.PACKAGE_ROOT)

# cannot change a result: the package's own plumbing (cache paths, progress bars, figure style, parsing a
# config whose values are themselves in the key, starting worker processes); package __init__ files are
# checked below to define nothing
NEUTRAL = {"cache.py", "paths.py", "progress.py", "style.py", "config.py", "parallel.py"}

# stage -> (the inputs whose keyed folders are in its key: folders or files of fslib, why)
INPUTS = {
    "fslib.preprocess.store": (("synth/",), "the corpus (its identity is in the store key)"),
    "fslib.recognizer.train": (
        ("preprocess/", "data/", "mediapipe_hands.py", "synth/", "teachers/"),
        "the crop store's and the teacher features' folders are in the run key",
    ),
    "fslib.recognizer.ceiling": (
        ("preprocess/", "data/", "mediapipe_hands.py", "synth/", "teachers/"),
        "the crop store's folder is in the key; teachers/ only for the registry's names (config validation)",
    ),
    "fslib.teachers.pretrain_data": ((), ""),
    "fslib.teachers.synthetic": ((), ""),
    "fslib.teachers.features": (
        (
            "preprocess/",
            "data/",
            "synth/",
            "alphabet.py",
            "training.py",
            "teachers/augment.py",
            "teachers/keypoint_regressor.py",
            "teachers/pretrain_data.py",
            "teachers/synthetic.py",
        ),
        "the crop store's folder and the teacher's identity (a synthetic teacher's own keyed folder) are in the key",
    ),
    "fslib.islr.corpus": ((), ""),
    "fslib.islr.train": (("islr/", "synth/"), "the clips' digests (landmarks after normalization) are in the key"),
}


def _covered(code: list[str]) -> set[Path]:
    out: set[Path] = set()
    for name in code:
        path = Path(importlib.import_module(name).__file__)
        out |= set(path.parent.rglob("*.py")) if path.name == "__init__.py" else {path}
    return {p.resolve() for p in out}


def _rel(path: Path) -> str:
    return path.resolve().relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("stage", sorted(INPUTS))
def test_a_stage_key_covers_every_module_it_can_run(stage):
    code = importlib.import_module(stage).CODE
    covered = _covered(code)
    inputs, why = INPUTS[stage]
    holes = []
    for path in deps.module_closure(stage):
        rel = _rel(path)
        if path.resolve() in covered or rel in NEUTRAL or path.name == "__init__.py" or rel.startswith(inputs):
            continue
        holes.append(rel)
    assert not holes, f"{stage}.CODE misses {holes} (inputs keyed elsewhere: {why or 'none'})"
    assert stage in code or _rel(Path(importlib.import_module(stage).__file__)) in {_rel(p) for p in covered}


def test_package_init_files_only_import():
    # the rule above skips __init__.py files: they must not define anything that could change a result
    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text())
        defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
        assert not defs, f"{_rel(init)} defines {[d.name for d in defs]}: list it in the CODE of the stages using it"


def test_the_rule_finds_a_hole():
    # a stage that imports a module its CODE leaves out is reported (the check above can fail)
    covered = _covered(["fslib.recognizer.ceiling"])
    closure = {p.resolve() for p in deps.module_closure("fslib.recognizer.ceiling")}
    assert (PACKAGE / "recognizer" / "backbones.py").resolve() in closure - covered
