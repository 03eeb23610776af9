"""End to end: the whole study at the smoke profile (run once, by the ``smoke_run`` fixture), the book's pages
staged from it, and the book built from it and read in a real browser."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from fslib.book import build_copy, stage
from fslib.browser import check_site, site_pages
from fslib.paths import repo_root
from fslib.study import load_plan


@pytest.mark.slow
def test_smoke_profile_runs_every_notebook_and_stages_the_book(smoke_run, tmp_path):
    plan = load_plan()
    runs = smoke_run
    manifest = json.loads((runs / "smoke" / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert [nb["name"] for nb in manifest["notebooks"]] == list(plan.notebooks)
    for name in plan.notebooks:
        assert (runs / "smoke" / "notebooks" / f"{name}.ipynb").exists()

    # stage into a copy of the book skeleton so the repository's book/ is untouched
    root = tmp_path
    (root / "runs").symlink_to(runs, target_is_directory=True)
    shutil.copytree(repo_root() / "book", root / "book", ignore=shutil.ignore_patterns("study", "_generated"))
    assert stage("smoke", root=root, plan=plan) == "smoke"
    for name in plan.notebooks:
        assert (root / "book" / "study" / f"{name}.ipynb").exists()
    run_page = (root / "book" / "_generated" / "run.md").read_text()
    assert "`smoke`" in run_page and all(name in run_page for name in plan.notebooks)
    assert manifest["total_notebook_wall_s"] > 0


def toc_pages(toc: dict) -> list[str]:
    """The documents of a jb-book ``_toc.yml``: the root, then every ``file:`` of its parts and chapters."""
    docs = [toc["root"]]
    stack = list(reversed(toc.get("parts", []) + toc.get("chapters", [])))
    while stack:
        entry = stack.pop()
        if "file" in entry:
            docs.append(entry["file"])
        stack += list(reversed(entry.get("chapters", []) + entry.get("sections", [])))
    return docs


@pytest.mark.slow
def test_smoke_book_reads_without_a_problem_in_a_real_browser(smoke_run, tmp_path):
    """Build the smoke book in a copy (the repository's _build is untouched), open every page in headless
    Chromium: no broken image, link or anchor, no unresolved glue, no error output, no console error."""
    index = build_copy("smoke", tmp_path / "book", runs_root=smoke_run)
    html = index.parent
    shots = tmp_path / "screenshots"
    problems = check_site(html, shots)
    assert problems == [], "the smoke book has problems a reader would see:\n" + "\n".join(map(str, problems))
    toc = yaml.safe_load((repo_root() / "_toc.yml").read_text())
    expected = {f"{doc}.html" for doc in toc_pages(toc)}
    pages = set(site_pages(html))
    assert expected <= pages, f"pages of _toc.yml missing from the site: {sorted(expected - pages)}"
    missing = [p for p in sorted(pages) if not (shots / p).with_suffix(".png").is_file()]
    assert not missing, f"no screenshot of {missing}"
