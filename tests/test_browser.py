"""The browser check of the built book (fslib/browser.py) on tiny hand-written sites: each kind of problem is
caught on the page that has it, and a clean page passes. These tests need Debian's chromium and
chromedriver; without them they fail (CI installs both), they never skip."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from fslib import browser
from fslib.browser import Problem, benign, check_site, glue_refs, site_pages
from fslib.cli import main


def require_browser() -> None:
    try:
        browser.find_browser()
    except browser.BrowserMissing as err:
        pytest.fail(f"the browser check needs Chromium: {err}", pytrace=False)


def page(title: str, body: str, head: str = "") -> str:
    return textwrap.dedent(
        f"""\
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>{title}</title>{head}</head>
        <body><h1 id="top-heading">{title}</h1>
        {body}
        </body></html>
        """
    )


def notebook(markdown: str, glued: dict[str, str]) -> str:
    """A notebook as Sphinx copies it into _sources/: one markdown cell, one cell whose outputs glue
    ``glued`` (key -> text) the way myst_nb.glue(..., display=False) does."""
    prefix = "application/papermill.record/"
    outputs = [
        {
            "output_type": "display_data",
            "data": {prefix + "text/plain": value},
            "metadata": {"scrapbook": {"name": key, "mime_prefix": prefix}},
        }
        for key, value in glued.items()
    ]
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": markdown},
        {"cell_type": "code", "metadata": {}, "source": "glue(...)", "outputs": outputs, "execution_count": 1},
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


# myst-nb 1.4's rendering of an error output and of a stderr stream (class names as in a real build)
TRACEBACK = """<div class="cell_output docutils container">
<div class="output traceback highlight-ipythontb notranslate"><div class="highlight"><pre><span></span>
<span class="n">Traceback</span> (most recent call last)
<span class="ne">ZeroDivisionError</span>: division by zero
</pre></div></div></div>"""
STDERR_ERROR = """<div class="cell_output docutils container">
<div class="output stderr highlight-myst-ansi notranslate"><div class="highlight"><pre><span></span>
RuntimeError: the teacher failed to load
</pre></div></div></div>"""
STDERR_WARNING = """<div class="cell_output docutils container">
<div class="output stderr highlight-myst-ansi notranslate"><div class="highlight"><pre><span></span>
UserWarning: a harmless warning
</pre></div></div></div>"""
# Sphinx 7.4 writes an inline script registered late twice; the repeat's redeclaration is benign
REPEATED = '<script>const THEBE_JS_URL = "x"; const thebe_selector = ".cell"</script>' * 2


def write_site(root: Path) -> Path:
    html = root / "html"
    (html / "_images").mkdir(parents=True)
    (html / "_sources").mkdir()
    (html / "_static").mkdir()
    Image.new("RGB", (8, 6), "steelblue").save(html / "_images" / "ok.png")
    (html / "_images" / "corrupt.png").write_bytes(b"not a png at all")
    pages = {
        "clean.html": page(
            "Clean",
            f"""
            <p>Accuracy <span class="pasted-text">0.91</span>.</p>
            <img src="_images/ok.png" alt="ok">
            <p><a href="#top-heading">up</a> <a href="other/deep.html#results">results</a> <a href="#">menu</a>
               <a href="https://example.org/">elsewhere</a> <a href="mailto:a@b.c">mail</a></p>
            <pre><code>{{glue:text}}`shown as code is fine`</code></pre>
            {STDERR_WARNING}
            {REPEATED}
            """,
        ),
        "other/deep.html": page("Deep", '<section id="results"><p>results</p></section>'),
        "broken_image.html": page("Image", '<img src="_images/missing.png"><img src="_images/corrupt.png">'),
        "broken_link.html": page(
            "Links", '<a href="nowhere.html">gone</a> <a href="other/deep.html#no-such-anchor">bad anchor</a>'
        ),
        "traceback.html": page("Error", TRACEBACK + STDERR_ERROR),
        "console.html": page("Console", "<p>text</p><script>undefined_function()</script>"),
        "redeclared.html": page("Twice", "<script>const shared = 1</script><script>const shared = 2</script>"),
        "glue.html": page("Glue", "<p>Seen: {glue:text}`acc_raw` and pasted <span class='pasted-text'>3</span>.</p>"),
        "index.html": '<html><head><meta http-equiv="refresh" content="0; url=clean.html" /></head></html>',
        "old/index.html": '<html><head><meta http-equiv="refresh" content="0; url=../gone.html" /></head></html>',
        "_static/widget.html": page("Asset", '<img src="nothing.png">'),
    }
    for name, text in pages.items():
        (html / name).parent.mkdir(parents=True, exist_ok=True)
        (html / name).write_text(text)
    # the sources Sphinx keeps: clean.ipynb pastes a key it glued; glue.ipynb pastes one it never glued
    (html / "_sources" / "clean.ipynb").write_text(notebook("Accuracy {glue:text}`acc:.2f`.", {"acc": "0.9132"}))
    (html / "_sources" / "glue.ipynb").write_text(
        notebook("Count {glue:text}`n_signs` and {glue}`missing_key`.", {"n_signs": "3"})
    )
    return html


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return write_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def checked(site, tmp_path_factory):
    require_browser()
    shots = tmp_path_factory.mktemp("shots")
    problems = check_site(site, shots)
    by_page: dict[str, list[Problem]] = {}
    for p in problems:
        by_page.setdefault(p.page, []).append(p)
    return by_page, shots


def kinds(by_page, name):
    return sorted(p.kind for p in by_page.get(name, []))


def test_pages_are_the_html_files_outside_assets_less_redirect_stubs(site):
    assert site_pages(site) == [
        "broken_image.html",
        "broken_link.html",
        "clean.html",
        "console.html",
        "glue.html",
        "other/deep.html",
        "redeclared.html",
        "traceback.html",
    ]


def test_a_clean_page_has_no_problem(checked):
    by_page, _ = checked
    assert by_page.get("clean.html", []) == [] and by_page.get("other/deep.html", []) == []
    assert "index.html" not in by_page  # the redirect stub points at a page that exists


def test_broken_and_undecodable_images_are_caught(checked):
    by_page, _ = checked
    found = by_page["broken_image.html"]
    images = [p.detail for p in found if p.kind == browser.IMAGE]
    assert len(images) == 2 and "_images/missing.png" in images[0] and "_images/corrupt.png" in images[1]
    # the browser also logs the missing file's 404 (the undecodable one arrives with status 200)
    assert [p.detail for p in found if p.kind != browser.IMAGE] == [
        "/_images/missing.png - Failed to load resource: the server responded with a status of 404 (File not found)"
    ]


def test_missing_files_and_missing_anchors_are_caught(checked):
    by_page, _ = checked
    assert kinds(by_page, "broken_link.html") == [browser.ANCHOR, browser.LINK]
    details = {p.kind: p.detail for p in by_page["broken_link.html"]}
    assert "nowhere.html" in details[browser.LINK]
    assert "'no-such-anchor'" in details[browser.ANCHOR] and "other/deep.html" in details[browser.ANCHOR]
    # a redirect stub is no page of its own, but its target must exist
    assert [(p.kind, p.detail) for p in by_page["old/index.html"]] == [
        (browser.LINK, "../gone.html -> no file gone.html in the site")
    ]


def test_error_outputs_and_errors_on_stderr_are_caught(checked):
    by_page, _ = checked
    found = by_page["traceback.html"]
    assert [p.kind for p in found] == [browser.ERROR_OUTPUT, browser.ERROR_OUTPUT]
    assert "Traceback" in found[0].detail and "RuntimeError" in found[1].detail


def test_javascript_console_errors_are_caught(checked):
    by_page, _ = checked
    found = by_page["console.html"]
    assert [p.kind for p in found] == [browser.CONSOLE]
    assert "undefined_function is not defined" in found[0].detail
    # two *different* scripts declaring one name is an error of the page, unlike the repeated script
    assert [p.kind for p in by_page["redeclared.html"]] == [browser.CONSOLE]
    assert "'shared' has already been declared" in by_page["redeclared.html"][0].detail


def test_unresolved_glue_is_caught_in_the_text_and_from_the_source(checked):
    by_page, _ = checked
    found = by_page["glue.html"]
    assert sorted(p.kind for p in found) == sorted([browser.GLUE, browser.MARKUP])
    details = " ".join(p.detail for p in found)
    assert "{glue:text}`acc_raw`" in details  # literal role text in the rendered page
    assert "'missing_key'" in details  # myst-nb renders nothing for it: read from _sources/glue.ipynb
    assert "n_signs" not in details


def test_one_full_width_screenshot_per_page(checked, site):
    _, shots = checked
    for name in site_pages(site):
        with Image.open(shots / Path(name).with_suffix(".png")) as im:
            assert im.format == "PNG" and im.width == browser.WINDOW[0] and im.height > 50
    assert not (shots / "_static").exists() and not (shots / "index.png").exists()


def test_cli_prints_one_line_per_problem_and_exits_2(site, capsys):
    require_browser()
    code = main(["check-book", "--html", str(site)])
    out = capsys.readouterr().out.splitlines()
    assert code == 2
    assert len(out) == len(set(out)) >= 7 and all(": " in line for line in out)
    assert any(line.startswith("console.html: console error: ") for line in out)


def test_cli_exits_0_on_a_clean_site(tmp_path, capsys):
    require_browser()
    html = tmp_path / "html"
    html.mkdir()
    (html / "page.html").write_text(page("Fine", '<p><a href="#top-heading">top</a></p>'))
    assert main(["check-book", "--html", str(html), "--screenshots", str(tmp_path / "shots")]) == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "shots" / "page.png").is_file()


def test_cli_without_chromium_names_the_apt_packages(site, monkeypatch, capsys):
    monkeypatch.setenv("FSLIB_CHROMIUM", str(site / "no-such-chromium"))
    assert main(["check-book", "--html", str(site)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "apt-get install chromium chromium-driver" in err[0]


def test_glue_references_are_parsed_like_myst_nb():
    text = textwrap.dedent(
        """\
        A {glue:text}`acc:.2f`, {glue}`fig`, {glue:any}`nb.ipynb::table` and {glue:md}`note:myst`.

        ```{glue:figure} curve
        :name: fig-curve
        Caption with {glue:text}`caption_value`.
        ```

        ```python
        {glue:text}`inside_code_is_not_markup`
        ```

        :::{glue} headline_table
        :doc: study/20_findings.ipynb
        :::

        ```{glue:any} claims
        ---
        doc: /book/study/20_findings.ipynb
        ---
        ```

        ```{glue} study/20_findings.ipynb::headline_table
        ```

        :::{glue:math} eq
        :::
        """
    )
    refs = [(r.doc, r.key, r.mime) for r in glue_refs(text)]
    assert refs == [
        (None, "acc", "text/plain"),
        (None, "fig", None),
        ("nb.ipynb", "table", None),
        (None, "note", "text/markdown"),
        (None, "curve", None),
        (None, "caption_value", "text/plain"),
        ("study/20_findings.ipynb", "headline_table", None),
        ("/book/study/20_findings.ipynb", "claims", None),
        # directives take no `doc::key`: this asks the page itself for that odd key (a real miss)
        (None, "study/20_findings.ipynb::headline_table", None),
        (None, "eq", "text/latex"),
    ]
    # myst-nb splits the format off first, so `doc::key` without a format loses the key (a real miss)
    assert [(r.doc, r.key) for r in glue_refs("{glue:text}`nb.ipynb::acc`")] == [(None, "nb.ipynb:")]
    assert [(r.doc, r.key) for r in glue_refs("{glue:text}`nb.ipynb::acc:.2f`")] == [("nb.ipynb", "acc")]


def test_glue_from_another_page_is_looked_up_in_that_page_s_source(tmp_path):
    html = tmp_path / "html"
    (html / "_sources" / "study").mkdir(parents=True)
    (html / "_sources" / "study" / "findings.ipynb").write_text(notebook("", {"n_claims": "12"}))
    (html / "_sources" / "intro.md").write_text(
        "{glue:text}`study/findings.ipynb::n_claims:d` claims; {glue:text}`study/findings.ipynb::n_rows:d`;"
        " {glue}`study/absent.ipynb::x`\n\n:::{glue} n_claims\n:doc: study/findings.ipynb\n:::\n"
    )
    found = [p.detail for p in browser.check_glue(html, "intro.html")]
    assert found == [
        "{glue:text}`study/findings.ipynb::n_rows:d`: study/findings.ipynb glues no key 'n_rows'",
        "{glue}`study/absent.ipynb::x`: no notebook 'study/absent.ipynb' beside this page",
    ]


def test_only_narrowly_matched_console_messages_are_benign():
    repeated = {"repeated_scripts": ['const THEBE_JS_URL = "x"']}
    assert benign(
        "/intro.html 61:12 Uncaught SyntaxError: Identifier 'THEBE_JS_URL' has already been declared", repeated
    )
    assert not benign("/intro.html 61:12 Uncaught SyntaxError: Identifier 'other' has already been declared", repeated)
    assert benign("/favicon.ico - Failed to load resource: the server responded with a status of 404", {})
    assert not benign("/favicon.ico - Failed to load resource: 404", {"icon": True})
    theme = '/_static/scripts/pydata-sphinx-theme.js?digest=55c2 0:1488 "Got invalid theme mode: . Resetting to auto."'
    assert benign(theme, {})
    assert not benign(theme.replace("mode: .", "mode: purple."), {})
    assert not benign("/x.html 3:8 Uncaught ReferenceError: undefined_function is not defined", repeated)
