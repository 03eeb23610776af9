"""Check the built book as a reader sees it: every page opened in a real headless browser.

``check_site`` serves a built site (``_build/html``) over http on 127.0.0.1 (an ephemeral port, in a thread),
opens each page in Debian's ``chromium`` driven by Selenium through Debian's ``chromedriver`` (both given by
path: nothing is downloaded, Selenium's driver manager is never used) and reports, page by page:

- a broken image: an ``<img>`` that did not finish loading or has no pixels (``naturalWidth`` 0);
- a broken internal link: a same-site ``href`` whose file is not in the site, or whose ``#anchor`` is not an
  ``id`` (or ``<a name>``) of the page it points to;
- an unresolved glue reference. myst-nb 1.4 leaves *nothing* in the page for a glue key it cannot find (the
  role or directive renders to no node, with a build warning), so the check reads the page's source, which
  Sphinx copies into ``_sources/``: every ``{glue...}`` role or directive there must name a key that the
  notebook it points to glued. Literal ``{glue`` in the rendered text (a role that was never parsed) and
  docutils' ``system-message`` / ``problematic`` elements count too;
- error output: a myst-nb error output (``div.output.traceback``), any output holding a Python traceback, or
  a stderr output naming an error (``...Error``);
- a JavaScript console error: a ``SEVERE`` entry of the browser's log (uncaught exceptions, failed loads),
  less three narrowly matched messages that are not errors of the page (see ``benign``: the browser's own
  ``/favicon.ico`` request, the theme's first-visit colour-mode notice, and Sphinx 7.4's repeat of an inline
  script).

The browser runs offline: every host name other than 127.0.0.1 resolves to nothing, so a page that needs
the network shows up as a failed load instead of depending on the machine that runs the check.

With ``screenshots_dir`` it also saves a full-width, full-height PNG of each page there, mirroring the site's
folders (``book/intro.html`` -> ``book/intro.png``).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

INSTALL_HINT = "apt-get install chromium chromium-driver"
WINDOW = (1400, 1000)  # wide enough for the theme's left navigation and right-hand contents
MAX_SHOT_HEIGHT = 30000  # px; a longer page is cut there rather than exhausting memory
PAGE_TIMEOUT_S = 60
SETTLE_S = 0.3  # after the load event, for scripts that run a moment later

# Kinds of problem, as printed.
IMAGE, LINK, ANCHOR, GLUE, MARKUP, ERROR_OUTPUT, CONSOLE, LOAD = (
    "broken image",
    "broken link",
    "broken anchor",
    "unresolved glue",
    "unrendered markup",
    "error output",
    "console error",
    "page load",
)


class BrowserMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Problem:
    page: str  # path of the page inside the site, e.g. book/study/00_environment.html
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


# ---------------------------------------------------------------------------------------------------------
# the browser


def find_browser(chromium: str | None = None, chromedriver: str | None = None) -> tuple[str, str]:
    """Paths of the system's Chromium and chromedriver (arguments, else ``$FSLIB_CHROMIUM`` and
    ``$FSLIB_CHROMEDRIVER``, else PATH); raise ``BrowserMissing`` naming the apt packages otherwise."""
    browser = (
        chromium or os.environ.get("FSLIB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    driver = chromedriver or os.environ.get("FSLIB_CHROMEDRIVER") or shutil.which("chromedriver")
    missing = [
        name for name, path in (("chromium", browser), ("chromedriver", driver)) if not path or not Path(path).is_file()
    ]
    if missing:
        raise BrowserMissing(f"{' and '.join(missing)} not found (the check uses Debian's): {INSTALL_HINT}")
    try:
        import selenium  # noqa: F401
    except ImportError as err:
        raise BrowserMissing(f"selenium is not installed ({err}); `make venv` installs it") from err
    return str(browser), str(driver)


@contextmanager
def open_browser(chromium: str | None = None, chromedriver: str | None = None) -> Iterator:
    """A headless Chromium driven by Selenium through the given chromedriver (Selenium Manager is skipped
    because the driver's path is explicit); its profile lives in a temporary folder."""
    browser, driver_path = find_browser(chromium, chromedriver)
    from selenium import webdriver

    with tempfile.TemporaryDirectory(prefix="fslib-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for arg in (
            "--headless=new",
            "--no-sandbox",  # CI runs as root
            "--disable-dev-shm-usage",
            "--disable-gpu",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            "--force-device-scale-factor=1",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            # offline and quiet: nothing but the local server is reachable, no background traffic
            "--no-proxy-server",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
        ):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = webdriver.ChromeService(executable_path=driver_path)
        driver = webdriver.Chrome(service=service, options=options)
        try:
            driver.set_page_load_timeout(PAGE_TIMEOUT_S)
            driver.set_script_timeout(PAGE_TIMEOUT_S)
            yield driver
        finally:
            driver.quit()


# ---------------------------------------------------------------------------------------------------------
# the local server


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class _LocalServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a browser closing a connection early is not news
        pass


@contextmanager
def serve(html_dir: Path) -> Iterator[str]:
    """Serve ``html_dir`` on 127.0.0.1 at an ephemeral port from a thread; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = _LocalServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="fslib-book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ---------------------------------------------------------------------------------------------------------
# the site's pages

_REFRESH = re.compile(r"<meta[^>]+http-equiv=[\"']?refresh[^>]*>", re.I)
_REFRESH_URL = re.compile(r"url=([^\"'>\s]+)", re.I)


def redirect_target(page: Path) -> str | None:
    """The URL of a redirect stub (Sphinx's root ``index.html`` is one: a meta refresh), else None."""
    head = page.read_text(errors="replace")[:4000]
    meta = _REFRESH.search(head)
    if not meta:
        return None
    url = _REFRESH_URL.search(meta.group(0))
    return url.group(1) if url else ""


def site_pages(html_dir: Path) -> list[str]:
    """The site's pages: every ``.html`` file outside the top-level asset folders (``_static``, ``_sources``,
    ``_images`` ...), less redirect stubs (whose target is checked as a link instead), in path order."""
    html_dir = Path(html_dir)
    pages = []
    for f in sorted(html_dir.rglob("*.html")):
        rel = f.relative_to(html_dir)
        if rel.parts[0][0] in "_." or redirect_target(f) is not None:
            continue
        pages.append(rel.as_posix())
    return pages


def screenshot_path(screenshots_dir: Path, page: str) -> Path:
    return Path(screenshots_dir) / Path(page).with_suffix(".png")


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name == "id" or (name == "name" and tag == "a")):
                self.ids.add(value)


def _static_ids(path: Path) -> set[str]:
    parser = _Ids()
    parser.feed(path.read_text(errors="replace"))
    return parser.ids


# ---------------------------------------------------------------------------------------------------------
# glue references, read from the sources Sphinx copies into _sources/

_ROLE = re.compile(r"\{(glue(?::(?:any|text|md)?)?)\}`([^`\n]+)`")
_DIRECTIVE = re.compile(r"^\s*(?:`{3,}|~{3,}|:{3,})\s*\{(glue(?::(?:any|figure|math|md)?)?)\}\s*(.*?)\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(\{?)")
_OPTION = re.compile(r"^\s*:?([\w-]+):\s*(.*?)\s*$")
# the mime type a role or directive needs from the glued value (None: any that renders)
_NEEDS = {"glue:text": "text/plain", "glue:md": "text/markdown", "glue:math": "text/latex"}


@dataclass(frozen=True)
class GlueRef:
    written: str  # as in the source, e.g. {glue:text}`acc:.2f`
    doc: str | None  # the other document it pastes from, None for this one
    key: str
    mime: str | None  # the mime type it needs, None for any


def _directive_options(lines: list[str], i: int) -> dict[str, str]:
    """The options written under a directive's first line (from ``lines[i]``): ``:name: value`` lines or a
    ``---`` block of ``name: value`` lines."""
    if i < len(lines) and lines[i].strip() == "---":
        block = []
        for line in lines[i + 1 :]:
            if line.strip() == "---":
                break
            block.append(line)
    else:
        block = []
        for line in lines[i:]:
            if not line.lstrip().startswith(":") or not _OPTION.match(line):
                break
            block.append(line)
    return {m.group(1): m.group(2) for line in block if (m := _OPTION.match(line))}


def glue_refs(markdown: str) -> list[GlueRef]:
    """The glue roles and directives of MyST text, parsed the way myst-nb 1.4 parses them: the roles
    ``{glue}``/``{glue:any}`` take ``[doc::]key``, ``{glue:text}`` ``[doc::]key[:format]`` and ``{glue:md}``
    ``key[:format]`` (the format is split off first); the directives take the whole argument as the key,
    and only ``{glue}``/``{glue:any}`` paste from another document, named by their ``:doc:`` option. Code
    blocks (fences that are not directives) are skipped."""
    refs: list[GlueRef] = []
    directives: list[str] = []  # the fences of the directives open around the line
    code: str | None = None  # the fence of the code block the line is in
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        closes = bool(m) and not line.strip().strip(m.group(1)[0])
        if code is not None:
            if closes and m.group(1)[0] == code[0] and len(m.group(1)) >= len(code):
                code = None
            continue
        if closes and directives and m.group(1)[0] == directives[-1][0] and len(m.group(1)) >= len(directives[-1]):
            directives.pop()
            continue
        d = _DIRECTIVE.match(line)
        if d:
            name, key = d.groups()
            doc = _directive_options(lines, i + 1).get("doc") if name in ("glue", "glue:", "glue:any") else None
            refs.append(GlueRef(line.strip(), doc or None, key, _NEEDS.get(name)))
        if m:
            if m.group(2):
                directives.append(m.group(1))
            else:  # a code block: its text is not markup
                code = m.group(1)
            continue
        for r in _ROLE.finditer(line):
            name, text = r.groups()
            if name in ("glue:text", "glue:md"):
                text = text.rsplit(":", 1)[0]
            doc, sep, key = text.partition("::")
            if sep and name != "glue:md":
                refs.append(GlueRef(r.group(0), doc, key, _NEEDS.get(name)))
            else:
                refs.append(GlueRef(r.group(0), None, text, _NEEDS.get(name)))
    return refs


def notebook_glue(nb: dict) -> dict[str, set[str]]:
    """Glue key -> the mime types glued under it, from a notebook's outputs (as myst-nb reads them)."""
    out: dict[str, set[str]] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            meta = (output.get("metadata") or {}).get("scrapbook")
            if meta and "name" in meta:
                prefix = meta.get("mime_prefix") or ""
                out[meta["name"]] = {k[len(prefix) :] for k in output.get("data", {})}
    return out


def _markup_of(source: Path) -> tuple[str, dict[str, set[str]]]:
    """The MyST text of a page's source (markdown cells and markdown outputs of a notebook, or the whole
    file) and the glue it provides."""
    text = source.read_text(errors="replace")
    if ".ipynb" not in source.suffixes:
        return text, {}
    nb = json.loads(text)
    parts = []
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        if cell.get("cell_type") == "markdown":
            parts.append("".join(src) if isinstance(src, list) else src)
        for output in cell.get("outputs", []):
            md = output.get("data", {}).get("text/markdown")
            if md is not None and not (output.get("metadata") or {}).get("scrapbook"):
                parts.append("".join(md) if isinstance(md, list) else md)
    return "\n\n".join(parts), notebook_glue(nb)


def page_source(html_dir: Path, page: str) -> Path | None:
    """The copy of ``page``'s source under ``_sources/`` (``a/b.html`` -> ``_sources/a/b.ipynb`` or
    ``b.md``, with or without Sphinx's ``.txt`` suffix), if the build kept one."""
    stem = Path(page).with_suffix("")
    folder = Path(html_dir) / "_sources" / stem.parent
    if not folder.is_dir():
        return None
    found = sorted(f for f in folder.iterdir() if f.is_file() and f.name.split(".")[0] == stem.name)
    return found[0] if found else None


def check_glue(html_dir: Path, page: str) -> list[Problem]:
    """Every glue reference in ``page``'s source names a key (with the mime type it needs) that its
    notebook glued; see the module's docstring for why the rendered page cannot show this."""
    html_dir = Path(html_dir)
    source = page_source(html_dir, page)
    if source is None:
        return []
    markup, own = _markup_of(source)
    problems = []
    cache: dict[Path, dict[str, set[str]] | None] = {}
    for ref in glue_refs(markup):
        if ref.doc is None:
            glued, where = own, "this page"
        else:
            srcroot = html_dir / "_sources"
            base = srcroot if ref.doc.startswith("/") else source.parent
            target = (base / ref.doc.lstrip("/")).resolve()
            if not target.exists() and target.with_name(target.name + ".txt").exists():
                target = target.with_name(target.name + ".txt")
            if target not in cache:
                cache[target] = _markup_of(target)[1] if target.is_file() and ".ipynb" in target.suffixes else None
            glued, where = cache[target], ref.doc
            if glued is None:
                problems.append(Problem(page, GLUE, f"{ref.written}: no notebook {ref.doc!r} beside this page"))
                continue
        if ref.key not in glued:
            problems.append(Problem(page, GLUE, f"{ref.written}: {where} glues no key {ref.key!r}"))
        elif ref.mime and ref.mime not in glued[ref.key]:
            problems.append(Problem(page, GLUE, f"{ref.written}: key {ref.key!r} has no {ref.mime} value"))
    return problems


# ---------------------------------------------------------------------------------------------------------
# what the browser reads from each page

_WAIT_FOR_IMAGES = """
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
  i.addEventListener('load', r, {once: true}); i.addEventListener('error', r, {once: true});
}))).then(() => (document.fonts ? document.fonts.ready : null)).then(() => done(true), () => done(true));
"""

_INSPECT = r"""
const excerpt = (s) => {
  const lines = s.split('\n').map(l => l.trim()).filter(l => l);
  const hit = lines.find(l => /Traceback|Error/.test(l)) || lines[0] || '';
  return hit.slice(0, 160);
};
const out = {images: [], links: [], ids: [], markup: [], errors: []};
out.icon = document.querySelector('link[rel~="icon"]') !== null;
const seen = new Map();
for (const s of document.querySelectorAll('script:not([src])')) seen.set(s.textContent, (seen.get(s.textContent) || 0) + 1);
out.repeated_scripts = Array.from(seen).filter(([, n]) => n > 1).map(([t]) => t);
for (const i of document.images) {
  if (!i.complete || i.naturalWidth === 0) out.images.push(i.getAttribute('src') || i.currentSrc || '(no src)');
}
for (const a of document.querySelectorAll('a[href]')) out.links.push([a.getAttribute('href'), a.href]);
for (const e of document.querySelectorAll('[id]')) out.ids.push(e.id);
for (const a of document.querySelectorAll('a[name]')) out.ids.push(a.name);
for (const e of document.querySelectorAll('.system-message, .problematic')) {
  out.markup.push(e.className + ': ' + e.textContent.trim().replace(/\s+/g, ' ').slice(0, 160));
}
const body = document.body.cloneNode(true);
body.querySelectorAll('pre, code, script, style, textarea, noscript').forEach(e => e.remove());
const text = body.textContent;
let at = text.indexOf('{glue');
if (at >= 0) out.markup.push('literal text: ' + text.slice(at, at + 80).replace(/\s+/g, ' '));
for (const o of document.querySelectorAll('.output')) {
  const t = o.textContent;
  if (o.classList.contains('traceback') || o.classList.contains('error')) {
    out.errors.push('traceback: ' + excerpt(t));
  } else if (/Traceback \(most recent call last\)/.test(t)) {
    out.errors.push('traceback in ' + (o.classList.contains('stderr') ? 'stderr' : 'output') + ': ' + excerpt(t));
  } else if (o.classList.contains('stderr') && /[A-Za-z]*Error\b/.test(t)) {
    out.errors.push('stderr: ' + excerpt(t));
  }
}
return out;
"""


_NEXT_FRAME = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => done(document.documentElement.scrollHeight)));
"""


def _screenshot(driver, path: Path) -> None:
    """A PNG of the whole page at the window's width: the viewport is made as tall as the page (so the page
    lays itself out for that height, as a reader's very tall window would), captured, then restored.
    (Chrome's ``captureBeyondViewport`` is not used: it sometimes paints pages with wide, horizontally
    scrollable outputs shifted sideways.)"""
    width = driver.execute_script("return document.documentElement.clientWidth") or WINDOW[0]
    height = driver.execute_async_script(_NEXT_FRAME)
    try:
        for _ in range(3):  # the taller viewport can make the page taller (min-height: 100vh ...)
            height = min(max(int(height), 1), MAX_SHOT_HEIGHT)
            metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            laid_out = driver.execute_async_script(_NEXT_FRAME)
            if laid_out <= height or height == MAX_SHOT_HEIGHT:
                break
            height = laid_out
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


_REDECLARED = re.compile(r"Uncaught SyntaxError: Identifier '([\w$]+)' has already been declared")
_FIRST_VISIT_MODE = re.compile(r"pydata-sphinx-theme\.js\S* \S+ \"Got invalid theme mode: \. Resetting to auto\.\"$")


def benign(message: str, facts: dict) -> bool:
    """Whether a SEVERE console entry is not an error of the page. Three are not, each matched narrowly:

    - ``/favicon.ico`` not found, on a page that declares no icon: the browser asks the site's root for an
      icon by itself; nothing on the page refers to that file.
    - pydata-sphinx-theme's ``console.error("Got invalid theme mode: . Resetting to auto.")`` with an *empty*
      mode: its head script sets the mode from ``localStorage`` or "", so every first visit takes this,
      the theme's own fall-back to "auto" (a non-empty invalid mode is still reported).
    - ``Identifier 'X' has already been declared`` when the page holds two identical inline scripts
      declaring ``X``: Sphinx 7.4 writes an inline script that an extension registers after the builder
      started twice (``filename=None`` and ``''`` do not compare equal); sphinx-thebe's
      ``const THEBE_JS_URL = ...`` is one. The first copy ran and defined everything, so only the repeat
      fails; an identifier declared twice by *different* scripts is still reported.
    """
    if message.startswith("/favicon.ico - Failed to load resource") and not facts.get("icon"):
        return True
    if _FIRST_VISIT_MODE.search(message):
        return True
    m = _REDECLARED.search(message)
    if m:
        declares = re.compile(rf"\b(?:const|let|class)\s+{re.escape(m.group(1))}\b")
        return any(declares.search(script) for script in facts.get("repeated_scripts", []))
    return False


def _console(driver, base: str, facts: dict) -> list[str]:
    """The SEVERE entries of the browser's log since the last call that are errors of the page (see
    ``benign``), with the server's address cut out."""
    entries = [e["message"].replace(base, "/") for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    return [m for m in entries if not benign(m, facts)]


def _visit(driver, base: str, page: str, screenshots_dir: Path | None) -> tuple[dict | None, list[Problem]]:
    problems: list[Problem] = []
    try:
        driver.get(base + quote(page))
        driver.execute_async_script(_WAIT_FOR_IMAGES)
    except Exception as err:  # a timeout or a crashed tab: report it and go on with the next page
        return None, [Problem(page, LOAD, f"{type(err).__name__}: {str(err).strip().splitlines()[0][:200]}")]
    time.sleep(SETTLE_S)
    found = driver.execute_script(_INSPECT)
    problems += [Problem(page, IMAGE, f"img {src} did not load") for src in found["images"]]
    problems += [Problem(page, MARKUP, m) for m in found["markup"]]
    problems += [Problem(page, ERROR_OUTPUT, e) for e in found["errors"]]
    if screenshots_dir is not None:
        _screenshot(driver, screenshot_path(screenshots_dir, page))
    problems += [Problem(page, CONSOLE, m) for m in _console(driver, base, found)]
    return found, problems


def _check_links(html_dir: Path, base: str, links: dict[str, list], ids: dict[str, set[str]]) -> list[Problem]:
    problems: list[Problem] = []
    origin = urlsplit(base)
    root = html_dir.resolve()
    for page, pairs in links.items():
        for raw, resolved in pairs:
            url = urlsplit(resolved)
            if (url.scheme, url.netloc) != (origin.scheme, origin.netloc):
                continue  # another site, mailto:, javascript: ...
            rel = unquote(url.path).lstrip("/")
            target = (root / rel).resolve()
            if target.is_dir():
                target = target / "index.html"
            if root not in (target, *target.parents) or not target.is_file():
                problems.append(Problem(page, LINK, f"{raw} -> no file {rel or '/'} in the site"))
                continue
            anchor = unquote(url.fragment)
            if not anchor or anchor.lower() == "top" or target.suffix != ".html":
                continue
            key = target.relative_to(root).as_posix()
            if key not in ids:
                ids[key] = _static_ids(target)
            if anchor not in ids[key]:
                problems.append(Problem(page, ANCHOR, f"{raw} -> no id {anchor!r} in {key}"))
    return problems


def check_site(
    html_dir: Path,
    screenshots_dir: Path | None = None,
    *,
    chromium: str | None = None,
    chromedriver: str | None = None,
) -> list[Problem]:
    """Open every page of the built site ``html_dir`` in headless Chromium and return its problems (none
    when the site is clean); save a full-page PNG of each page into ``screenshots_dir`` when given.
    Raises ``BrowserMissing`` when Chromium or chromedriver is not installed."""
    html_dir = Path(html_dir)
    pages = site_pages(html_dir)
    if not pages:
        raise FileNotFoundError(f"no HTML pages in {html_dir}")
    find_browser(chromium, chromedriver)  # fail before serving anything
    problems: list[Problem] = []
    links: dict[str, list] = {}
    ids: dict[str, set[str]] = {}
    facts: dict = {}
    with serve(html_dir) as base, open_browser(chromium, chromedriver) as driver:
        for i, page in enumerate(pages):
            if i:  # what the previous page logged after its check (late scripts, unload)
                problems += [Problem(pages[i - 1], CONSOLE, m) for m in _console(driver, base, facts)]
            found, seen = _visit(driver, base, page, screenshots_dir)
            problems += seen
            facts = found or {}
            if found is not None:
                links[page] = found["links"]
                ids[page] = set(found["ids"])
            problems += check_glue(html_dir, page)
        problems += [Problem(pages[-1], CONSOLE, m) for m in _console(driver, base, facts)]
        # redirect stubs (the root index.html): their target must exist like any link's
        for f in sorted(html_dir.rglob("*.html")):
            rel = f.relative_to(html_dir).as_posix()
            target = None if rel[0] in "_." else redirect_target(f)
            if target is not None:
                links[rel] = [(target, urljoin(base + quote(rel), target))]
        problems += _check_links(html_dir, base, links, ids)
    order = {p: i for i, p in enumerate(pages)}
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: order.get(p.page, -1))
