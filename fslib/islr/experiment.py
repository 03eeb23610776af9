"""From a GISLR-layout corpus folder to the prepared splits the models train on, with the report of what
was skipped (the data page's counts)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from . import corpus as C
from . import landmarks as lm
from .data import prepare_clip
from .train import Split


def load_splits(root: str | Path, strategy: str, stride: int = 2, progress: bool = False):
    """``(splits, classes, report)``: :class:`~fslib.islr.train.Split` per split of ``train.csv``'s ``split``
    column, the number of glosses, and a per-clip report (frames, kept frames, skipped and why). A clip is
    skipped, and counted, when its parquet cannot be read, when it has no hand in any frame, or when the
    face-anchored strategy finds no face point; its gloss must be in ``sign_to_prediction_index_map.json``
    (an unknown gloss is an error naming the clip)."""
    from ..progress import tqdm

    root = Path(root)
    df = C.read_index(root)
    if "split" not in df:
        raise ValueError(f"{root / 'train.csv'}: no 'split' column; add train/val/test per participant")
    index = json.loads((root / "sign_to_prediction_index_map.json").read_text())
    unknown = sorted(set(df["sign"]) - set(index))
    if unknown:
        raise ValueError(f"{root / 'train.csv'}: gloss(es) {unknown[:5]} not in sign_to_prediction_index_map.json")
    splits = {s: Split([], []) for s in ("train", "val", "test")}
    rows = []
    for r in tqdm(df.itertuples(), total=len(df), desc=f"preparing clips ({strategy})", disable=not progress):
        row = {"sequence_id": r.sequence_id, "split": r.split, "sign": r.sign, "skipped": ""}
        try:
            points = lm.select_points(lm.read_parquet(root / r.path))
            clip, rep = prepare_clip(points, strategy, stride)
            row.update(frames=rep.frames, kept=rep.kept)
            if not rep.kept:
                row["skipped"] = "no hand in any frame"
        except (OSError, ValueError) as err:
            row["skipped"] = f"{type(err).__name__}: {err}"
        rows.append(row)
        if not row["skipped"]:
            splits.setdefault(r.split, Split([], []))
            splits[r.split].clips.append(clip)
            splits[r.split].labels.append(index[r.sign])
    return splits, len(index), pd.DataFrame(rows)
