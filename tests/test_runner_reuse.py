"""Fine-grained notebook reuse: a notebook's cache key covers the fslib files it runs (found statically by
fslib.study.deps) and the keys of the notebooks it reads (``reads:`` of study.yml), so an edit re-executes
the pages that use the edited code and the pages that read theirs, and no other."""

from __future__ import annotations

import json
import os
import textwrap

import pytest
import yaml
from conftest import write_notebook

from fslib.study import deps, load_plan, run_study
from fslib.study.runner import _why

ROOT = deps.PACKAGE_ROOT.parent


def names(files, root=None):
    return {deps.relative_name(f, root) for f in files}


# ------------------------------------------------------------------------------------------ the real study
def test_a_real_notebook_depends_on_what_it_imports_and_not_on_the_rest():
    got = names(deps.module_files(ROOT / "notebooks" / "11_islr_normalization.ipynb"))
    # imported by the notebook, by fslib.islr.experiment (relative imports), and the package __init__s
    assert {"fslib/islr/experiment.py", "fslib/islr/normalize.py", "fslib/islr/train.py", "fslib/results.py"} <= got
    assert {"fslib/__init__.py", "fslib/islr/__init__.py"} <= got
    assert "fslib/recognizer/model.py" not in got and "fslib/teachers/hamer.py" not in got
    assert "fslib/study/runner.py" not in got
    recognizer = names(deps.module_files(ROOT / "notebooks" / "04_recognizer.ipynb"))
    assert {"fslib/recognizer/model.py", "fslib/recognizer/train.py"} <= recognizer
    assert "fslib/islr/normalize.py" not in recognizer


def test_the_real_plan_declares_what_the_pages_read():
    plan = load_plan()
    assert plan.upstream("00_environment") == [] and plan.upstream("11_islr_normalization") == []
    assert plan.upstream("04_recognizer") == ["03_teachers"]  # its speed table reads 03's teacher_latency.csv
    # the findings page reads every table page (results.csv and the tables named in study.yml)
    assert set(plan.upstream("20_findings")) >= {
        "04_recognizer", "05_loss_ablation", "06_teacher_comparison", "07_embeddings",
        "10_islr_data", "11_islr_normalization", "12_islr_temporal", "13_islr_dropout_augmentation",
    }  # fmt: skip
    assert "03_teachers" in plan.upstream("20_findings")  # through 04


# ------------------------------------------------------------------------------------ a made-up package
def write_package(root, files):
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return root


FAKE = {
    "fakepkg/__init__.py": "",
    "fakepkg/a.py": """
        import os

        def late():
            from . import b  # a lazy relative import of a sibling module
            return b.value()
        """,
    "fakepkg/b.py": """
        from .sub.c import helper

        def value():
            return helper() + 1
        """,
    "fakepkg/sub/__init__.py": "",
    "fakepkg/sub/c.py": """
        from ..d import BASE  # two levels up

        def helper():
            import fakepkg.sub.e as e  # absolute, inside a function
            return BASE + e.ONE
        """,
    "fakepkg/sub/e.py": "ONE = 1\n",
    "fakepkg/d.py": "BASE = 40\n",
    "fakepkg/f.py": "F = 1\n",
    "fakepkg/g.py": "from .d import BASE\n\nG = BASE + 2\n",
    "fakepkg/unused.py": "import fakepkg.d\n",
}


@pytest.fixture
def fake_package(tmp_path):
    return write_package(tmp_path / "src", FAKE) / "fakepkg"


def test_relative_lazy_and_submodule_imports_are_followed(tmp_path, fake_package):
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "x = 1",
        "%matplotlib inline\n!echo hi\nimport json\nfrom fakepkg import a, f, NOT_A_MODULE",
        "if x:\n    %time y = 2\n    print(y)",
    )
    got = names(deps.module_files(nb, fake_package), fake_package)
    assert got == {
        "fakepkg/__init__.py",
        "fakepkg/a.py",
        "fakepkg/b.py",
        "fakepkg/sub/__init__.py",
        "fakepkg/sub/c.py",
        "fakepkg/sub/e.py",
        "fakepkg/d.py",
        "fakepkg/f.py",
    }
    # importing only a package counts its __init__.py; `from pkg.sub import e` the parents and the submodule
    nb2 = write_notebook(tmp_path / "nb2.ipynb", "x = 1", "import fakepkg", "from fakepkg.sub import e")
    assert names(deps.module_files(nb2, fake_package), fake_package) == {
        "fakepkg/__init__.py",
        "fakepkg/sub/__init__.py",
        "fakepkg/sub/e.py",
    }
    # the digest follows exactly these files
    before = deps.code_digest_for(nb2, fake_package)
    (fake_package / "unused.py").write_text("import fakepkg.d  # edited\n")
    assert deps.code_digest_for(nb2, fake_package) == before
    (fake_package / "sub" / "e.py").write_text("ONE = 2\n")
    assert deps.code_digest_for(nb2, fake_package) != before


def test_a_cell_that_is_not_python_makes_the_notebook_depend_on_the_whole_package(tmp_path, fake_package):
    nb = write_notebook(tmp_path / "nb.ipynb", "x = 1", "files = !ls", "import fakepkg.d")
    assert len(deps.module_files(nb, fake_package)) == len(FAKE)


# ------------------------------------------------------------------------------ the runner on 3 notebooks
def three_notebook_study(tmp_path, reads):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir(parents=True)
    params = 'profile = "smoke"\nout_dir = "."\nseed = 0'
    write_notebook(nbdir / "00_a.ipynb", params, "import fakepkg.a")
    write_notebook(nbdir / "01_b.ipynb", params, "from fakepkg import g\nprint(g.G)")
    write_notebook(nbdir / "02_c.ipynb", params, "print(seed)")
    plan_file = tmp_path / "study.yml"
    plan_file.write_text(
        yaml.safe_dump(
            {
                "notebooks": ["00_a", "01_b", "02_c"],
                "reads": reads,
                "profiles": {"smoke": {"description": "toy", "budget_minutes": 1, "params": {}}},
            }
        )
    )
    return load_plan(plan_file, nbdir)


def test_editing_a_module_re_executes_the_notebooks_using_it_and_their_readers_only(
    tmp_path, fake_package, monkeypatch
):
    monkeypatch.setattr(deps, "PACKAGE_ROOT", fake_package)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(fake_package.parent), os.environ.get("PYTHONPATH")]))
    )
    plan = three_notebook_study(tmp_path, {"02_c": ["01_b"]})
    runs = tmp_path / "runs"

    def run():
        logs: list[str] = []
        run_study("smoke", plan=plan, runs_root=runs, progress=False, log=logs.append)
        ran = [line.split(":")[0].split("] ")[1] for line in logs if ": executing" in line]
        return ran, logs

    assert run()[0] == ["00_a", "01_b", "02_c"]
    state = json.loads((runs / "smoke" / ".state" / "01_b.json").read_text())
    assert state["modules"] == ["fakepkg/__init__.py", "fakepkg/d.py", "fakepkg/g.py"]
    assert state["inputs"]["upstream"] == {} and set(state["inputs"]["code"]) == set(state["modules"])
    c_state = json.loads((runs / "smoke" / ".state" / "02_c.json").read_text())
    assert c_state["modules"] == [] and c_state["inputs"]["upstream"] == {"01_b": state["key"]}
    manifest = json.loads((runs / "smoke" / "manifest.json").read_text())
    assert "inputs" not in manifest["notebooks"][0]  # the cache internals stay in .state

    assert run()[0] == []
    (fake_package / "f.py").write_text("F = 2\n")  # imported by nobody
    assert run()[0] == []
    (fake_package / "sub" / "e.py").write_text("ONE = 3\n")  # in 00_a's chain of lazy imports only
    ran, logs = run()
    assert ran == ["00_a"]  # 02_c reads 01_b, not 00_a
    assert any("00_a: executing" in line and "code changed: fakepkg/sub/e.py" in line for line in logs)
    (fake_package / "g.py").write_text("from .d import BASE\n\nG = BASE + 3\n")  # imported by 01_b only
    ran, logs = run()
    assert ran == ["01_b", "02_c"]
    assert any("01_b: executing" in line and "code changed: fakepkg/g.py" in line for line in logs)
    assert any("02_c: executing" in line and "upstream 01_b re-executed" in line for line in logs)


def test_why_names_each_changed_input():
    old = {"notebook": "n", "params": {"seed": 0, "sizes": [1]}, "code": {"p/a.py": "1", "p/b.py": "2"},
           "packages": "v", "upstream": {"01_b": "k"}}  # fmt: skip
    state = {"key": "x", "inputs": old}
    same = json.loads(json.dumps(old))
    same["params"]["sizes"] = (1,)  # a tuple and its JSON list are the same value
    assert _why(state, same, True, False) == "cache key changed"
    assert _why(state, same, False, False) == "the executed copy is missing"
    assert _why(state, same, True, True) == "forced (--force)"
    assert _why({"key": "x"}, same, True, False) == "its cache record predates the recorded inputs"
    new = {"notebook": "m", "params": {"seed": 1, "sizes": [1]}, "code": {"p/a.py": "9", "p/c.py": "3"},
           "packages": "w", "upstream": {"01_b": "j", "00_a": None}}  # fmt: skip
    assert _why(state, new, True, False) == (
        "notebook changed; parameters changed: seed; code changed: p/a.py, p/b.py, p/c.py; packages changed; "
        "upstream 00_a has no cache record; upstream 01_b re-executed"
    )


# --------------------------------------------------------------------------------- study.yml validation
@pytest.mark.parametrize(
    "reads, message",
    [
        ({"09_nope": ["00_a"]}, "reads lists an unknown notebook '09_nope'"),
        ({"02_c": ["09_nope"]}, "reads of 02_c: unknown notebook '09_nope'"),
        ({"00_a": ["01_b"]}, "reads of 00_a: 01_b does not run before 00_a"),
        ({"01_b": ["01_b"]}, "reads of 01_b: 01_b does not run before 01_b"),
        ({"02_c": "01_b"}, "reads of 02_c: expected a list of notebooks"),
        (["02_c"], "reads must map a notebook"),
    ],
)
def test_bad_reads_are_refused_with_a_clear_message(tmp_path, reads, message):
    with pytest.raises(ValueError) as err:
        three_notebook_study(tmp_path, reads)
    assert message in str(err.value) and "study.yml" in str(err.value)


def test_reads_are_followed_transitively_and_default_to_nothing(tmp_path):
    plan = three_notebook_study(tmp_path, {"01_b": ["00_a"], "02_c": ["01_b"]})
    assert plan.upstream("02_c") == ["00_a", "01_b"] and plan.upstream("00_a") == []
    assert three_notebook_study(tmp_path / "x", None).upstream("02_c") == []
