"""The real study plan: notebooks, profiles and the book's table of contents agree."""
from __future__ import annotations

import re

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


@pytest.mark.parametrize("name", PLAN.notebooks)
def test_notebook_hygiene(name):
    """One parameters cell right after the title, with the runner's names; no functions or classes."""
    nb = nbformat.read(str(PLAN.path(name)), as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [1], f"{name}: the cell tagged parameters must be the one right after the title"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    declared = PLAN.parameters(name)
    assert {"profile", "out_dir", "seed"} <= set(declared), name
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*(def|class)\s", cell.source, re.M), f"{name} defines a function or class"
        assert not cell.get("outputs"), f"{name}: commit notebooks without outputs (runs/ holds executed copies)"
