"""The real study plan: notebooks, profiles and the book's table of contents agree."""

from __future__ import annotations

import ast

import nbformat
import pytest
import yaml

from fslib.paths import repo_root
from fslib.study import PROFILES, load_plan

ROOT = repo_root()
PLAN = load_plan()


def toc_study_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    return [f.split("/")[-1] for f in files if f.startswith("book/study/")]


def test_toc_lists_the_plan_notebooks_in_order():
    assert toc_study_files() == list(PLAN.notebooks)


def test_every_notebook_file_is_in_the_plan():
    on_disk = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert on_disk == sorted(PLAN.notebooks)


def test_profiles_are_the_documented_four():
    assert tuple(PLAN.profiles) == PROFILES


@pytest.mark.parametrize("profile", [p for p in PROFILES if p != "paper"])
def test_every_profile_resolves_for_every_notebook(profile):
    params = PLAN.resolve(profile, PLAN.notebooks, out_dir="../runs/x")
    for nb, p in params.items():
        assert p["profile"] == profile, nb


def test_paper_profile_names_what_it_needs():
    prof = PLAN.profiles["paper"]
    if prof.requires:
        with pytest.raises(ValueError, match="needs"):
            PLAN.resolve("paper", PLAN.notebooks)


MAX_CELL_LINES = 10
LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)


def cell_violations(source: str) -> list[str]:
    """What makes a code cell more than a few library calls: over :data:`MAX_CELL_LINES` lines of code
    (blank and comment lines not counted), a loop of any kind (statement or comprehension) or a lambda, a
    function or class definition."""
    code = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith(("#", "%", "!"))]
    out = [f"{len(code)} lines of code (at most {MAX_CELL_LINES})"] if len(code) > MAX_CELL_LINES else []
    tree = ast.parse("\n".join(code))
    out += sorted({f"a {type(n).__name__}" for n in ast.walk(tree) if isinstance(n, LOOPS)})
    out += sorted({f"defines {n.name}" for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))})
    return out


def test_cell_rule_catches_each_kind_of_logic():
    assert cell_violations("x = f(1)\n# a comment\n\ndisplay(x)") == []
    assert cell_violations("\n".join(f"x{i} = {i}" for i in range(11))) == ["11 lines of code (at most 10)"]
    assert cell_violations("for a in b:\n    print(a)") == ["a For"]
    assert cell_violations("y = [a for a in b]") == ["a ListComp"]
    assert cell_violations("y = sorted(b, key=lambda v: v)") == ["a Lambda"]
    assert cell_violations("def f():\n    return 1") == ["defines f"]


@pytest.mark.parametrize("name", PLAN.notebooks)
def test_notebook_hygiene(name):
    """One parameters cell right after the title, with the runner's names; every other code cell a few library
    calls (no loop, no definition, at most ten lines): the logic lives in fslib, where it is tested."""
    nb = nbformat.read(str(PLAN.path(name)), as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [1], f"{name}: the cell tagged parameters must be the one right after the title"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    declared = PLAN.parameters(name)
    assert {"profile", "out_dir", "seed"} <= set(declared), name
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and i != 1:
            bad = cell_violations(cell.source)
            assert not bad, f"{name}, cell {i} ({cell.source.splitlines()[0][:40]!r}...): {', '.join(bad)}"
        assert not cell.get("outputs"), f"{name}: commit notebooks without outputs (runs/ holds executed copies)"


@pytest.mark.parametrize("child", [c for rule in PLAN.inherits for c in rule.children])
def test_inheriting_pages_declare_only_what_they_add(child):
    """A page that inherits its parent's parameters does not declare them again (one place per setting)."""
    from fslib.study.plan import notebook_parameters

    rule = PLAN.parent(child)
    own = set(notebook_parameters(PLAN.path(child))) - {"profile", "out_dir"}
    repeated = own & (set(PLAN.parameters(rule.parent)) - set(rule.own))
    assert not repeated, f"{child} declares {sorted(repeated)} again; they come from {rule.parent}"
