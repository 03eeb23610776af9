"""fslib.gpu_probe: the quick CPU mode runs end to end, failures and an exhausted budget become rows, and the
probe imports without MediaPipe and OpenCV (the GPU machine has neither)."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fslib import gpu_probe

ROOT = Path(__file__).resolve().parents[1]


def read_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "gpu_probe.csv", newline="") as f:
        return list(csv.DictReader(f))


def values(rows, measurement, metric, variant=None, precision=None) -> list[float]:
    return [
        float(r["value"])
        for r in rows
        if r["measurement"] == measurement
        and r["metric"] == metric
        and (variant is None or r["variant"] == variant)
        and (precision is None or r["precision"] == precision)
    ]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("probe")
    rc = gpu_probe.main(["--out", str(out), "--quick", "--device", "cpu"])
    return rc, out


@pytest.mark.slow
def test_quick_cpu_run_measures_everything(quick_run):
    rc, out = quick_run
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(gpu_probe.FILES)
    rows = read_rows(out)
    assert tuple(rows[0]) == gpu_probe.CSV_FIELDS
    bad = [r for r in rows if r["metric"] in ("error", "skipped")]
    assert not bad, bad
    assert {r["measurement"] for r in rows} == set(gpu_probe.MEASUREMENTS) | {"check"}
    sizes = gpu_probe.QUICK
    for prec in gpu_probe.PRECISIONS:
        assert len(values(rows, "matmul", "tflops", precision=prec)) == 1
        for variant in ("clip_b1", "frame_b1_backbone", f"throughput_b{sizes.infer_clips}"):
            assert len(values(rows, "inference", "per_frame_ms", variant, prec)) == 1, (variant, prec)
        for b in sizes.hamer_batches:
            assert len(values(rows, "hamer", "per_crop_ms", f"b{b}", prec)) == 1, (b, prec)
        for regime in ("frame", "clip", "throughput"):
            (x,) = values(rows, "ratio", "slowdown_x", regime, prec)
            assert x > 1.0
    train = [r for r in rows if r["measurement"] == "train" and r["metric"] == "frames_per_s"]
    assert {(r["variant"], r["precision"]) for r in train} == {
        *(("single", p) for p in gpu_probe.PRECISIONS),
        ("cudnn_benchmark", "bf16"),
        ("ddp_1gpu", "fp16"),
        ("ddp_1gpu", "bf16"),
    }
    assert all(int(r["batch"]) == sizes.batch for r in train)
    # every timed quantity is a positive number (the autocast check is a 0/1 flag)
    timed = [r for r in rows if r["measurement"] not in ("environment", "check")]
    assert timed and all(math.isfinite(float(r["value"])) and float(r["value"]) > 0 for r in timed)
    doc = json.loads((out / "gpu_probe.json").read_text())
    assert doc["probe"]["quick"] is True and doc["probe"]["sizes"]["frames"] == sizes.frames
    entry = next(e for e in doc["measurements"] if e["measurement"] == "train" and e["precision"] == "fp16")
    assert entry["settings"]["grad_scaler"] is True and entry["settings"]["teacher_dim"] == 1024
    assert entry["settings"]["config"]["w_distill"] > 0 and entry["settings"]["config"]["w_kl"] > 0
    assert (out / "gpu_probe.txt").read_text().startswith("gpu_probe on cpu")


def test_a_failing_measurement_becomes_an_error_row(tmp_path, monkeypatch):
    def broken(p, precision):
        def fn(entry):
            raise RuntimeError(f"boom {precision}")

        return fn

    monkeypatch.setattr(gpu_probe, "measure_matmul", broken)
    rc = gpu_probe.main(["--out", str(tmp_path), "--quick", "--device", "cpu", "--only", "environment,matmul"])
    assert rc == 0
    rows = read_rows(tmp_path)
    errors = [r for r in rows if r["measurement"] == "matmul"]
    assert [r["metric"] for r in errors] == ["error"] * len(gpu_probe.PRECISIONS)
    assert {r["note"] for r in errors} == {f"RuntimeError: boom {p}" for p in gpu_probe.PRECISIONS}
    assert values(rows, "environment", "cpu_count")[0] > 0  # the others still ran
    doc = json.loads((tmp_path / "gpu_probe.json").read_text())
    assert all("boom" in e["traceback"] for e in doc["measurements"] if e["measurement"] == "matmul")


def test_an_exhausted_budget_skips_and_still_writes(tmp_path):
    rc = gpu_probe.main(
        ["--out", str(tmp_path), "--quick", "--device", "cpu", "--budget-s", "0", "--only", "matmul,ratio"]
    )
    assert rc == 0
    rows = read_rows(tmp_path)
    assert rows and {r["metric"] for r in rows} == {"skipped"}
    assert all("budget" in r["note"] for r in rows)


def test_the_watchdog_ends_a_hung_run_with_its_files(tmp_path):
    cmd = [sys.executable, "-m", "fslib.gpu_probe", "--out", str(tmp_path), "--quick", "--device", "cpu"]
    proc = subprocess.run([*cmd, "--only", "train", "--hard-limit-s", "0.5"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "hard limit" in proc.stdout
    rows = read_rows(tmp_path)
    assert [r["metric"] for r in rows if r["measurement"] == "probe" and r["variant"] == "watchdog"] == ["error"]


# not on the GPU machine (or not promised there): the probe must not need them
ABSENT = ("mediapipe", "cv2", "tqdm", "scipy", "matplotlib", "sklearn", "umap", "dask", "papermill", "nbformat")


@pytest.mark.slow
def test_runs_without_mediapipe_and_opencv(tmp_path):
    """As on the GPU machine: importing mediapipe, cv2 (and other study-only packages) fails; the student and
    HaMeR are still measured."""
    wrapper = textwrap.dedent(
        f"""
        import runpy, sys
        for name in {ABSENT!r}:
            sys.modules[name] = None  # any import of them raises ImportError
        sys.argv = ["fslib.gpu_probe", "--out", {str(tmp_path)!r}, "--quick", "--device", "cpu",
                    "--only", "inference,hamer,ratio"]
        try:
            runpy.run_module("fslib.gpu_probe", run_name="__main__")
        except SystemExit as exc:
            assert exc.code == 0, exc.code
        assert all(sys.modules[name] is None for name in {ABSENT!r})
        """
    )
    proc = subprocess.run([sys.executable, "-c", wrapper], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = read_rows(tmp_path)
    assert not [r for r in rows if r["metric"] in ("error", "skipped")], rows
    assert values(rows, "hamer", "per_crop_ms") and values(rows, "inference", "per_frame_ms")
    doc = json.loads((tmp_path / "gpu_probe.json").read_text())
    build = next(e for e in doc["measurements"] if e["measurement"] == "hamer" and e["variant"] == "build")
    assert "bypassed" in build["settings"]["import_path"] and "cv2" in build["settings"]["import_path"]
