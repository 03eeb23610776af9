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
