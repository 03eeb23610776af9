"""The isolated-sign pages' tables: each table's rows, the source study's numbers beside ours (validation
accuracy, 100-gloss ASL Citizen subset), seeds summarised, the chance row, and the source's orderings
checked by the paired seed comparisons of :mod:`fslib.claims`. :mod:`fslib.islr.experiment` trains the rows.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..claims import Verdict, compare, summarise
from . import corpus as C

# The source study's tables (validation accuracy, %); None where it reports nothing.
SOURCE_NORMALIZATION = {"none": 50.29, "nose_anchored": 39.0, "face_anchored": 47.98, "per_frame": 66.18}
SOURCE_TEMPORAL = {"LSTM, raw": (45.66, 78.90), "BiLSTM, raw": (50.29, 79.19),
                   "BiLSTM, normalized": ("61.27-66.18", "86.99-89.60"), "PoseTransformer, normalized": (60.40, 85.67)}
SOURCE_DROPOUT = {0.0: 61.56, 0.1: 68.50, 0.2: 66.47, 0.3: 63.87}

NORMALIZATION_ROWS = {name: {"normalization": name} for name in SOURCE_NORMALIZATION}
TEMPORAL_ROWS = {"LSTM, raw": {"normalization": "none", "kind": "lstm"},
                 "BiLSTM, raw": {"normalization": "none", "kind": "bilstm"},
                 "BiLSTM, normalized": {"normalization": "per_frame", "kind": "bilstm"},
                 "PoseTransformer, normalized": {"normalization": "per_frame", "kind": "transformer", "layers": 3}}
DROPOUT_ROWS = {f"dropout {p:.0%}": {"normalization": "per_frame", "dropout": p} for p in SOURCE_DROPOUT}
AUGMENT_ROWS = {"no augmentation": {"normalization": "per_frame", "dropout": 0.1},
                "jitter + scale + frame dropout": {"normalization": "per_frame", "dropout": 0.1, "jitter": 0.01,
                                                   "scale": (0.8, 1.2), "frame_dropout": 0.1}}


# The source study's orderings, checked on each page: (claim, better row, worse row).
NORMALIZATION_CLAIMS = [("Per-frame normalization beats no normalization", "per_frame", "none"),
                        ("Per-frame normalization beats the head-anchored one", "per_frame", "face_anchored"),
                        ("The nose-anchored normalization is worse than none", "none", "nose_anchored")]
TEMPORAL_CLAIMS = [("The BiLSTM beats the LSTM (raw coordinates)", "BiLSTM, raw", "LSTM, raw"),
                   ("Normalization helps the BiLSTM", "BiLSTM, normalized", "BiLSTM, raw"),
                   ("The BiLSTM beats the PoseTransformer (normalized)", "BiLSTM, normalized", "PoseTransformer, normalized")]
DROPOUT_CLAIMS = [("10 % dropout beats none", "dropout 10%", "dropout 0%"),
                  ("10 % dropout beats 30 %", "dropout 10%", "dropout 30%")]
AUGMENT_CLAIMS = [("Augmentation helps", "jitter + scale + frame dropout", "no augmentation")]


def chance_row(classes: int) -> dict[str, float]:
    """The learned-nothing row: a constant guess is right 1 / classes of the time (the splits are balanced
    per gloss), top-5 5 / classes."""
    return {"top1": 1 / classes, "top5": min(5, classes) / classes}


def summary(results: pd.DataFrame, rows: Sequence[str], metrics: Sequence[str] = ("top1", "top5"),
            splits: Sequence[str] = ("val", "test")) -> pd.DataFrame:
    """Mean +- s.d. over seeds, one line per row, a column per split and metric (as text), plus numeric
    ``<split>_<metric>_mean`` columns."""
    lines = []
    for name in rows:
        line: dict[str, Any] = {"row": name, "seeds": 0}
        for split in splits:
            for m in metrics:
                s = summarise(results, [(name, "")], m, split).iloc[0]
                line[f"{split} {m}"] = s[m]
                line[f"{split}_{m}_mean"] = s["mean"]
                line["seeds"] = s["seeds"]
        lines.append(line)
    return pd.DataFrame(lines)


CEILING = 0.98


def ordering_verdicts(results: pd.DataFrame, claims: Sequence[tuple[str, str, str]], chance: float,
                      metric: str = "top1", split: str = "val", ceiling: float = CEILING) -> list[Verdict]:
    """For each ``(claim, better_row, worse_row)`` of the source study: replicates / does not / not testable,
    by the paired per-seed comparison on ``split`` (the source's tables are validation accuracy), against
    ``chance``. Two rows that both reach ``ceiling`` cannot be ordered: the task is too easy to tell them
    apart (not testable)."""
    return [compare(results, claim, (a, ""), (b, ""), (a, b), metric, split, baseline=chance,
                    label=f"{split} {metric}", ceiling=ceiling) for claim, a, b in claims]


def best_row(table: pd.DataFrame, column: str = "val_top1_mean") -> str:
    """Name of the row with the highest mean (NaN rows ignored)."""
    t = table.dropna(subset=[column])
    return str(t.loc[t[column].idxmax(), "row"]) if len(t) else ""


def spread_by_signer(root: Path, max_clips: int = 200) -> pd.DataFrame:
    """Per signer, where the body sits in the frame and how large it is, before normalization: the mean
    position of the face points (x, y) and the mean shoulder-to-shoulder distance (image units), over up to
    ``max_clips`` clips of the corpus."""
    from . import landmarks as lm

    df = C.read_index(root)
    df = df.groupby("participant_id", group_keys=False).head(max(1, max_clips // max(df["participant_id"].nunique(), 1)))
    rows = []
    for r in df.itertuples():
        clip = lm.read_parquet(root / r.path)
        face = clip["face"][:, list(lm.FACE_SUBSET), :2]
        sh = np.linalg.norm(clip["pose"][:, 11, :2] - clip["pose"][:, 12, :2], axis=-1)
        rows.append({"signer": r.participant_id, "split": getattr(r, "split", ""),
                     "face_x": float(np.nanmean(face[..., 0])), "face_y": float(np.nanmean(face[..., 1])),
                     "shoulder_width": float(np.nanmean(sh)),
                     "nose_jitter": float(np.nanmean(np.abs(np.diff(clip["face"][:, lm.NOSE_TIP, 0])))),
                     "chin_jitter": float(np.nanmean(np.abs(np.diff(clip["face"][:, 152, 0]))))})
    return pd.DataFrame(rows).groupby(["signer", "split"], as_index=False).mean()
