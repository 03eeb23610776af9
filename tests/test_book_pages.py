"""What staging adds to a page: the parameter table (from the parameters cell's comments and the run's
values), collapsed parameter cells, and the downloadable run files."""

from __future__ import annotations

import nbformat
from conftest import write_notebook

from fslib import book
from fslib.study.plan import load_plan


def _study(tmp_path):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    write_notebook(
        nbdir / "00_first.ipynb",
        """
        profile = "smoke"  # run profile
        out_dir = "../runs/interactive"  # where tables and figures go
        seed = 0  # corpus seed
        size = 32  # crop side, px
        """,
        "print(size)",
    )
    write_notebook(nbdir / "01_second.ipynb", 'profile = "smoke"  # run profile\nepochs = 2  # passes, epochs', "1")
    plan_file = tmp_path / "study.yml"
    plan_file.write_text(
        "notebooks: [00_first, 01_second]\n"
        "inherit:\n  00_first:\n    children: [01_second]\n    own: [seed]\n"
        "profiles:\n  smoke: {description: tiny, budget_minutes: 1, params: {all: {}}}\n"
    )
    return load_plan(plan_file, nbdir)


def test_parameter_table_has_meanings_run_values_and_inherited_parameters(tmp_path):
    plan = _study(tmp_path)
    text = book.parameter_table(plan, "00_first", {"profile": "ci", "size": 64, "seed": 0})
    lines = text.splitlines()
    assert lines[0] == "| parameter | value in this run | default | meaning (unit) |"
    assert "| `size` | `64` **(set)** | `32` | crop side, px |" in lines
    assert "| `seed` | `0` | `0` | corpus seed |" in lines  # the run's value equals the default: not marked
    child = book.parameter_table(plan, "01_second", {"size": 48})
    assert "| `epochs` | `2` | `2` | passes, epochs |" in child
    # 01 takes 00's parameters (except its own `seed` and the runner's) and says where they come from
    assert "| `size` | `48` **(set)** | `32` | crop side, px (from 00_first) |" in child
    assert "`seed`" not in child


def test_staged_page_collapses_parameter_cells_and_inserts_the_table_after_them(tmp_path):
    plan = _study(tmp_path)
    nb = nbformat.read(str(plan.path("00_first")), as_version=4)
    injected = nbformat.v4.new_code_cell("size = 64", metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(2, injected)
    page = book.add_parameter_table(nb, plan, "00_first", {"size": 64})
    tags = [c.metadata.get("tags", []) for c in page.cells]
    assert "hide-cell" in tags[1] and "hide-cell" in tags[2]  # parameters and injected-parameters
    assert tags[3] == ["parameter-table"] and "`64` **(set)**" in page.cells[3].source
    assert page.cells[3].source.startswith(":::{admonition} Parameters of this page: 4, of which 1 set by this run")
    assert page.cells[4].source == "print(size)"  # nothing else moved or hidden
    assert "hide-cell" not in tags[4]


def test_a_page_run_with_settings_the_profile_no_longer_uses_is_marked_stale(tmp_path):
    plan = _study(tmp_path)  # the smoke profile sets nothing: size 32, seed 0, epochs 2 are the defaults
    current = {"profile": "smoke", "out_dir": "x", "seed": 0, "size": 32}
    assert book.stale_parameters(plan, "smoke", "00_first", current) == []
    old = {**current, "size": 64, "out_dir": "elsewhere"}  # out_dir is where it ran, not a setting
    assert book.stale_parameters(plan, "smoke", "00_first", old) == ["size"]
    assert book.stale_parameters(plan, "smoke", "01_second", {"profile": "smoke", "epochs": 2, "seed": 5}) == ["seed"]
    nb = nbformat.read(str(plan.path("00_first")), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# First page"))
    entry = {"name": "00_first", "executed_at": "2026-12-01T18:47:41+00:00", "git": {"commit": "0123456789abcdef"}}
    page = book.add_stale_warning(nb, entry, ["size"], "smoke")
    assert page.cells[0].source == "# First page" and page.cells[1].metadata["tags"] == ["stale-page"]
    text = page.cells[1].source
    assert text.startswith(":::{warning}") and "2026-12-01" in text and "`0123456789ab`" in text and "`size`" in text
    assert "fslib study --profile smoke --only 00_first" in text
    n = len(page.cells)
    assert len(book.add_stale_warning(page, entry, [], "smoke").cells) == n  # an up-to-date page is untouched


def test_downloads_are_copied_or_say_what_is_missing(tmp_path):
    run = tmp_path / "runs" / "ci"
    (run / "tables").mkdir(parents=True)
    (run / "tables" / "results.csv").write_text("a,b\n1,2\n")
    (run / "manifest.json").write_text("{}")
    book.copy_downloads(run, tmp_path / "dl")
    assert (tmp_path / "dl" / "results.csv").read_text() == "a,b\n1,2\n"
    assert "did not write tables/findings.csv" in (tmp_path / "dl" / "findings.csv").read_text()
    assert (tmp_path / "dl" / "manifest.json").read_text() == "{}"
