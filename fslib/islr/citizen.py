"""ASL Citizen (isolated signs): split CSVs and the source study's 100-gloss subset.

On disk: ``ASL_Citizen/videos/*.mp4`` and ``ASL_Citizen/splits/{train,val,test}.csv`` with header
``Participant ID,Video file,Gloss,ASL-LEX Code``. Some glosses contain '/' or commas inside quotes, so the
files are read with a CSV parser, never split on commas by hand.

The source study's subset: the ``n`` most frequent glosses of the training split, ties broken
alphabetically, skipping a gloss that is a variant of one already chosen (the same gloss up to a trailing
number, e.g. ``NEAR2`` after ``NEAR``); it reports 1,800 / 365 / 1,286 train / val / test clips for n = 100.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

COLUMNS = {"Participant ID": "participant", "Video file": "video", "Gloss": "gloss", "ASL-LEX Code": "asl_lex"}
SPLITS = ("train", "val", "test")


def read_split(root: str | os.PathLike, split: str) -> pd.DataFrame:
    """One split's CSV as a table: participant, video, gloss, asl_lex, path (the video's full path).
    Errors name the file: a missing split, a missing column, an empty gloss or video name."""
    if split not in SPLITS:
        raise ValueError(f"ASL Citizen split {split!r}: choose one of {', '.join(SPLITS)}")
    path = Path(root) / "splits" / f"{split}.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: ASL Citizen keeps its splits in <root>/splits/{{train,val,test}}.csv"
        )
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: columns {missing} missing; expected header {','.join(COLUMNS)}")
    df = df.rename(columns=COLUMNS)[list(COLUMNS.values())]
    bad = df[(df["gloss"].str.strip() == "") | (df["video"].str.strip() == "")]
    if len(bad):
        raise ValueError(
            f"{path}: {len(bad)} row(s) without a gloss or video file, first at data row {bad.index[0] + 1}"
        )
    df["path"] = [str(Path(root) / "videos" / v) for v in df["video"]]
    return df


def subset_glosses(train: pd.DataFrame, n: int = 100, rule: str = "text") -> list[str]:
    """The source study's gloss subset from the training table (see the module docstring); ``rule`` "code":
    the authors' code's variant rule (:func:`fslib.islr.source.subset_glosses`)."""
    from .source import subset_glosses as choose

    return choose(train["gloss"].value_counts().to_dict(), n, rule)


def read_subset(root: str | os.PathLike, n: int = 100, rule: str = "text") -> dict[str, pd.DataFrame]:
    """Every split restricted to the ``n``-gloss subset chosen on the training split (``rule``: text or code)."""
    splits = {s: read_split(root, s) for s in SPLITS}
    keep = set(subset_glosses(splits["train"], n, rule))
    return {s: df[df["gloss"].isin(keep)].reset_index(drop=True) for s, df in splits.items()}
