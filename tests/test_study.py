"""The study runner: parameter injection, cache hits and misses, failure reports, bad --set values."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import nbformat
import pytest
from conftest import write_notebook

from fslib.study import StudyError, run_study
from fslib.study.plan import ParameterError


def run(plan, runs, profile="smoke", **kw):
    logs: list[str] = []
    manifest = run_study(profile, plan=plan, runs_root=runs, progress=False, log=logs.append, **kw)
    return manifest, logs


def executed(logs):
    return [line.split(":")[0].split("] ")[1] for line in logs if ": executing" in line]


def test_profile_parameters_and_sets_are_injected(toy_study):
    plan, runs = toy_study
    run(plan, runs, only=["00"], sets=["rate=1", "name=hello", "flag=false", "sizes=[16]"])
    got = json.loads((runs / "smoke" / "first.json").read_text())
    # profile `all` block, per-notebook block, --set values (int 1 coerced to the float default's type)
    assert got == {"profile": "smoke", "seed": 7, "n": 4, "rate": 1.0, "name": "hello", "flag": False, "sizes": [16]}
    nb = nbformat.read(str(runs / "smoke" / "notebooks" / "00_first.ipynb"), as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "n = 4" in injected[0].source
    # papermill's paths are made relative: no machine path in the executed copy
    assert not nb.metadata["papermill"]["input_path"].startswith("/")


def test_cache_hit_miss_force_and_upstream_invalidation(toy_study):
    plan, runs = toy_study
    _, logs = run(plan, runs)
    assert executed(logs) == ["00_first", "01_second"]
    _, logs = run(plan, runs)
    assert executed(logs) == [] and sum("reusing" in line for line in logs) == 2
    _, logs = run(plan, runs, sets=["01_second:seed=3"])  # a parameter of the second notebook only
    assert executed(logs) == ["01_second"]
    _, logs = run(plan, runs, sets=["01_second:seed=3"], force=True)
    assert executed(logs) == ["00_first", "01_second"]
    # editing the first notebook invalidates it; the second reads nothing of it (no `reads:`), so it is reused
    write_notebook(plan.path("00_first"), 'profile = "smoke"\nout_dir = ""\nseed = 0\nn = 3\n', "y = 1")
    _, logs = run(plan, runs, sets=["01_second:seed=3"])
    assert executed(logs) == ["00_first"]
    # once it reads the first one, it runs again whenever the first one does
    plan = dataclasses.replace(plan, reads={"01_second": ("00_first",)})
    _, logs = run(plan, runs, sets=["01_second:seed=3"])
    assert executed(logs) == ["01_second"]  # its key now holds 00_first's
    write_notebook(plan.path("00_first"), 'profile = "smoke"\nout_dir = ""\nseed = 0\nn = 3\n', "y = 2")
    _, logs = run(plan, runs, sets=["01_second:seed=3"])
    assert executed(logs) == ["00_first", "01_second"]
    assert any("01_second: executing" in line and "upstream 00_first re-executed" in line for line in logs)


def test_outputs_of_profiles_do_not_overwrite_each_other(toy_study):
    plan, runs = toy_study
    run(plan, runs, "smoke", only=["00_first"])
    run(plan, runs, "ci", only=["00_first"])
    assert json.loads((runs / "smoke" / "first.json").read_text())["seed"] == 7
    assert json.loads((runs / "ci" / "first.json").read_text())["seed"] == 1


def test_failure_names_notebook_cell_and_error_then_resumes(toy_study):
    plan, runs = toy_study
    with pytest.raises(StudyError) as err:
        run(plan, runs, sets=["fail=true"])
    msg = str(err.value)
    assert "01_second" in msg and "ValueError: asked to fail" in msg and "cell" in msg
    assert "raise ValueError" in msg  # the failing cell's source is shown
    assert (runs / "smoke" / "failed" / "01_second.ipynb").exists()
    manifest = json.loads((runs / "smoke" / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["missing"] == ["01_second"]
    # fixed: the first notebook is reused, only the failed one runs, the failed copy is cleared
    _, logs = run(plan, runs)
    assert executed(logs) == ["01_second"]
    assert not (runs / "smoke" / "failed" / "01_second.ipynb").exists()


@pytest.mark.parametrize(
    "item, expected",
    [
        ("bogus=1", ["no notebook in this run declares a parameter 'bogus'", "n (int, default 3)", "fail (bool"]),
        ("n=abc", ["parameter 'n' of notebook 00_first expects int", "'abc'"]),
        ("n=2.5", ["expects int"]),
        ("flag=3", ["parameter 'flag'", "expects bool"]),
        ("sizes=12", ["expects list"]),
        ("sizes=[1, 'a']", ["expects int"]),
        ("01_second:n=3", ["no notebook in this run declares a parameter 'n'"]),
        ("99_nope:n=3", ["no such notebook"]),
        ("noequals", ["expected key=value"]),
        ("profile=ci", ["set by the runner"]),
    ],
)
def test_bad_set_values_are_refused_with_the_allowed_parameters(toy_study, item, expected):
    plan, runs = toy_study
    with pytest.raises(ParameterError) as err:
        run(plan, runs, sets=[item])
    for part in expected:
        assert part in str(err.value)
    assert not (runs / "smoke" / "notebooks" / "00_first.ipynb").exists()  # nothing ran


def test_unknown_profile_and_only(toy_study):
    plan, runs = toy_study
    with pytest.raises(ParameterError, match="unknown profile"):
        run(plan, runs, "full")
    with pytest.raises(ParameterError, match="no such notebook"):
        run(plan, runs, only=["7"])


def test_manifest_records_run(toy_study):
    plan, runs = toy_study
    manifest, _ = run(plan, runs)
    assert manifest["status"] == "complete" and manifest["profile"] == "smoke"
    assert [nb["name"] for nb in manifest["notebooks"]] == ["00_first", "01_second"]
    assert all(nb["wall_s"] > 0 for nb in manifest["notebooks"])
    assert manifest["packages"]["torch"] and manifest["machine"]["cores"] >= 1
    assert manifest["notebooks"][0]["params"]["n"] == 4


def test_a_second_concurrent_run_of_a_profile_is_refused(toy_study):
    import fcntl

    plan, runs = toy_study
    (runs / "smoke").mkdir(parents=True)
    with open(runs / "smoke" / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(StudyError, match="another `fslib study --profile smoke` is running"):
            run(plan, runs)
    run(plan, runs, only=["00"])  # released: runs again


def test_a_run_removes_the_temporaries_a_killed_run_left_and_nothing_else(toy_study):
    """A run killed while writing leaves ``.<name>.<random>.tmp`` folders (seen in runs/full after stopping
    a long run); the next run, holding the lock, removes them and keeps every finished file."""
    plan, runs = toy_study
    run(plan, runs, only=["00"])
    notebooks = runs / "smoke" / "notebooks"
    stale = notebooks / ".01_second.ipynb.abc123.tmp"
    stale.mkdir()
    (stale / "entry.ipynb").write_text("half")
    finished = sorted(p.name for p in notebooks.iterdir() if p != stale)
    run(plan, runs, only=["00"])
    assert not stale.exists()
    assert sorted(p.name for p in notebooks.iterdir()) == finished


def test_manifest_is_current_while_the_run_goes_on(toy_study):
    """Written after every executed notebook: a run killed at the second notebook leaves a manifest that
    lists the first one (read here from the log call that announces the second)."""
    plan, runs = toy_study
    seen = []

    def log(line):
        if "01_second: executing" in line:
            seen.append(json.loads((runs / "smoke" / "manifest.json").read_text()))

    run_study("smoke", plan=plan, runs_root=runs, progress=False, log=log)
    assert len(seen) == 1
    assert seen[0]["status"] == "in progress" and seen[0]["last_invocation"]["finished"] is None
    assert [nb["name"] for nb in seen[0]["notebooks"]] == ["00_first"] and seen[0]["missing"] == ["01_second"]
    final = json.loads((runs / "smoke" / "manifest.json").read_text())
    assert final["status"] == "complete" and final["last_invocation"]["finished"]


def test_native_log_lines_are_dropped_from_stderr_and_the_rest_kept(tmp_path):
    """MediaPipe's C++ info / warning lines (written to the process's stderr, worker processes included) are
    removed from executed copies; Python's own stderr text, native error lines and stdout stay; an output
    left empty goes."""
    from fslib.study.runner import _scrub_paths

    nb = nbformat.v4.new_notebook()
    native = (
        "W0000 00:00:1796143760.749329   14839 inference_feedback_manager.cc:114] Feedback manager.\n"
        "I0000 00:00:1796143760.1 14839 gl/gl_context.cc:357] GL version: 2.1\n"
    )
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=native + "UserWarning: keep me\n"),
        nbformat.v4.new_output("stream", name="stderr", text=native),
        nbformat.v4.new_output("stream", name="stderr", text="E0000 00:00:17.1 12 foo.cc:3] a native error stays\n"),
        nbformat.v4.new_output("stream", name="stdout", text=native),
    ]
    nb.cells = [cell]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, str(path))
    _scrub_paths(path, tmp_path / "src.ipynb", tmp_path / "out.ipynb", tmp_path)
    outs = nbformat.read(str(path), as_version=4).cells[0].outputs
    assert [o.text for o in outs] == [
        "UserWarning: keep me\n",
        "E0000 00:00:17.1 12 foo.cc:3] a native error stays\n",
        native,
    ]


def test_an_inheriting_notebook_gets_its_parents_parameters_profile_values_and_sets(tmp_path):
    """A child declares only what it adds; it receives the parent's parameters (but the parent's own ones),
    the parent's profile values, then its own block and --set, and the runner injects them."""
    import yaml

    from fslib.study.plan import load_plan

    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    write_notebook(
        nbdir / "00_parent.ipynb", 'profile = "smoke"\nout_dir = ""\nseed = 0\nepochs = 2\nwidth = 4\nseeds = [0]'
    )
    write_notebook(
        nbdir / "01_child.ipynb",
        'profile = "smoke"\nout_dir = "."\nseeds = [5]\nrows = 1',
        "import json, pathlib\npathlib.Path(out_dir).mkdir(parents=True, exist_ok=True)\n"
        "(pathlib.Path(out_dir) / 'child.json').write_text(json.dumps(dict(epochs=epochs, width=width, "
        "seeds=seeds, rows=rows, seed=seed)))",
    )
    plan_file = tmp_path / "study.yml"
    plan_file.write_text(
        yaml.safe_dump(
            {
                "notebooks": ["00_parent", "01_child"],
                "inherit": {"00_parent": {"children": ["01_child"], "own": ["seeds"]}},
                "profiles": {
                    "smoke": {
                        "description": "toy",
                        "budget_minutes": 1,
                        "params": {
                            "all": {"seed": 3},
                            "00_parent": {"epochs": 7, "seeds": [1, 2]},
                            "01_child": {"rows": 2},
                        },
                    }
                },
            }
        )
    )
    plan = load_plan(plan_file, nbdir)
    assert set(plan.parameters("01_child")) == {"profile", "out_dir", "seed", "epochs", "width", "seeds", "rows"}
    child = plan.resolve("smoke", ["01_child"])["01_child"]
    assert (child["seed"], child["epochs"], child["width"], child["rows"]) == (3, 7, 4, 2)
    assert "seeds" not in child  # the parent's own setting stays the parent's
    assert plan.resolve("smoke", ["01_child"], ["epochs=9"])["01_child"]["epochs"] == 9
    assert plan.resolve("smoke", ["01_child"], ["00_parent:width=8"])["01_child"]["width"] == 8
    assert plan.resolve("smoke", ["00_parent", "01_child"], ["01_child:width=8"])["00_parent"].get("width") != 8
    with pytest.raises(ParameterError, match="no notebook in this run declares a parameter 'nosuch'"):
        plan.resolve("smoke", ["01_child"], ["nosuch=1"])
    run(plan, tmp_path / "runs", only=["01"], sets=["epochs=5"])
    got = json.loads((tmp_path / "runs" / "smoke" / "child.json").read_text())
    assert got == {"epochs": 5, "width": 4, "seeds": [5], "rows": 2, "seed": 3}


def test_a_committed_run_without_cache_records_keeps_its_manifest_entries(toy_study):
    """runs/full is committed without .state: re-executing one page must not drop the others."""
    import shutil

    plan, runs = toy_study
    manifest, _ = run(plan, runs)
    first = next(nb for nb in manifest["notebooks"] if nb["name"] == "00_first")
    shutil.rmtree(runs / "smoke" / ".state")  # what a fresh clone of a committed run has
    manifest, logs = run(plan, runs, only=["01_second"], force=True)
    assert executed(logs) == ["01_second"]
    names = [nb["name"] for nb in manifest["notebooks"]]
    assert names == ["00_first", "01_second"] and manifest["missing"] == []
    kept = manifest["notebooks"][0]
    assert kept["from_earlier_manifest"] and kept["executed_at"] == first["executed_at"]
    assert kept["git"] == first["git"]
    # a notebook whose executed copy is gone is not carried over from the old manifest
    (runs / "smoke" / "notebooks" / "00_first.ipynb").unlink()
    manifest, _ = run(plan, runs, only=["01_second"])
    assert [nb["name"] for nb in manifest["notebooks"]] == ["01_second"]


def test_a_runner_killed_midway_reuses_its_finished_notebooks_and_completes(toy_study, tmp_path):
    """SIGKILL of the whole `fslib study` process group (runner and kernel) while the second notebook runs:
    the rerun reuses the first, executes only the second, and ends complete with nothing half-written."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import fslib
    from fslib.study.plan import load_plan

    _, runs = toy_study
    nbdir = tmp_path / "notebooks"
    write_notebook(
        nbdir / "01_second.ipynb",
        """
        profile = "smoke"
        out_dir = "../runs/interactive"
        seed = 0
        sleep = 0.0
        """,
        "import time\ntime.sleep(sleep)",
    )
    script = (
        "from pathlib import Path\n"
        "from fslib.study.plan import load_plan\n"
        "from fslib.study.runner import run_study\n"
        f"plan = load_plan(Path({str(tmp_path / 'study.yml')!r}), Path({str(nbdir)!r}))\n"
        f"run_study('smoke', plan=plan, runs_root=Path({str(runs)!r}), progress=False, sets=['01_second:sleep=300'],"
        " log=lambda line: print(line, flush=True))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(fslib.__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        for line in proc.stdout:  # the first notebook finished and the second started
            if "01_second: executing" in line:
                break
        time.sleep(2)  # inside the second notebook's kernel
        assert proc.poll() is None, "the run ended before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    manifest = json.loads((runs / "smoke" / "manifest.json").read_text())
    assert manifest["status"] == "in progress" and manifest["missing"] == ["01_second"]
    plan = load_plan(tmp_path / "study.yml", nbdir)
    manifest, logs = run(plan, runs)
    assert executed(logs) == ["01_second"]
    assert manifest["status"] == "complete" and manifest["missing"] == []
    assert not list((runs / "smoke").rglob(".*.tmp"))
