"""Stages killed for real (SIGKILL of a separate process, at whatever point it has reached) and run again:
the rerun completes, and what it leaves equals what an uninterrupted run makes, entry by entry (issue 26:
"kill preprocessing or teacher extraction midway: the rerun completes and no cache entry is corrupt").

The in-process interruption tests (an exception at a chosen write) live beside each stage's own tests; these
check the case they cannot: a process that dies between any two instructions, with no ``finally`` run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import fslib

ROOT = str(Path(fslib.__file__).resolve().parents[1])
TINY = dict(signers=3, sequences=24, image_size=64, max_word_len=4, seed=5)


def _kill_once(script: str, ready, env: dict[str, str] | None = None, timeout: float = 300.0) -> None:
    """Run ``script`` in a fresh interpreter and SIGKILL it as soon as ``ready()`` holds. Fails if the
    process ends first (nothing would have been interrupted) or ``ready`` never holds."""
    full_env = {**os.environ, "PYTHONPATH": ROOT, **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    start = time.monotonic()
    try:
        while not ready():
            if proc.poll() is not None:
                pytest.fail(f"the process ended before it could be killed: {proc.stderr.read()[-2000:]}")
            if time.monotonic() - start > timeout:
                pytest.fail("the process never reached the point to kill it at")
            time.sleep(0.01)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -9


def _count(folder: Path, pattern: str) -> int:
    return len(list(folder.rglob(pattern))) if folder.is_dir() else 0


def test_corpus_generation_killed_midway_completes_on_rerun_and_equals_an_uninterrupted_corpus(tmp_path):
    from fslib.synth import corpus as synth

    root = tmp_path / "killed"
    partial = tmp_path / "killed.partial" / "groundtruth"
    script = f"""
        from fslib.synth import corpus as synth
        synth.generate(synth.make_config(**{TINY!r}), workers=1, progress=False, root={str(root)!r})
    """
    _kill_once(script, lambda: _count(partial, "*.npz") >= 2)
    assert not root.exists()  # a corpus appears under its name only when complete (it is made in .partial)
    resumed = synth.generate(synth.make_config(**TINY), workers=1, progress=False, root=root)
    whole = synth.generate(synth.make_config(**TINY), workers=1, progress=False, root=tmp_path / "whole")
    files = sorted(p.relative_to(whole) for p in whole.rglob("*") if p.is_file() and p.name != "config.json")
    assert len(files) > TINY["sequences"]
    assert files == sorted(
        p.relative_to(resumed) for p in resumed.rglob("*") if p.is_file() and p.name != "config.json"
    )
    for rel in files:
        assert (whole / rel).read_bytes() == (resumed / rel).read_bytes(), rel


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    from fslib.synth import corpus as synth

    return synth.generate(
        synth.make_config(**TINY), workers=1, progress=False, root=tmp_path_factory.mktemp("c") / "corpus"
    )


CROPS = dict(crop_size=32, complexity=0)  # PreprocessConfig settings


@pytest.fixture(scope="module")
def whole_crops(tiny_corpus, tmp_path_factory):
    """The crop store of an uninterrupted run."""
    from fslib.data import read_corpus
    from fslib.preprocess import PreprocessConfig, crops_for

    root = tmp_path_factory.mktemp("whole") / "crops"
    return crops_for(read_corpus(tiny_corpus), PreprocessConfig(**CROPS), workers=1, progress=False, root=root)


def test_hand_cropping_killed_midway_completes_on_rerun_with_every_entry_intact(tiny_corpus, whole_crops, tmp_path):
    from fslib.data import read_corpus
    from fslib.preprocess import PreprocessConfig, crops_for

    killed = tmp_path / "killed_crops"
    script = f"""
        from fslib.data import read_corpus
        from fslib.preprocess import PreprocessConfig, crops_for
        crops_for(read_corpus({str(tiny_corpus)!r}), PreprocessConfig(**{CROPS!r}), workers=1, progress=False, root={str(killed)!r})
    """
    _kill_once(script, lambda: _count(killed, "*.npz") >= 2)
    corpus = read_corpus(tiny_corpus)
    assert _count(killed, "*.npz") < len(corpus.sequences)
    resumed = crops_for(corpus, PreprocessConfig(**CROPS), workers=1, progress=False, root=killed)
    whole = whole_crops
    assert resumed.filenames == whole.filenames == [s.filename for s in corpus.sequences]
    for name in whole.filenames:
        assert np.array_equal(resumed.load(name), whole.load(name)), name
        a, b = resumed.meta(name), whole.meta(name)
        assert sorted(a) == sorted(b), name
        timing = {k for k in a["stats"] if k.startswith("t_")}  # seconds spent: differ between any two runs
        assert {k: v for k, v in a["stats"].items() if k not in timing} == {
            k: v for k, v in b["stats"].items() if k not in timing
        }, name
        arrays = [k for k in a if isinstance(a[k], np.ndarray)]
        assert "landmarks" in arrays
        assert [k for k in arrays if not np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f")] == [], name
        assert [k for k in a if k not in arrays and k != "stats" and a[k] != b[k]] == [], name


TEACHER_MODULE = '''
import time
import numpy as np
from fslib.teachers.extract import Teacher


class Slow(Teacher):
    """A teacher whose vectors are a fixed function of the crops, slowed so a kill lands midway."""

    name = "slow_test_teacher"

    def describe(self):
        return {"teacher": self.name}

    def extract(self, crops, right=None, truth=None):
        time.sleep(0.01 * len(crops))
        flat = crops.reshape(len(crops), -1).astype(np.float32)
        return {"vector": np.stack([flat.mean(1), flat.std(1), flat.max(1)], 1)}
'''


def test_teacher_extraction_killed_midway_completes_on_rerun_with_every_entry_intact(
    tiny_corpus, whole_crops, tmp_path, monkeypatch
):
    from fslib.teachers.features import teacher_features

    (tmp_path / "slow_teacher.py").write_text(TEACHER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import slow_teacher

    store = whole_crops
    killed_root, whole_root = tmp_path / "killed_features", tmp_path / "whole_features"
    script = f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import slow_teacher
        from fslib.data import read_corpus
        from fslib.preprocess import PreprocessConfig, crops_for
        from fslib.teachers.features import teacher_features
        store = crops_for(read_corpus({str(tiny_corpus)!r}), PreprocessConfig(**{CROPS!r}), workers=1, progress=False,
                          root={str(store.root)!r})
        teacher_features(store, slow_teacher.Slow(), progress=False, root={str(killed_root)!r})
    """
    _kill_once(script, lambda: _count(killed_root / "seqs", "*.npz") >= 2)
    assert _count(killed_root / "seqs", "*.npz") < len(store.filenames)
    resumed = teacher_features(store, slow_teacher.Slow(), progress=False, root=killed_root)
    whole = teacher_features(store, slow_teacher.Slow(), progress=False, root=whole_root)
    for name in store.filenames:
        assert np.array_equal(resumed.vectors(name), whole.vectors(name)), name
    sys.modules.pop("slow_teacher")


FIT_SCRIPT = """
import sys
import torch
from fslib.training import fit

def run(resume):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(256, 8, generator=g)
    y = (x[:, :2].sum(1) > 0).long()
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Dropout(0.2), torch.nn.ReLU(), torch.nn.Linear(32, 2))

    def batches(rnd):
        perm = torch.randperm(256, generator=rnd.run)
        for s in range(16):
            idx = perm[s * 16 : (s + 1) * 16]
            yield x[idx] + 0.1 * torch.randn(16, 8, generator=rnd.run), y[idx]

    def step(batch):
        import time
        time.sleep(0.01)  # slow enough that the kill lands inside an epoch
        return torch.nn.functional.cross_entropy(model(batch[0]), batch[1]), {}, 16

    fit(model, batches=batches, step=step, steps_per_epoch=16, epochs=12, lr=0.01, weight_decay=0.0, seed=3,
        resume=resume, progress=False)
    return model

if __name__ == "__main__":
    torch.save(run(sys.argv[1]).state_dict(), sys.argv[2])
"""


def test_training_killed_at_an_arbitrary_step_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path):
    """The shared loop (every recognizer, teacher pretraining and isolated-sign run) checkpoints after each
    epoch; a process killed inside a later epoch resumes from the last checkpoint to the same weights."""
    (tmp_path / "fit_job.py").write_text(FIT_SCRIPT)
    env = {**os.environ, "PYTHONPATH": ROOT}
    killed_resume = tmp_path / "killed.pt"
    script = f"""
        import runpy, sys
        sys.argv = ["fit_job", {str(killed_resume)!r}, {str(tmp_path / "never.pt")!r}]
        runpy.run_path({str(tmp_path / "fit_job.py")!r}, run_name="__main__")
    """
    seen = []

    def after_two_checkpoints():  # a checkpoint rewritten twice: the kill lands in epoch 3 or later
        if killed_resume.exists():
            stamp = killed_resume.stat().st_mtime_ns
            if not seen or seen[-1] != stamp:
                seen.append(stamp)
        return len(seen) >= 2

    _kill_once(script, after_two_checkpoints)
    assert not (tmp_path / "never.pt").exists()
    for resume, out in ((killed_resume, "resumed.pt"), (tmp_path / "whole.pt", "whole_weights.pt")):
        proc = subprocess.run(
            [sys.executable, str(tmp_path / "fit_job.py"), str(resume), str(tmp_path / out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
    resumed, whole = torch.load(tmp_path / "resumed.pt"), torch.load(tmp_path / "whole_weights.pt")
    assert all(torch.equal(resumed[k], whole[k]) for k in whole)
