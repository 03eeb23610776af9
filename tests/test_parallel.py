"""Spawned workers and the ``__main__`` guard (:mod:`fslib.parallel`)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import fslib
from fslib import parallel

# the script imports this checkout's fslib, wherever the test runs from
ENV = {**os.environ, "PYTHONPATH": str(Path(fslib.__file__).resolve().parents[1])}

BODY = """
import math
from fslib.parallel import spawn_pool

def run():
    with spawn_pool(2) as pool:
        print("roots", list(pool.map(math.sqrt, [4.0, 9.0])))
"""


def _run(tmp_path, text):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(text))
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=ENV
    )


def test_a_script_without_the_main_guard_gets_an_error_naming_the_fix(tmp_path):
    proc = _run(tmp_path, BODY + "\nrun()\n")
    assert proc.returncode != 0
    # the traceback's last line (the interpreter may print a resource_tracker warning after it)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("fslib.parallel.WorkerStartError:")]
    assert len(errors) == 1, proc.stderr[-2000:]
    assert "script.py" in errors[0] and 'if __name__ == "__main__":' in errors[0]


def test_a_guarded_script_runs_its_workers(tmp_path):
    proc = _run(tmp_path, BODY + '\nif __name__ == "__main__":\n    run()\n')
    assert proc.returncode == 0, proc.stderr
    assert "roots [2.0, 3.0]" in proc.stdout


def test_only_an_unguarded_python_file_is_blamed(tmp_path, monkeypatch):
    main = sys.modules["__main__"]
    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    monkeypatch.setattr(main, "__file__", str(script), raising=False)
    assert parallel.unguarded_script() == str(script)
    script.write_text("if __name__ == '__main__':\n    print(1)\n")
    assert parallel.unguarded_script() is None
    monkeypatch.delattr(main, "__file__", raising=False)
    assert parallel.unguarded_script() is None
