"""Execute a profile's notebooks with papermill: cache, failure reports, progress and a run manifest.

Layout of one profile's run directory (``runs/<profile>/``)::

    notebooks/NN_name.ipynb   executed copies (what the book shows)
    failed/NN_name.ipynb      the executed copy of a notebook that raised, with its traceback
    .state/NN_name.json       cache record: key and its inputs, the fslib files the notebook runs, parameters,
                              duration of the last successful execution
    manifest.json             profile, parameters, git commit, package versions, machine, durations
    tables/, figures/         what the notebooks write (``out_dir``)

A notebook's executed copy is reused while its cache key is unchanged. The key covers the notebook's cells,
its parameters, the source files of the fslib modules it runs (its imports closed over fslib's own imports,
found statically by :mod:`fslib.study.deps`), the versions of the main packages, and the keys of the earlier
notebooks whose outputs it reads (``reads:`` of ``fslib/study.yml``, followed transitively). So editing one
module re-executes the pages that import it and the pages that read theirs, not the whole study; the log line
of a re-executed page says which input changed.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nbformat

from .. import envinfo
from ..cache import atomic_path, stable_json, write_json_atomic
from ..paths import repo_root
from . import deps
from .plan import Plan, load_plan


class StudyError(RuntimeError):
    """A notebook of the study failed; the message names the notebook, the cell and the error."""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def notebook_digest(path: Path) -> str:
    """Hash of a notebook's cells (type, source, tags), ignoring outputs and execution counts."""
    nb = nbformat.read(str(path), as_version=4)
    h = hashlib.sha256()
    for cell in nb.cells:
        tags = sorted(cell.get("metadata", {}).get("tags", []))
        h.update(json.dumps([cell.cell_type, cell.source, tags]).encode())
    return h.hexdigest()


def packages_digest() -> str:
    """Short hash of the versions of the packages that shape results (:func:`fslib.envinfo.package_versions`)."""
    return hashlib.sha256(stable_json(envinfo.package_versions()).encode()).hexdigest()[:16]


def _inputs(plan: Plan, name: str, params: dict[str, Any], run_dir: Path, packages: str) -> dict[str, Any]:
    """What a notebook's cache key covers: its cells, parameters, the fslib files it runs (relative name ->
    short digest), the package versions and the keys of the notebooks it reads (None: no cache record)."""
    files = deps.module_files(plan.path(name))
    upstream = {}
    for prev in plan.upstream(name):
        st = _read_state(run_dir / ".state" / f"{prev}.json")
        upstream[prev] = st.get("key") if st else None
    return {
        "notebook": notebook_digest(plan.path(name)),
        "params": params,
        "code": deps.file_digests(files),
        "packages": packages,
        "upstream": upstream,
    }


def _why(state: dict | None, inputs: dict[str, Any], output_exists: bool, force: bool, limit: int = 4) -> str:
    """Why a notebook that has a cache record runs again, from its recorded inputs and the current ones."""
    if force:
        return "forced (--force)"
    if state is None:
        return "no cache record"
    old = state.get("inputs")
    if not isinstance(old, dict):
        return "its cache record predates the recorded inputs"
    reasons = []
    if old.get("notebook") != inputs["notebook"]:
        reasons.append("notebook changed")
    old_params = old.get("params") or {}
    new_params = inputs["params"]
    changed = sorted(
        k for k in {*old_params, *new_params} if stable_json(old_params.get(k)) != stable_json(new_params.get(k))
    )
    if changed:
        reasons.append("parameters changed: " + ", ".join(changed))
    old_code = old.get("code") or {}
    files = sorted(f for f in {*old_code, *inputs["code"]} if old_code.get(f) != inputs["code"].get(f))
    if files:
        more = f" and {len(files) - limit} more" if len(files) > limit else ""
        reasons.append("code changed: " + ", ".join(files[:limit]) + more)
    if old.get("packages") != inputs["packages"]:
        reasons.append("packages changed")
    old_up = old.get("upstream") or {}
    for nb in sorted({*old_up, *inputs["upstream"]}):
        if nb not in inputs["upstream"]:
            reasons.append(f"no longer reads {nb}")
        elif inputs["upstream"][nb] is None:
            reasons.append(f"upstream {nb} has no cache record")
        elif nb not in old_up:
            reasons.append(f"now reads {nb}")
        elif old_up[nb] != inputs["upstream"][nb]:
            reasons.append(f"upstream {nb} re-executed")
    if not reasons and not output_exists:
        reasons.append("the executed copy is missing")
    return "; ".join(reasons) or "cache key changed"


def _read_state(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _describe_failure(name: str, err: Exception, failed_copy: Path) -> str:
    cell = getattr(err, "exec_count", None)
    index = getattr(err, "cell_index", None)
    ename, evalue = getattr(err, "ename", type(err).__name__), getattr(err, "evalue", str(err))
    source = (getattr(err, "source", "") or "").strip().splitlines()
    where = f"cell {cell}" if cell is not None else "a cell"
    if index is not None:
        where += f" (index {index})"
    snippet = "\n".join("    | " + line for line in source[:8])
    return (
        f"notebook {name} failed in {where}: {ename}: {evalue}\n{snippet}\n"
        f"  the executed copy with the full traceback is {failed_copy}"
    )


def run_study(
    profile: str,
    *,
    only: Sequence[str] = (),
    sets: Sequence[str] = (),
    force: bool = False,
    plan: Plan | None = None,
    runs_root: Path | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or reuse from the cache) the selected notebooks of ``profile``; return the manifest.

    Raises :class:`StudyError` when a notebook fails, and ``ParameterError`` for a bad ``--set``.
    """
    plan = plan or load_plan()
    root = runs_root or repo_root() / "runs"
    run_dir = root / profile
    selected = plan.select(only)
    out_dir = os.path.relpath(run_dir, plan.notebooks_dir)
    params = plan.resolve(profile, selected, sets, out_dir=out_dir)

    # quieter kernels: MediaPipe's and TensorFlow Lite's C++ logs (the kernels inherit this environment)
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # fslib's progress bars inside a papermill kernel would only end up as noise in the book's outputs;
    # the progress of a run is papermill's per-cell bar. They still show from the command line and Jupyter.
    os.environ["FSLIB_PROGRESS"] = "0"
    for sub in ("notebooks", "failed", ".state"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    with _exclusive(run_dir, profile):
        return _run(plan, selected, params, profile, run_dir, only, sets, force, progress, log)


@contextlib.contextmanager
def _exclusive(run_dir: Path, profile: str):
    """Hold ``run_dir/.lock`` so two runs of one profile cannot interleave their writes."""
    import fcntl

    with open(run_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StudyError(
                f"another `fslib study --profile {profile}` is running on this study; wait for it to finish "
                "(an interrupted run releases the lock, and the next run resumes)"
            ) from None
        _remove_stale_temporaries(run_dir)
        yield


def _remove_stale_temporaries(run_dir: Path) -> None:
    """Remove the temporaries (``.<name>.*.tmp``, :func:`fslib.cache.atomic_path`) that a killed run left in
    ``run_dir``: under the profile's lock no other run can be writing them."""
    for path in [p for p in run_dir.rglob(".*.tmp") if p.is_dir()]:
        shutil.rmtree(path, ignore_errors=True)


def _run(plan, selected, params, profile, run_dir, only, sets, force, progress, log) -> dict[str, Any]:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    packages = packages_digest()
    started, t_run = _now(), time.perf_counter()
    manifest_path = run_dir / "manifest.json"
    run_log: list[dict[str, Any]] = []

    def write_manifest(status: str) -> dict[str, Any]:
        manifest = build_manifest(plan, run_dir, profile)
        manifest.update(
            status=status,
            last_invocation={
                "started": started,
                "finished": None if status == "in progress" else _now(),
                "wall_s": round(time.perf_counter() - t_run, 2),
                "only": list(only),
                "sets": list(sets),
                "force": force,
                "notebooks": run_log,
            },
        )
        write_json_atomic(manifest_path, manifest)
        return manifest

    for i, name in enumerate(selected, 1):
        tag = f"[{i}/{len(selected)}] {name}"
        inputs = _inputs(plan, name, params[name], run_dir, packages)
        key = hashlib.sha256(stable_json(inputs).encode()).hexdigest()[:20]
        state_path = run_dir / ".state" / f"{name}.json"
        output = run_dir / "notebooks" / f"{name}.ipynb"
        state = _read_state(state_path)
        if not force and state and state.get("key") == key and output.exists():
            log(f"{tag}: unchanged (key {key}), reusing the executed copy from {state['executed_at']}")
            run_log.append({"name": name, "cached": True, "wall_s": 0.0})
            continue

        why = f"; {_why(state, inputs, output.exists(), force)}" if state or force else ""
        log(f"{tag}: executing with profile {profile} ({_fmt_params(params[name])}){why}")
        state_path.unlink(missing_ok=True)
        t0 = time.perf_counter()
        failed_copy = run_dir / "failed" / f"{name}.ipynb"
        try:
            with atomic_path(output) as tmp_out:
                tmp_nb = tmp_out.with_suffix(".ipynb")
                try:
                    papermill.execute_notebook(
                        str(plan.path(name)),
                        str(tmp_nb),
                        parameters=params[name],
                        cwd=str(plan.notebooks_dir),
                        kernel_name="python3",
                        progress_bar=progress,
                        log_output=False,
                    )
                except BaseException:
                    if tmp_nb.exists():
                        shutil.copyfile(tmp_nb, failed_copy)
                    raise
                _scrub_paths(tmp_nb, plan.path(name), output, run_dir.parent.parent)
                os.replace(tmp_nb, tmp_out)
        except PapermillExecutionError as err:
            run_log.append(
                {"name": name, "cached": False, "failed": True, "wall_s": round(time.perf_counter() - t0, 2)}
            )
            write_manifest("failed")
            raise StudyError(_describe_failure(name, err, failed_copy)) from None
        except KeyboardInterrupt:
            run_log.append(
                {"name": name, "cached": False, "interrupted": True, "wall_s": round(time.perf_counter() - t0, 2)}
            )
            write_manifest("interrupted")
            raise
        except Exception as err:  # kernel died, notebook unreadable, ...
            run_log.append(
                {"name": name, "cached": False, "failed": True, "wall_s": round(time.perf_counter() - t0, 2)}
            )
            write_manifest("failed")
            raise StudyError(f"notebook {name} could not be executed: {type(err).__name__}: {err}") from err
        wall = round(time.perf_counter() - t0, 2)
        failed_copy.unlink(missing_ok=True)
        write_json_atomic(
            state_path,
            {
                "key": key,
                "params": params[name],
                "wall_s": wall,
                "executed_at": _now(),
                "git": envinfo.git_state(repo_root_or_none()),
                "modules": list(inputs["code"]),
                "inputs": inputs,
            },
        )
        run_log.append({"name": name, "cached": False, "wall_s": wall})
        # after every executed notebook, so an interrupted or still running study has an up-to-date manifest
        write_manifest("in progress")
        log(f"{tag}: done in {_fmt_duration(wall)}")

    manifest = write_manifest("complete")
    log(
        f"profile {profile}: {len(selected)} notebook(s) in {_fmt_duration(time.perf_counter() - t_run)}; "
        f"manifest {_here(manifest_path)}"
    )
    return manifest


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return path.name


# C++ info and warning log lines of MediaPipe / TensorFlow Lite (absl and glog format: "W0000 00:00:1796.. 14839 file.cc:114] ..."),
# written straight to the process's stderr, also from worker processes, so no logging setting catches them all
NATIVE_LOG_LINE = re.compile(r"^[IW]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\] .*\n?", re.M)


def _scrub_paths(nb_path: Path, source: Path, final: Path, base: Path) -> None:
    """Replace papermill's absolute input/output paths with paths relative to the study root, so no
    machine's file system layout ends up in a committed notebook; and drop the native libraries' C++ log
    lines (:data:`NATIVE_LOG_LINE`) from the stderr outputs, where they would fill the book's pages (the
    Python warnings and errors around them are kept; an output left empty is removed)."""
    nb = nbformat.read(str(nb_path), as_version=4)
    meta = nb.metadata.get("papermill", {})
    meta["input_path"] = _rel(source, base)
    meta["output_path"] = _rel(final, base)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                out["text"] = NATIVE_LOG_LINE.sub("", out["text"])
                if not out["text"].strip():
                    continue
            kept.append(out)
        cell["outputs"] = kept
    nbformat.write(nb, str(nb_path))


def repo_root_or_none() -> Path:
    try:
        return repo_root()
    except FileNotFoundError:
        return Path.cwd()


STATE_ONLY = ("modules", "inputs")  # fields of a cache record that the manifest leaves out


def build_manifest(plan: Plan, run_dir: Path, profile: str) -> dict[str, Any]:
    """Summary of every executed notebook in ``run_dir`` (from the cache records), in plan order.

    A committed run (``runs/full``) comes without its cache records (``.state`` is not committed): a notebook
    whose executed copy is there but whose record is not keeps its entry from the manifest already in
    ``run_dir`` (each entry names the commit it was executed at), so re-executing one page of a committed run
    (``--only 20``) does not drop the others from the manifest."""
    previous = _read_state(run_dir / "manifest.json") or {}
    earlier = {nb["name"]: nb for nb in previous.get("notebooks", [])}
    notebooks = []
    for name in plan.notebooks:
        st = _read_state(run_dir / ".state" / f"{name}.json")
        if not (run_dir / "notebooks" / f"{name}.ipynb").exists():
            continue
        if st:
            # the cache key's inputs and the module list stay in the cache record, out of the manifest
            notebooks.append({"name": name, **{k: v for k, v in st.items() if k not in STATE_ONLY}})
        elif name in earlier:
            notebooks.append({**earlier[name], "name": name, "from_earlier_manifest": True})
    prof = plan.profiles[profile]
    return {
        "profile": profile,
        "description": prof.description,
        "budget_minutes": prof.budget_minutes,
        "git": envinfo.git_state(repo_root_or_none()),
        "packages": envinfo.package_versions(),
        "machine": envinfo.machine(),
        "notebooks": notebooks,
        "missing": [n for n in plan.notebooks if n not in {nb["name"] for nb in notebooks}],
        "total_notebook_wall_s": round(sum(nb["wall_s"] for nb in notebooks), 2),
    }


def _fmt_params(p: dict[str, Any]) -> str:
    shown = {k: _here(v) if isinstance(v, str) else v for k, v in p.items() if k not in ("profile", "out_dir")}
    return ", ".join(f"{k}={v!r}" for k, v in shown.items()) or "defaults"


def _here(value: str | Path) -> str:
    """An absolute path below the working directory as the user typed it (relative); anything else as is."""
    text = str(value)
    if os.path.isabs(text):
        try:
            return Path(text).relative_to(Path.cwd()).as_posix()
        except ValueError:
            pass
    return text


def _fmt_duration(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{s / 60:.1f} min"
