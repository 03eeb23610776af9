"""Stage a profile's executed notebooks as the book's pages and build the book with Jupyter Book.

The book's table of contents (``_toc.yml``) points at ``book/study/NN_name``; ``stage`` fills that folder
from ``runs/<profile>/notebooks`` and renders the run manifest and the profile table into
``book/_generated/``. Jupyter Book never executes anything: papermill is the one executor.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import yaml

from . import gpu_report
from .cache import stable_json
from .paths import repo_root
from .study.plan import Plan, load_plan, notebook_parameters

PUBLISHED_PROFILE = "full"


class BookError(RuntimeError):
    pass


def available_runs(root: Path) -> list[str]:
    runs = root / "runs"
    return sorted(p.name for p in runs.glob("*") if (p / "manifest.json").exists()) if runs.exists() else []


def default_profile(root: Path) -> str:
    """The published profile when its run is present, else the only run there is."""
    runs = available_runs(root)
    if PUBLISHED_PROFILE in runs:
        return PUBLISHED_PROFILE
    if len(runs) == 1:
        return runs[0]
    raise BookError(
        "which run should the book show? "
        + (f"runs present: {', '.join(runs)}; pass --profile" if runs else "no run yet: `fslib study --profile ci`")
    )


def stage(profile: str | None = None, root: Path | None = None, plan: Plan | None = None) -> str:
    """Copy the run's executed notebooks into ``book/study`` and write the generated pages; return the profile."""
    root = root or repo_root()
    plan = plan or load_plan()
    profile = profile or default_profile(root)
    run_dir = root / "runs" / profile
    manifest_file = run_dir / "manifest.json"
    if not manifest_file.exists():
        raise BookError(
            f"no run of profile {profile!r} in {run_dir.relative_to(root)}: run `fslib study --profile {profile}` "
            f"first (runs present: {', '.join(available_runs(root)) or 'none'})"
        )
    manifest = json.loads(manifest_file.read_text())
    pages = root / "book" / "study"
    shutil.rmtree(pages, ignore_errors=True)
    pages.mkdir(parents=True)
    for name in plan.notebooks:
        executed = run_dir / "notebooks" / f"{name}.ipynb"
        if executed.exists():
            entry = next((nb for nb in manifest.get("notebooks", []) if nb["name"] == name), {})
            page = add_parameter_table(nbformat.read(str(executed), as_version=4), plan, name, entry.get("params"))
            add_stale_warning(page, entry, stale_parameters(plan, profile, name, entry.get("params")), profile)
            nbformat.write(page, str(pages / f"{name}.ipynb"))
        else:
            (pages / f"{name}.md").write_text(
                f"# {name}\n\n```{{warning}}\nThis notebook was not executed in the `{profile}` run that this "
                f"build shows. Run `fslib study --profile {profile} --only {name}` and rebuild the book.\n```\n"
            )
    gen = root / "book" / "_generated"
    gen.mkdir(parents=True, exist_ok=True)
    (gen / "run.md").write_text(render_manifest(manifest))
    copy_downloads(run_dir, gen / "downloads")
    (gen / "gpu.md").write_text(gpu_report.render_all(root / "runs" / "gpu"))
    (gen / "profiles.md").write_text(render_profiles(plan))
    return profile


PARAMETER_TAGS = ("parameters", "injected-parameters")


def _cell(value: Any) -> str:
    text = repr(value)
    text = text if len(text) <= 200 else text[:197] + "..."
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def parameter_rows(plan: Plan, name: str, used: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Notebook ``name``'s parameters, its own first, then those it takes from its parent page (``inherit`` in
    study.yml): name, the run's value (``used``: the manifest's resolved parameters; the default where absent),
    default, whether the run set it to something else, meaning and unit (the trailing comment of its line in the
    ``parameters`` cell) and the parent it comes from ("" for its own)."""
    declared = notebook_parameters(plan.path(name))
    inherited = {k: v for k, v in plan.inherited(name).items() if k not in declared}
    parent = plan.parent(name).parent if inherited else ""
    used = used or {}
    return [
        {
            "name": p.name,
            "value": used.get(p.name, p.default),
            "default": p.default,
            "set": p.name in used and used[p.name] != p.default,
            "meaning": p.help or "",
            "origin": origin,
        }
        for params, origin in ((declared, ""), (inherited, parent))
        for p in params.values()
    ]


def parameter_table(plan: Plan, name: str, used: dict[str, Any] | None) -> str:
    """:func:`parameter_rows` as a Markdown table; a value the run set is marked **(set)**, an inherited
    parameter's meaning says which page it comes from."""
    return _parameter_markdown(parameter_rows(plan, name, used))


def _parameter_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| parameter | value in this run | default | meaning (unit) |", "|---|---|---|---|"]
    for r in rows:
        changed = " **(set)**" if r["set"] else ""
        meaning = r["meaning"].replace("|", "\\|") + (f" (from {r['origin']})" if r["origin"] else "")
        lines.append(f"| `{r['name']}` | {_cell(r['value'])}{changed} | {_cell(r['default'])} | {meaning} |")
    return "\n".join(lines)


def add_parameter_table(nb, plan: Plan, name: str, used: dict[str, Any] | None):
    """The page as the book shows it: the notebook's parameter cells collapsed (``hide-cell``) and, right after
    them, a collapsed box with the table of :func:`parameter_table` (generated here, so every page gets the same
    one and none is written by hand); its title counts the parameters and those the run set."""
    last = None
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.setdefault("tags", [])
        if any(t in tags for t in PARAMETER_TAGS):
            if "hide-cell" not in tags:
                tags.append("hide-cell")
            last = i
    if last is None:
        return nb
    rows = parameter_rows(plan, name, used)
    text = (
        f":::{{admonition}} Parameters of this page: {len(rows)}, of which {sum(r['set'] for r in rows)} set by "
        "this run (click to open)\n:class: dropdown\n"
        "The run's value of each parameter, its default in the notebook, and its meaning and unit. Change them "
        "with `fslib study --set NAME=VALUE` or papermill (see [Rerun this study](../rerun.md)).\n\n"
        f"{_parameter_markdown(rows)}\n:::"
    )
    cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": ["parameter-table"]})
    cell.id = "parameter-table"  # a fixed id: staging the same run twice gives the same page
    nb.cells.insert(last + 1, cell)
    return nb


def stale_parameters(plan: Plan, profile: str, name: str, used: dict[str, Any] | None) -> list[str]:
    """The parameters whose value in the executed page differs from what ``profile`` sets today (fslib/study.yml):
    a page kept from an earlier run of the profile after its settings changed. Empty when they agree (or the
    run recorded no parameters)."""
    if not used or profile not in plan.profiles:
        return []
    try:
        resolved = plan.resolve(profile, [name], out_dir=str(used.get("out_dir", "")))[name]
        defaults = {k: p.default for k, p in plan.parameters(name).items()}
    except Exception:  # noqa: BLE001 - a page the plan no longer resolves is reported by the plan's own checks
        return []
    now, then = {**defaults, **resolved}, {**defaults, **used}  # a value not recorded is the notebook's default
    keys = sorted(k for k in {*resolved, *used} if k != "out_dir")
    return [k for k in keys if stable_json(now.get(k)) != stable_json(then.get(k))]


def add_stale_warning(nb, entry: dict[str, Any], changed: list[str], profile: str):
    """A warning at the top of a page executed with settings the profile no longer uses (see
    :func:`stale_parameters`): its numbers are of that earlier run, not comparable with the pages around it."""
    if not changed:
        return nb
    when = entry.get("executed_at", "an earlier run")
    commit = (entry.get("git") or {}).get("commit", "")[:12]
    text = (
        f":::{{warning}}\nThis page is from an earlier run of the `{profile}` profile ({when}"
        + (f", commit `{commit}`" if commit else "")
        + f"), executed with settings the profile has changed since: {', '.join(f'`{k}`' for k in changed)}. "
        "Its numbers come from that run's models and data and are not comparable with the pages regenerated "
        f"after it. `fslib study --profile {profile} --only {entry.get('name', '')}` brings it up to date.\n:::"
    )
    cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": ["stale-page"]})
    cell.id = "stale-page"
    at = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0  # below the page's title
    nb.cells.insert(at, cell)
    return nb


# The files of a run that the book offers for download (the front page links them): the long results table,
# the findings table and the run manifest.
DOWNLOADS = ("tables/results.csv", "tables/findings.csv", "manifest.json")


def copy_downloads(run_dir: Path, dest: Path) -> None:
    """Copy :data:`DOWNLOADS` of ``run_dir`` into ``dest``; a file the run did not write becomes a one-line
    placeholder saying so (the book still builds, and the link says what is missing)."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in DOWNLOADS:
        src, out = run_dir / rel, dest / Path(rel).name
        if src.exists():
            shutil.copyfile(src, out)
        else:
            out.write_text(f"this run did not write {rel}: run `fslib study --profile {run_dir.name}` first\n")


def render_profiles(plan: Plan) -> str:
    rows = ["| profile | time budget (2 CPU cores) | what it is |", "|---|---|---|"]
    for p in plan.profiles.values():
        budget = f"{p.budget_minutes:g} min" if p.budget_minutes else "GPU; not run here"
        rows.append(f"| `{p.name}` | {budget} | {' '.join(p.description.split())} |")
    return "\n".join(rows) + "\n"


def render_manifest(m: dict) -> str:
    git = m.get("git") or {}
    commit = git.get("commit", "unknown")[:12] + (" (with uncommitted changes)" if git.get("dirty") else "")
    mach = m.get("machine", {})
    lines = [
        f"This build shows the **`{m['profile']}`** profile: {' '.join(m.get('description', '').split())}",
        "",
        f"- status of the last invocation: **{m.get('status', 'unknown')}**, "
        + (
            f"finished {inv['finished']} (UTC)"
            if (inv := m.get("last_invocation", {})).get("finished")
            else f"started {inv.get('started', '?')} (UTC), not finished"
        ),
        f"- git commit: `{commit}`",
        f"- machine: {mach.get('cpu')}, {mach.get('cores')} cores, {mach.get('memory_gb')} GB memory, "
        f"GPU: {mach.get('gpu') or 'none'}; {mach.get('platform')}",
        f"- sum of notebook execution times: {m.get('total_notebook_wall_s', 0) / 60:.1f} min"
        + (f" (budget {m['budget_minutes']} min)" if m.get("budget_minutes") else ""),
        "",
        "| notebook | wall time | executed (UTC) | commit | parameters |",
        "|---|---:|---|---|---|",
    ]
    for nb in m.get("notebooks", []):
        params = ", ".join(f"`{k}={v!r}`" for k, v in nb.get("params", {}).items() if k not in ("out_dir",))
        nb_commit = (nb.get("git") or {}).get("commit", "")[:12]
        lines.append(
            f"| {nb['name']} | {nb['wall_s']:.1f} s | {nb.get('executed_at', '')} | `{nb_commit}` | {params} |"
        )
    if m.get("missing"):
        lines += ["", f"Not executed in this run: {', '.join(m['missing'])}."]
    lines += ["", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v or 'not installed'} |" for k, v in m.get("packages", {}).items()]
    return "\n".join(lines) + "\n"


# What a copy of the book needs besides the staged run: the configuration, the contents, the bibliography and
# the hand-written chapters (book/ without its staged and generated folders) and the static files.
BOOK_SOURCES = ("_config.yml", "_toc.yml", "references.bib", "book", "_static")


def build_copy(
    profile: str, dest: Path, *, root: Path | None = None, runs_root: Path | None = None, strict: bool = True
) -> Path:
    """Build the book of ``profile`` in ``dest`` (a copy of the book's sources), leaving the repository's own
    ``book/study`` and ``_build`` untouched; return ``dest/_build/html/index.html``.

    ``runs_root`` is the folder holding ``<profile>/`` (default: the repository's ``runs``). Tests and the
    publishing target use this, so two builds never write into the same folder.
    """
    root = root or repo_root()
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    for name in BOOK_SOURCES:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("study", "_generated"))
        elif src.exists():
            shutil.copyfile(src, dest / name)
    runs_src = Path(runs_root) if runs_root else root / "runs"
    shutil.copytree(
        runs_src / profile,
        dest / "runs" / profile,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".state", "failed", ".lock"),
    )
    if (root / "runs" / "gpu").is_dir():  # the GPU page's measurements (not part of any profile's run)
        shutil.copytree(root / "runs" / "gpu", dest / "runs" / "gpu", dirs_exist_ok=True)
    stage(profile, root=dest)
    return build(dest, strict=strict)


def repository_url(root: Path, env: Mapping[str, str] | None = None) -> str:
    """The repository the book links to: ``FSLIB_REPOSITORY_URL``; else, in GitHub Actions, the repository
    the workflow runs in (``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``); else the ``origin`` remote of the
    checkout when it is an https or GitHub ssh address; else "" (the book is built without repository
    buttons). Nothing is looked up on the network."""
    env = os.environ if env is None else env
    if env.get("FSLIB_REPOSITORY_URL"):
        return env["FSLIB_REPOSITORY_URL"].rstrip("/")
    if env.get("GITHUB_REPOSITORY"):
        return f"{env.get('GITHUB_SERVER_URL', 'https://github.com').rstrip('/')}/{env['GITHUB_REPOSITORY']}"
    proc = subprocess.run(["git", "remote", "get-url", "origin"], cwd=root, capture_output=True, text=True)
    url = proc.stdout.strip() if proc.returncode == 0 else ""
    if url.startswith("git@github.com:"):
        url = "https://github.com/" + url.split(":", 1)[1]
    url = url.removesuffix(".git")
    return url if url.startswith("https://") else ""


def build_config(root: Path, url: str) -> Path:
    """``_config.yml`` with the repository ``url`` filled in (the repository, issues and source buttons), or
    with those buttons off when ``url`` is empty; written next to the build output, never over the original."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    html = config.setdefault("html", {})
    config.setdefault("repository", {})["url"] = url
    for button in ("use_repository_button", "use_issues_button"):
        html[button] = bool(url)
    out = root / "_build" / "_config.resolved.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(config, sort_keys=False))
    return out


def build(root: Path | None = None, *, strict: bool = True) -> Path:
    """Run ``jupyter-book build`` on the study (warnings are errors when ``strict``); return index.html.

    The configuration is ``_config.yml`` with the repository URL of :func:`repository_url` filled in; the
    site gets a ``.nojekyll`` marker so that GitHub Pages serves its ``_static`` folder as it is."""
    root = root or repo_root()
    exe = Path(sys.executable).with_name("jupyter-book")
    config = build_config(root, repository_url(root))
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(root), "--builder", "html"]
    cmd += ["--config", str(config)]
    if strict:
        cmd += ["-W", "--keep-going"]
    proc = subprocess.run(cmd, cwd=root)
    if proc.returncode != 0:
        raise BookError(f"jupyter-book build failed (exit {proc.returncode}); the warnings above say where")
    html = root / "_build" / "html"
    (html / ".nojekyll").touch()
    return html / "index.html"
