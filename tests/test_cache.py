"""Content-addressed caches: keys follow configuration and code; writes are atomic."""

from __future__ import annotations

import dataclasses
import json
import sys

import numpy as np
import pytest

from fslib.cache import atomic_path, cache_key, code_digest, stable_json, write_json_atomic
from fslib.config import ConfigError, build_config


@dataclasses.dataclass(frozen=True)
class Cfg:
    size: int = 64
    name: str = "a"


def test_key_depends_on_configuration_only_through_its_values():
    assert cache_key(Cfg()) == cache_key(Cfg(64, "a")) == cache_key(Cfg(name="a", size=64))
    assert cache_key(Cfg(size=32)) != cache_key(Cfg())
    assert stable_json({"b": 1, "a": (1, 2)}) == stable_json({"a": [1, 2], "b": 1})


def test_key_changes_when_the_computing_code_changes(tmp_path, monkeypatch):
    mod = tmp_path / "stage_mod.py"
    mod.write_text("def f():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import stage_mod

    before = cache_key(Cfg(), code=[stage_mod])
    assert before == cache_key(Cfg(), code=["stage_mod"])
    mod.write_text("def f():\n    return 2\n")
    assert cache_key(Cfg(), code=[stage_mod]) != before
    assert code_digest(stage_mod) != ""
    sys.modules.pop("stage_mod")


def test_comments_docstrings_and_layout_do_not_change_the_code_key(tmp_path, monkeypatch):
    """Editing the documentation of a stage keeps its caches (re-making a 64 px crop store and re-training
    every row took 107 min after one docstring edit); a change to what the code does still makes a new key."""
    mod = tmp_path / "doc_mod.py"
    mod.write_text('"""Module."""\n\ndef f(x):\n    """Old."""\n    return x + 1\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    import doc_mod

    before = code_digest(doc_mod)
    mod.write_text(
        '"""Module, explained better."""\n\n\ndef f(x):  # a comment\n    """New words."""\n    return (x + 1)\n'
    )
    assert code_digest(doc_mod) == before
    mod.write_text('"""Module."""\n\ndef f(x):\n    """Old."""\n    return x + 2\n')
    assert code_digest(doc_mod) != before
    mod.write_text('"""Module."""\n\ndef f(x):\n    """Old."""\n    return "x + 1"\n')  # a string that is code
    assert code_digest(doc_mod) != before
    sys.modules.pop("doc_mod")


def test_atomic_path_leaves_nothing_on_failure_and_replaces_on_success(tmp_path):
    final = tmp_path / "entry.json"
    with pytest.raises(RuntimeError):
        with atomic_path(final) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert not final.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary left behind
    write_json_atomic(final, {"a": 1})
    write_json_atomic(final, {"a": 2})
    assert json.loads(final.read_text()) == {"a": 2}
    # directories too
    with atomic_path(tmp_path / "shard") as tmp:
        tmp.mkdir()
        (tmp / "x.npy").write_bytes(b"1")
    assert (tmp_path / "shard" / "x.npy").read_bytes() == b"1"


def test_build_config_rejects_unknown_keys_naming_them():
    assert build_config(Cfg, {"size": 8}) == Cfg(size=8)
    with pytest.raises(ConfigError, match="unknown key\\(s\\) colour; allowed: name, size"):
        build_config(Cfg, {"colour": 1})


def test_a_write_the_operating_system_refuses_halfway_leaves_the_old_entry_and_no_partial_one(tmp_path):
    """A real failed write, not a simulated exception: a child process whose file-size limit (RLIMIT_FSIZE, as a
    full disk would) stops numpy's write of a 4 MB array after 1 MB. The OSError reaches the caller, the entry
    written before is untouched, and no temporary is left beside it."""
    import subprocess
    import sys
    import textwrap

    final = tmp_path / "entry.npy"
    np.save(final, np.zeros(3))
    before = final.read_bytes()
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        import numpy as np
        from fslib.cache import atomic_path
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
        try:
            with atomic_path({str(final)!r}) as tmp:
                with open(tmp, "wb") as f:
                    np.save(f, np.ones(1 << 19))  # 4 MB
        except OSError as err:
            print("errno", err.errno)
            sys.exit(0)
        sys.exit(3)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("errno")
    assert final.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.npy"]
