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


# ------------------------------------------------------------------------------------- the page's anatomy
QUESTION = "**Question.**"
LIMITS_HEADING = "## What this shows, and its limits"
# tags that hide a cell's output (hide-input keeps the output in view, so it may sit on any cell)
HIDING_TAGS = {"hide-cell", "hide-output", "remove-cell", "remove-output"}
# calls that put something on the page: printed text, a displayed object, a figure
SHOWING_CALLS = {"display", "print", "show", "Markdown"}
FIGURE_WORDS = ("figure", "plot", "gallery", "filmstrip", "grid", "curves", "bars", "scatter")
# methods whose value, as a cell's last expression, displays nothing
SILENT_METHODS = {"to_csv", "to_parquet", "to_json", "write_text", "write_bytes", "mkdir", "savefig", "close"}


def uncommented_parameters(source: str) -> list[str]:
    """Names assigned in a parameters cell without a trailing ``# comment`` on the assignment's last line
    (the comment the book's parameter table shows), and those whose line papermill cannot read (an ``=`` in
    the comment makes papermill skip the line)."""
    import io
    import tokenize

    comment_lines = {
        tok.start[0] for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT
    }
    lines = source.splitlines()
    out = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            name = ast.unparse(target)
            last = lines[node.end_lineno - 1]
            if node.end_lineno not in comment_lines or last.count("=") > 1:
                out.append(name)
    return out


def _call_name(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def shows_something(source: str) -> bool:
    """Whether a code cell puts something on the page: a print/display/show call, a figure-making call, or a
    last expression IPython displays (a call of a :data:`SILENT_METHODS` method displays nothing)."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in SHOWING_CALLS or any(w in name.lower() for w in FIGURE_WORDS):
                return True
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        return not (isinstance(last.value, ast.Call) and _call_name(last.value) in SILENT_METHODS)
    return False


def anatomy_problems(nb) -> list[str]:
    """What keeps a notebook from the page anatomy of the book: the first markdown cell opens with the
    title and a ``**Question.**`` line; every assignment of the parameters cell carries a trailing comment;
    no cell that shows something hides its output (only ``hide-input`` may sit on it); a figure caption
    (myst-nb's ``mystnb.figure`` cell metadata, applied to every displayed output of the cell) sits only on a
    cell whose one displayed output is the figure, and has a caption and a ``fig-`` name; the last ``##``
    section is :data:`LIMITS_HEADING`."""
    out = []
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    lines = md[0].source.splitlines() if md else []
    if not lines or not lines[0].startswith("# "):
        out.append("the first markdown cell does not start with the page title ('# ...')")
    if not any(line.startswith(QUESTION) for line in lines):
        out.append(f"the first markdown cell has no line starting with {QUESTION}")
    for c in nb.cells:
        tags = set(c.metadata.get("tags", []))
        if "parameters" in tags:
            missing = uncommented_parameters(c.source)
            if missing:
                out.append(f"parameters without a trailing comment papermill can read: {', '.join(missing)}")
            continue
        if c.cell_type != "code":
            continue
        first_line = c.source.splitlines()[0][:40] if c.source else ""
        hidden = sorted(tags & HIDING_TAGS)
        if hidden and shows_something(c.source):
            out.append(f"cell {first_line!r} shows a result but is tagged {', '.join(hidden)}")
        fig = c.metadata.get("mystnb", {}).get("figure")
        if fig is not None:
            if not fig.get("caption") or not str(fig.get("name", "")).startswith("fig-"):
                out.append(f"cell {first_line!r}: a figure needs a caption and a name starting with 'fig-'")
            tree = ast.parse(c.source)
            last = tree.body[-1] if tree.body else None
            ends_shown = isinstance(last, ast.Expr) and not (  # print and plt.show() return None
                isinstance(last.value, ast.Call) and _call_name(last.value) in SILENT_METHODS | {"show", "print"}
            )
            displays = any(isinstance(n, ast.Call) and _call_name(n) == "display" for n in ast.walk(tree))
            if ends_shown or displays:
                out.append(f"cell {first_line!r} has a figure caption but displays more than its figure")
    headings = [line for c in md for line in c.source.splitlines() if line.startswith("## ")]
    if not headings or headings[-1].strip() != LIMITS_HEADING:
        out.append(f"the last section is {headings[-1] if headings else 'missing'!r}, not {LIMITS_HEADING!r}")
    return out


def test_anatomy_rule_catches_each_problem():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    assert uncommented_parameters(
        "a = 1  # one\n# b, on its own line\nb = 2\nc = [1,\n     2]  # two\nd = 3  # x = 3"
    ) == [
        "b",
        "d",
    ]
    assert (
        shows_something("display(x)") and shows_something("df.round(3)") and shows_something("fig = f.rows_figure(r)")
    )
    assert not shows_something("x = 1\ny.to_csv('a.csv')") and not shows_something("import pandas as pd")

    def page(*cells):
        return new_notebook(cells=list(cells))

    good = page(
        new_markdown_cell("# Title\n\n**Question.** Why?\n\nWhat the page does."),
        new_code_cell('profile = "smoke"  # run profile', metadata={"tags": ["parameters"]}),
        new_code_cell("import x\n\nroot = setup()", metadata={"tags": ["hide-cell"]}),
        new_code_cell("x.open_page()\ndisplay(box)", metadata={"tags": ["hide-input"]}),
        new_code_cell(
            "fig = f.rows_figure(r)\nfig.savefig('a.png')",
            metadata={"mystnb": {"figure": {"caption": "Look at the gaps.", "name": "fig-00-rows"}}},
        ),
        new_markdown_cell("## Results\n\ntext"),
        new_markdown_cell(f"{LIMITS_HEADING}\n\nWhat it shows; its limits.\n\n### A subsection"),
        new_code_cell("print(sentence())"),
    )
    assert anatomy_problems(good) == []
    bad = page(
        new_markdown_cell("# Title\n\nNo question here."),
        new_code_cell('profile = "smoke"\nseed = 0  # seed', metadata={"tags": ["parameters"]}),
        new_code_cell("table.round(3)", metadata={"tags": ["remove-output"]}),
        new_code_cell("display(t)\nfig = f.plot_x()", metadata={"tags": ["hide-cell"]}),
        new_code_cell("t = f()\ndisplay(t)\nfig = f.rows_figure(r)", metadata={"mystnb": {"figure": {"name": "x"}}}),
        new_markdown_cell(f"{LIMITS_HEADING}\n\ntext"),
        new_markdown_cell("## Something after it"),
    )
    problems = anatomy_problems(bad)
    assert len(problems) == 7, problems
    assert any("**Question.**" in p for p in problems)
    assert any("profile" in p and "trailing comment" in p for p in problems)
    assert any("remove-output" in p for p in problems) and any("hide-cell" in p for p in problems)
    assert any("caption and a name" in p for p in problems) and any("more than its figure" in p for p in problems)
    assert any("Something after it" in p for p in problems)


@pytest.mark.parametrize("name", PLAN.notebooks)
def test_notebook_anatomy(name):
    """Every page opens with its question, comments every parameter, hides no result and ends with what it
    shows and its limits (see :func:`anatomy_problems`)."""
    nb = nbformat.read(str(PLAN.path(name)), as_version=4)
    problems = anatomy_problems(nb)
    assert not problems, f"{name}: " + "; ".join(problems)


def test_figure_names_are_unique_across_the_book():
    names = [
        c.metadata["mystnb"]["figure"]["name"]
        for nb_name in PLAN.notebooks
        for c in nbformat.read(str(PLAN.path(nb_name)), as_version=4).cells
        if "figure" in c.metadata.get("mystnb", {})
    ]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
