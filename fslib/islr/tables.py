"""The isolated-sign pages' tables: each table's rows, the source study's numbers beside ours (validation
accuracy, 100-gloss ASL Citizen subset), seeds summarised, the chance row, and the source's orderings
checked by the paired seed comparisons of :mod:`fslib.claims`. :mod:`fslib.islr.experiment` trains the rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..claims import Verdict, compare, summarise
from . import corpus as C

# The source study's tables (validation accuracy, %); None where it reports nothing.
SOURCE_NORMALIZATION = {"none": 50.29, "nose_anchored": 39.0, "face_anchored": 47.98, "per_frame": 66.18}
SOURCE_TEMPORAL = {
    "LSTM, raw": (45.66, 78.90),
    "BiLSTM, raw": (50.29, 79.19),
    "BiLSTM, normalized": ("61.27-66.18", "86.99-89.60"),
    "PoseTransformer, normalized": (60.40, 85.67),
}
SOURCE_DROPOUT = {0.0: 61.56, 0.1: 68.50, 0.2: 66.47, 0.3: 63.87}

NORMALIZATION_ROWS = {name: {"normalization": name} for name in SOURCE_NORMALIZATION}
TEMPORAL_ROWS = {
    "LSTM, raw": {"normalization": "none", "kind": "lstm"},
    "BiLSTM, raw": {"normalization": "none", "kind": "bilstm"},
    "BiLSTM, normalized": {"normalization": "per_frame", "kind": "bilstm"},
    "PoseTransformer, normalized": {"normalization": "per_frame", "kind": "transformer", "layers": 3},
}
DROPOUT_ROWS = {f"dropout {p:.0%}": {"normalization": "per_frame", "dropout": p} for p in SOURCE_DROPOUT}
AUGMENT_ROWS = {
    "no augmentation": {"normalization": "per_frame", "dropout": 0.1},
    "jitter + scale + frame dropout": {
        "normalization": "per_frame",
        "dropout": 0.1,
        "jitter": 0.01,
        "scale": (0.8, 1.2),
        "frame_dropout": 0.1,
    },
}


# The source study's orderings, checked on each page: (claim, better row, worse row).
NORMALIZATION_CLAIMS = [
    ("Per-frame normalization beats no normalization", "per_frame", "none"),
    ("Per-frame normalization beats the head-anchored one", "per_frame", "face_anchored"),
    ("The nose-anchored normalization is worse than none", "none", "nose_anchored"),
]
TEMPORAL_CLAIMS = [
    ("The BiLSTM beats the LSTM (raw coordinates)", "BiLSTM, raw", "LSTM, raw"),
    ("Normalization helps the BiLSTM", "BiLSTM, normalized", "BiLSTM, raw"),
    ("The BiLSTM beats the PoseTransformer (normalized)", "BiLSTM, normalized", "PoseTransformer, normalized"),
]
DROPOUT_CLAIMS = [
    ("10 % dropout beats none", "dropout 10%", "dropout 0%"),
    ("10 % dropout beats 30 %", "dropout 10%", "dropout 30%"),
]
AUGMENT_CLAIMS = [("Augmentation helps", "jitter + scale + frame dropout", "no augmentation")]

# The source's proposed system (page 14): per-frame ResNet18 on grayscale frames, a keypoint transformer, their
# fusion, a BiLSTM over time. The source trained the segmented video + keypoints model (validation 1.18 %, train
# 1.4 %, chance 1 %) and then the keypoints alone (its Table I: 66.18 %); the other two rows it did not report.
VIDEO_ROWS = {
    "video only (original frames)": {"streams": "video", "frames_input": "original"},
    "video only (segmented frames)": {"streams": "video", "frames_input": "segmented"},
    "pose only": {"streams": "pose", "frames_input": "segmented"},
    "segmented video + pose": {"streams": "video+pose", "frames_input": "segmented"},
}
SOURCE_VIDEO = {"segmented video + pose": 1.18, "pose only": 66.18}
VIDEO_CLAIMS = [
    ("Pose alone beats segmented video + pose", "pose only", "segmented video + pose"),
    (
        "Segmenting the frames helps the video-only model",
        "video only (segmented frames)",
        "video only (original frames)",
    ),
]


@dataclasses.dataclass(frozen=True)
class TableSpec:
    """One table of the isolated-sign pages: its rows (name -> configuration), the source study's orderings
    checked on it, the source's numbers per row in the column ``source_column`` (no column when ``source`` is
    empty), the row the source found best (``source_best``, "" when the page names none) and the CSV it is
    written to in the run's tables folder."""

    rows: Mapping[str, Mapping[str, Any]]
    claims: Sequence[tuple[str, str, str]]
    csv: str
    source: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    source_column: str = ""
    source_best: str = ""


# The tables of pages 11-13, by name (:func:`fslib.islr.experiment.run_table` trains one).
TABLES = {
    "normalization": TableSpec(
        NORMALIZATION_ROWS,
        NORMALIZATION_CLAIMS,
        "islr_normalization.csv",
        SOURCE_NORMALIZATION,
        "source val top-1 (%)",
        "per_frame",
    ),
    "temporal": TableSpec(
        TEMPORAL_ROWS,
        TEMPORAL_CLAIMS,
        "islr_temporal.csv",
        {r: " / ".join(map(str, v)) for r, v in SOURCE_TEMPORAL.items()},
        "source val top-1 / top-5 (%)",
    ),
    "dropout": TableSpec(
        DROPOUT_ROWS,
        DROPOUT_CLAIMS,
        "islr_dropout.csv",
        dict(zip(DROPOUT_ROWS, SOURCE_DROPOUT.values())),
        "source val top-1 (%)",
        "dropout 10%",
    ),
    "augmentation": TableSpec(AUGMENT_ROWS, AUGMENT_CLAIMS, "islr_augmentation.csv"),
    "video": TableSpec(VIDEO_ROWS, VIDEO_CLAIMS, "islr_video.csv", SOURCE_VIDEO, "source val top-1 (%)", "pose only"),
}


def variant(row: str, source: str = "text") -> str:
    """The name a row trained under ``source`` has in ``results.csv``: the row's own name under the text (as
    before the sources existed), ``"<row> [<source>]"`` under any other."""
    return row if source == "text" else f"{row} [{source}]"


def sources_in(results: pd.DataFrame) -> list[str]:
    """The sources whose rows ``results`` holds, ``text`` first (from the ``[source]`` suffix of the variants)."""
    found = results["variant"].astype(str).str.extract(r" \[([^\]]+)\]$")[0].dropna().unique()
    return ["text", *sorted(found)] if len(results) else []


def source_claims(claims: Sequence[tuple[str, str, str]], source: str) -> list[tuple[str, str, str]]:
    """``claims`` on the rows trained under ``source``; the claim names the source when it is not the text."""
    from .source import label

    suffix = "" if source == "text" else f" ({label(source)})"
    return [(c + suffix, variant(a, source), variant(b, source)) for c, a, b in claims]


def chance_row(classes: int) -> dict[str, float]:
    """The learned-nothing row: a constant guess is right 1 / classes of the time (the splits are balanced
    per gloss), top-5 5 / classes."""
    return {"top1": 1 / classes, "top5": min(5, classes) / classes}


def summary(
    results: pd.DataFrame,
    rows: Sequence[str],
    metrics: Sequence[str] = ("top1", "top5"),
    splits: Sequence[str] = ("val", "test"),
) -> pd.DataFrame:
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


def ordering_verdicts(
    results: pd.DataFrame,
    claims: Sequence[tuple[str, str, str]],
    chance: float,
    metric: str = "top1",
    split: str = "val",
    ceiling: float = CEILING,
) -> list[Verdict]:
    """For each ``(claim, better_row, worse_row)`` of the source study: replicates / does not / not testable,
    by the paired per-seed comparison on ``split`` (the source's tables are validation accuracy), against
    ``chance``. Two rows that both reach ``ceiling`` cannot be ordered: the task is too easy to tell them
    apart (not testable)."""
    return [
        compare(
            results,
            claim,
            (a, ""),
            (b, ""),
            (a, b),
            metric,
            split,
            baseline=chance,
            label=f"{split} {metric}",
            ceiling=ceiling,
        )
        for claim, a, b in claims
    ]


def best_row(table: pd.DataFrame, column: str = "val_top1_mean") -> str:
    """Name of the row with the highest mean (NaN rows ignored)."""
    t = table.dropna(subset=[column])
    return str(t.loc[t[column].idxmax(), "row"]) if len(t) else ""


def best_rows(table: pd.DataFrame, column: str = "val_top1_mean") -> dict[str, str]:
    """:func:`best_row` per source of a :func:`spec_table` (source label -> row)."""
    if "source" not in table:
        return {"": best_row(table, column)}
    return {src: best_row(part, column) for src, part in table.groupby("source", sort=False)}


def spec_table(results: pd.DataFrame, spec: TableSpec, sources: Sequence[str] = ("text",)) -> pd.DataFrame:
    """:func:`summary` of ``spec``'s rows under each of ``sources`` (a ``source`` column names it unless the text
    is the only one), with the
    source study's numbers beside them (``spec.source_column``, when ``spec`` has source numbers): the table a
    page writes to ``spec.csv``."""
    from .source import label

    parts = []
    for source in sources:
        part = summary(results, [variant(r, source) for r in spec.rows])
        part["row"] = list(spec.rows)
        if list(sources) != ["text"]:  # a table of the text alone has no source column
            part.insert(1, "source", label(source))
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    if spec.source:
        table[spec.source_column] = [spec.source.get(r, "") for r in table["row"]]  # "": not reported
    return table


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """The columns a page displays: ``table`` without the numeric ``*_mean`` columns."""
    return table[[c for c in table.columns if not c.endswith("_mean")]]


def chance_line(chance: dict[str, float], seeds: int) -> str:
    """The sentence under a table: the chance row's top-1 / top-5 and the seeds per row."""
    return f"chance: top-1 {chance['top1']:.3f}, top-5 {chance['top5']:.3f}; {seeds} seed(s) per row"


def best_line(table: pd.DataFrame, source_best: str) -> str:
    """ "Best row here: X (paper's text), Y (authors' code); in the source: Z." (:func:`best_rows` on the
    validation top-1 means)."""
    here = ", ".join(f"{row} ({src})" if src else row for src, row in best_rows(table).items())
    return f"Best row here: {here}; in the source: {source_best}."


def spread_summary(spread: pd.DataFrame) -> pd.DataFrame:
    """The data page's three numbers from :func:`spread_by_signer` (rounded to 3 decimals): the s.d. of the
    face's x position across signers, the ratio of the largest to the smallest shoulder width, and the mean
    ratio of the nose's to the chin's movement per frame."""
    summary = pd.Series(
        {
            "face x across signers (s.d.)": spread["face_x"].std(),
            "shoulder width, largest / smallest signer": spread["shoulder_width"].max()
            / spread["shoulder_width"].min(),
            "nose movement per frame / chin movement per frame": (spread["nose_jitter"] / spread["chin_jitter"]).mean(),
        }
    )
    return summary.round(3).to_frame("value")


def spread_by_signer(root: Path, max_clips: int = 200) -> pd.DataFrame:
    """Per signer, where the body sits in the frame and how large it is, before normalization: the mean
    position of the face points (x, y) and the mean shoulder-to-shoulder distance (image units), over up to
    ``max_clips`` clips of the corpus."""
    from . import landmarks as lm

    df = C.read_index(root)
    df = df.groupby("participant_id", group_keys=False).head(
        max(1, max_clips // max(df["participant_id"].nunique(), 1))
    )
    rows = []
    for r in df.itertuples():
        clip = lm.read_parquet(root / r.path)
        face = clip["face"][:, list(lm.FACE_SUBSET), :2]
        sh = np.linalg.norm(clip["pose"][:, 11, :2] - clip["pose"][:, 12, :2], axis=-1)
        rows.append(
            {
                "signer": r.participant_id,
                "split": getattr(r, "split", ""),
                "face_x": float(np.nanmean(face[..., 0])),
                "face_y": float(np.nanmean(face[..., 1])),
                "shoulder_width": float(np.nanmean(sh)),
                "nose_jitter": float(np.nanmean(np.abs(np.diff(clip["face"][:, lm.NOSE_TIP, 0])))),
                "chin_jitter": float(np.nanmean(np.abs(np.diff(clip["face"][:, 152, 0])))),
            }
        )
    return pd.DataFrame(rows).groupby(["signer", "split"], as_index=False).mean()


def difference_sentence(table: pd.DataFrame, claims: Sequence[tuple[str, str, str]] = NORMALIZATION_CLAIMS) -> str:
    """What a single-difference table (:func:`fslib.islr.experiment.single_differences`) shows, computed from it:
    for each switched-on difference whose verdict on one of ``claims`` differs from the text's, the claim and
    the two verdicts; which of them the full code also changes; or that none moves any verdict."""
    if table.empty:
        return "No single-difference run at this profile (islr_difference_seeds is empty)."
    base = table.iloc[0]
    moved = []
    for _, line in table.iloc[1:].iterrows():
        for claim, _, _ in claims:
            if line[claim] != base[claim]:
                moved.append(f"{line['source']}: '{claim}' {base[claim]} -> {line[claim]}")
    if not moved:
        return (
            "No single difference, and not the whole code either, changes a verdict of the normalization "
            f"orderings: they stand as under the paper's text ({', '.join(f'{c}: {base[c]}' for c, _, _ in claims)})."
        )
    return "Verdicts that change against the paper's text: " + "; ".join(moved) + "."
