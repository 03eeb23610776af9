"""Tables and computed sentences of the recognizer pages: seeds summarised, the learned-nothing row beside
them, and a verdict that follows the numbers."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

METRICS = ("letter_accuracy", "letter_accuracy_htk", "letter_accuracy_beam", "letter_accuracy_htk_beam")


def seed_table(test_metrics: Mapping[int, Mapping[str, float]], baseline: Mapping[str, float]) -> pd.DataFrame:
    """One row per seed, then mean and s.d. over seeds, then the constant-output row (test split)."""
    rows = [{"row": f"seed {s}", **{k: m.get(k, np.nan) for k in METRICS}} for s, m in test_metrics.items()]
    t = pd.DataFrame(rows).set_index("row")
    if len(t) > 1:
        t.loc["mean"] = t.mean()
        t.loc["s.d."] = t.iloc[: len(rows)].std(ddof=1)
    t.loc["constant output"] = {k: baseline.get(k, np.nan) for k in METRICS}
    return t


def learned_verdict(test_metrics: Mapping[int, Mapping[str, float]], baseline: Mapping[str, float],
                    goal: float | None = None) -> str:
    """Whether the model is above the constant output on the test signers, by how much, and whether it reaches
    ``goal`` (plain letter accuracy), as a sentence computed from the numbers."""
    accs = np.array([m["letter_accuracy"] for m in test_metrics.values()])
    base = baseline["letter_accuracy"]
    mean = accs.mean()
    n = len(accs)
    spread = f" (s.d. {accs.std(ddof=1):.3f} over {n} seeds)" if n > 1 else " (one seed)"
    if accs.min() > base + 0.05:
        head = (f"The recognizer learned: test letter accuracy {mean:.3f}{spread}, "
                f"{mean - base:+.3f} above the constant output ({base:.3f}) for every seed.")
    elif mean > base:
        head = (f"The recognizer is only marginally above the constant output: {mean:.3f}{spread} vs {base:.3f}; "
                "it has barely learned to read the hand at this budget.")
    else:
        head = (f"The recognizer did not learn: test letter accuracy {mean:.3f}{spread} is not above the "
                f"constant output ({base:.3f}).")
    if goal is not None:
        head += (f" The goal of {goal:.2f} is {'reached' if mean >= goal else 'not reached'} at this profile's "
                 "budget.")
    return head


def speed_table(student_fps: float, latency: pd.DataFrame) -> pd.DataFrame:
    """Per-frame cost of the RGB student against a pose stream that must run a hand model on every frame
    first. ``latency``: notebook 03's table (index network, column ``ms_per_crop_best``). Rows: the student
    alone, then hand model + student for each network; with frames/s and the slowdown against the student."""
    student_ms = 1000.0 / student_fps
    rows = [{"pipeline": "RGB student (this page)", "ms_per_frame": student_ms}]
    for net, row in latency.iterrows():
        rows.append({"pipeline": f"{net} + student", "ms_per_frame": float(row["ms_per_crop_best"]) + student_ms})
    t = pd.DataFrame(rows).set_index("pipeline")
    t["frames_per_s"] = 1000.0 / t["ms_per_frame"]
    t["times_slower_than_student"] = t["ms_per_frame"] / student_ms
    return t


def speed_verdict(speed: pd.DataFrame, video_fps: float = 30.0, claimed_factor: float = 3.0) -> str:
    """The source study's inference claims, read off :func:`speed_table`: the RGB student runs in real time
    (at least ``video_fps``), and more than ``claimed_factor`` times faster than a pose stream built on the
    released HaMeR (when that row was measured)."""
    student = speed.iloc[0]
    rt = student["frames_per_s"] >= video_fps
    out = (f"Real time: the RGB student decodes {student['frames_per_s']:.0f} frames/s on this CPU, "
           f"{'above' if rt else 'below'} {video_fps:.0f} frames/s video, so the claim "
           f"{'replicates' if rt else 'does not replicate'} here.")
    released = [i for i in speed.index if i.startswith("released")]
    if released:
        f = float(speed.loc[released[0], "times_slower_than_student"])
        out += (f" A pose stream that first runs the released HaMeR on each crop is {f:.0f}x slower per frame, so "
                f"'more than {claimed_factor:.0f}x faster than pose-stream methods' "
                f"{'replicates' if f > claimed_factor else 'does not replicate'} (measured on CPU, batch of one clip).")
    else:
        out += " The released HaMeR was not timed in this run (notebook 03's latency_crops = 0), so the speed-up over a pose stream is not measured."
    return out
