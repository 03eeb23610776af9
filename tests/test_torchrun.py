"""``fslib train`` under torchrun with 2 processes on the CPU (gloo): both ranks train one model (their weights
agree after every epoch, which the report records), rank 0 alone evaluates, writes and prints the table, and
rank 1 prints one line."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]

gloo = torch.distributed.is_available() and torch.distributed.is_gloo_available()


@pytest.mark.slow
@pytest.mark.skipif(not gloo, reason="this torch build has no torch.distributed gloo backend")
def test_two_processes_train_one_model_and_rank0_alone_reports(tmp_path):
    out, cache, logs = tmp_path / "out", tmp_path / "cache", tmp_path / "logs"
    env = {
        **os.environ,
        "FSLIB_ROOT": str(ROOT),
        "FSLIB_CACHE": str(cache),
        "OMP_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "",  # gloo on the CPU even where a GPU is present
    }
    cmd = [
        *[sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"],
        *["--log-dir", str(logs), "--redirects", "3"],  # each rank's stdout and stderr in a file of its own
        *["-m", "fslib", "train", "--profile", "smoke", "--out-dir", str(out)],
        *["--set", "batch_size=1", "--set", "train_seeds=[0,1]"],
    ]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    stdout = {r: "".join(p.read_text() for p in logs.glob(f"**/attempt_*/{r}/stdout.log")) for r in (0, 1)}
    stderr = {r: "".join(p.read_text() for p in logs.glob(f"**/attempt_*/{r}/stderr.log")) for r in (0, 1)}
    assert proc.returncode == 0, f"{proc.stderr[-3000:]}\nrank 0:\n{stderr[0][-3000:]}\nrank 1:\n{stderr[1][-3000:]}"

    # rank 0 prints the table (one row per seed); rank 1 prints its one line and no table
    assert "results rows in" in stdout[0] and "run_id" in stdout[0], stdout[0]
    assert stdout[1].strip() == "rank 1 of 2: trained its share; rank 0 reports", stdout[1]

    reports = sorted((cache / "recognizer").glob("*/report.json"))
    assert len(reports) == 2, reports  # one run per seed
    for path in reports:
        report = json.loads(path.read_text())
        assert report["world_size"] == 2
        assert report["ranks_agree"] is True
        assert isinstance(report["best_dev_letter_accuracy"], float)
        assert math.isfinite(report["best_dev_letter_accuracy"])
        assert (path.parent / "model.pt").exists() and not (path.parent / "resume.pt").exists()
    assert sorted(json.loads(p.read_text())["config"]["seed"] for p in reports) == [0, 1]

    table = pd.read_csv(out / "tables" / "results.csv")
    trained = table[table["variant"] != "constant"]
    assert not table.duplicated(["run_id", "split", "metric"]).any()
    assert trained.groupby("seed")["run_id"].nunique().to_dict() == {0: 1, 1: 1}
    dev = trained[(trained["split"] == "dev") & (trained["metric"] == "letter_accuracy")]
    assert len(dev) == 2 and dev["value"].map(lambda v: math.isfinite(float(v))).all()
    assert sorted(os.listdir(out / "tables" / "configs")) == sorted(f"{r}.json" for r in table["run_id"].unique())
    # every write was atomic and finished: no temporary left anywhere
    assert not [p for p in tmp_path.rglob("*.tmp")]
