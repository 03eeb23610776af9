"""End to end: the whole study at the smoke profile, then the book's pages staged from it."""

from __future__ import annotations

import json
import shutil

import pytest

from fslib.book import stage
from fslib.paths import repo_root
from fslib.study import load_plan, run_study


@pytest.mark.slow
def test_smoke_profile_runs_every_notebook_and_stages_the_book(tmp_path):
    plan = load_plan()
    runs = tmp_path / "runs"
    manifest = run_study("smoke", plan=plan, runs_root=runs, progress=False, log=lambda s: None)
    assert manifest["status"] == "complete"
    assert [nb["name"] for nb in manifest["notebooks"]] == list(plan.notebooks)
    for name in plan.notebooks:
        assert (runs / "smoke" / "notebooks" / f"{name}.ipynb").exists()

    # stage into a copy of the book skeleton so the repository's book/ is untouched
    root = tmp_path
    shutil.copytree(repo_root() / "book", root / "book", ignore=shutil.ignore_patterns("study", "_generated"))
    assert stage("smoke", root=root, plan=plan) == "smoke"
    for name in plan.notebooks:
        assert (root / "book" / "study" / f"{name}.ipynb").exists()
    run_page = (root / "book" / "_generated" / "run.md").read_text()
    assert "`smoke`" in run_page and all(name in run_page for name in plan.notebooks)
    saved = json.loads((runs / "smoke" / "manifest.json").read_text())
    assert saved["total_notebook_wall_s"] > 0
