"""The GPU page: tables and the inference verdict rendered from a probe CSV (the committed one and hand-made)."""

from __future__ import annotations

import pandas as pd

from fslib import gpu_report
from fslib.paths import repo_root


def _ratio(values):
    return pd.DataFrame(
        {
            "precision": ["fp32"] * len(values),
            "variant": [f"r{i}" for i in range(len(values))],
            "student + HaMeR / student (x)": values,
        }
    )


def test_verdict_counts_the_settings_above_the_claimed_factor():
    assert "replicates on this GPU" in gpu_report.verdict(_ratio([3.5, 10.0]))
    mixed = gpu_report.verdict(_ratio([2.0, 10.0]))
    assert "in 1 of 2" in mixed and "holds only in some settings" in mixed and "(smallest: r0, fp32)" in mixed
    assert gpu_report.verdict(_ratio([])) == "The probe measured no ratio."


def test_tables_pivot_the_long_csv():
    rows = [
        ("matmul", "n8192", "bf16", "tflops", 700.0),
        ("matmul", "n8192", "fp32", "tflops", 50.0),
        ("ratio", "clip", "fp32", "slowdown_x", 4.0),
        ("ratio", "clip", "fp32", "student_ms_per_frame", 1.0),
        ("ratio", "clip", "fp32", "hamer_ms_per_frame", 3.0),
    ]
    d = pd.DataFrame(rows, columns=["measurement", "variant", "precision", "metric", "value"])
    t = gpu_report.tables(d)
    assert t["matmul"]["precision"].tolist() == ["fp32", "bf16"]  # fp32, tf32, bf16, fp16 order
    assert t["ratio"].iloc[0]["student + HaMeR / student (x)"] == 4.0
    assert t["student"].empty and t["train"].empty


def test_the_committed_probe_renders_every_table(tmp_path):
    text = gpu_report.render_all(repo_root() / "runs" / "gpu")
    for heading in ("Matrix-multiply rate", "RGB student at the `paper` size", "released-size HaMeR", "Per-frame cost"):
        assert heading in text
    assert "e+0" not in text  # numbers are written out, not in scientific notation
    assert gpu_report.render_all(tmp_path).startswith("No GPU measurement")
