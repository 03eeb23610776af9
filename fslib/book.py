"""Stage a profile's executed notebooks as the book's pages and build the book with Jupyter Book.

The book's table of contents (``_toc.yml``) points at ``book/study/NN_name``; ``stage`` fills that folder
from ``runs/<profile>/notebooks`` and renders the run manifest and the profile table into
``book/_generated/``. Jupyter Book never executes anything: papermill is the one executor.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from .paths import repo_root
from .study.plan import Plan, load_plan

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
            shutil.copyfile(executed, pages / f"{name}.ipynb")
        else:
            (pages / f"{name}.md").write_text(
                f"# {name}\n\n```{{warning}}\nThis notebook was not executed in the `{profile}` run that this "
                f"build shows. Run `fslib study --profile {profile} --only {name}` and rebuild the book.\n```\n"
            )
    gen = root / "book" / "_generated"
    gen.mkdir(parents=True, exist_ok=True)
    (gen / "run.md").write_text(render_manifest(manifest))
    (gen / "profiles.md").write_text(render_profiles(plan))
    return profile


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
        "| notebook | wall time | executed (UTC) | parameters |",
        "|---|---:|---|---|",
    ]
    for nb in m.get("notebooks", []):
        params = ", ".join(f"`{k}={v!r}`" for k, v in nb.get("params", {}).items() if k not in ("out_dir",))
        lines.append(f"| {nb['name']} | {nb['wall_s']:.1f} s | {nb.get('executed_at', '')} | {params} |")
    if m.get("missing"):
        lines += ["", f"Not executed in this run: {', '.join(m['missing'])}."]
    lines += ["", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v or 'not installed'} |" for k, v in m.get("packages", {}).items()]
    return "\n".join(lines) + "\n"


def build(root: Path | None = None, *, strict: bool = True) -> Path:
    """Run ``jupyter-book build`` on the study (warnings are errors when ``strict``); return index.html."""
    root = root or repo_root()
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(root), "--builder", "html"]
    if strict:
        cmd += ["-W", "--keep-going"]
    proc = subprocess.run(cmd, cwd=root)
    if proc.returncode != 0:
        raise BookError(f"jupyter-book build failed (exit {proc.returncode}); the warnings above say where")
    return root / "_build" / "html" / "index.html"
