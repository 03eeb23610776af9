"""Checking the crops against a synthetic corpus's ground truth (``<root>/groundtruth/<filename>.npz``
with ``hand_box`` (T, 4), ``other_box`` (T, 4) (NaN when not visible) in pixels and ``signing_side``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .crops import SOURCE_NAMES, landmark_boxes, square_to_box, to_square
from .hands import box_iou
from .store import CropStore


def load_groundtruth(store: CropStore, filename: str) -> dict | None:
    g = store.corpus.groundtruth_root
    if g is None or not (g / f"{filename}.npz").exists():
        return None
    with np.load(g / f"{filename}.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def frame_table(store: CropStore) -> pd.DataFrame:
    """One row per cached frame that has ground truth.

    iou_crop: IoU of our square crop box with the square the same rule (margin) makes from the
    ground-truth signing-hand box; coverage: fraction of the ground-truth hand box inside our crop box;
    iou_tight: IoU of the chosen hand's landmark box with the ground-truth box (detected frames only);
    on_signing: on detected frames where both hands are visible, whether the chosen hand overlaps the
    signing hand more than the other hand (NaN otherwise); source: detected / interpolated / dataset BBox /
    fallback.
    """
    rows = []
    margin = store.config.margin
    for fn in store.filenames:
        gt = load_groundtruth(store, fn)
        if gt is None:
            continue
        m = store.meta(fn)
        T = min(len(m["boxes"]), len(gt["hand_box"]))
        ours = m["boxes"][:T].astype(np.float64)
        hand = gt["hand_box"][:T].astype(np.float64)
        other = gt["other_box"][:T].astype(np.float64) if "other_box" in gt else np.full_like(hand, np.nan)
        ref = square_to_box(to_square(hand, margin))
        tight = landmark_boxes(m["landmarks"][:T])
        iou_sign, iou_other = box_iou(tight, hand), box_iou(tight, other)
        on_signing = np.where(
            np.isnan(iou_sign) | np.isnan(iou_other),
            np.nan,
            (np.nan_to_num(iou_sign) > np.nan_to_num(iou_other)).astype(float),
        )
        iw = np.clip(np.minimum(ours[:, 2], hand[:, 2]) - np.maximum(ours[:, 0], hand[:, 0]), 0, None)
        ih = np.clip(np.minimum(ours[:, 3], hand[:, 3]) - np.maximum(ours[:, 1], hand[:, 1]), 0, None)
        with np.errstate(invalid="ignore", divide="ignore"):
            coverage = iw * ih / ((hand[:, 2] - hand[:, 0]) * (hand[:, 3] - hand[:, 1]))
        for t in range(T):
            rows.append(
                dict(
                    filename=fn,
                    t=t,
                    source=SOURCE_NAMES[int(m["source"][t])],
                    iou_crop=float(box_iou(ours[t], ref[t])),
                    coverage=float(coverage[t]),
                    iou_tight=float(iou_sign[t]),
                    on_signing=float(on_signing[t]),
                )
            )
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


FRAME_COLUMNS = ["filename", "t", "source", "iou_crop", "coverage", "iou_tight", "on_signing"]
SEQUENCE_COLUMNS = [
    "filename",
    "partition",
    "n_frames",
    "detection_rate",
    "iou_crop",
    "coverage",
    "chosen_side",
    "true_side",
    "side_correct",
    "side_correct_per_sequence",
    "frames_on_signing_hand",
    "hand_correct",
]


def sequence_table(store: CropStore, frames: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per sequence with ground truth: detection rate, mean crop IoU, chosen side vs the true
    signing side, and whether the chosen hand is the signing hand (majority of its detected frames, by
    which ground-truth box its landmark box overlaps more)."""
    frames = frame_table(store) if frames is None else frames
    rows = []
    for fn, f in frames.groupby("filename", sort=False):
        gt = load_groundtruth(store, fn)
        m = store.meta(fn)
        det = f[f["source"] == "detected"]
        iou_s = det["iou_tight"].fillna(0.0)
        # the chosen hand is the signing one when its landmark box overlaps the signing hand's box
        hand_ok = float((iou_s > 0.3).mean()) if len(det) else np.nan
        rows.append(
            dict(
                filename=fn,
                partition=store.sequences[fn].partition,
                n_frames=len(f),
                detection_rate=float((f["source"] == "detected").mean()),
                iou_crop=float(f["iou_crop"].mean()),
                coverage=float(f["coverage"].mean()),
                chosen_side=m["side"],
                true_side=str(gt.get("signing_side", "")),
                side_correct=m["side"] == str(gt.get("signing_side", "")),
                side_correct_per_sequence=m["side_sequence"] == str(gt.get("signing_side", "")),
                frames_on_signing_hand=hand_ok,
                hand_correct=bool(hand_ok > 0.5) if len(det) else False,
            )
        )
    return pd.DataFrame(rows, columns=SEQUENCE_COLUMNS)


def iou_summary(frames: pd.DataFrame) -> pd.DataFrame:
    """Per box source (and all frames): frames, mean and median crop IoU, share of frames with IoU >= 0.5,
    mean coverage of the ground-truth hand box."""

    def agg(f: pd.DataFrame) -> dict:
        return dict(
            frames=len(f),
            share_of_frames=len(f) / max(len(frames), 1),
            iou_mean=f["iou_crop"].mean(),
            iou_median=f["iou_crop"].median(),
            iou_at_least_0_5=(f["iou_crop"] >= 0.5).mean(),
            coverage_mean=f["coverage"].mean(),
            tight_iou_mean=f["iou_tight"].mean(),
        )

    rows = {src: agg(f) for src, f in frames.groupby("source")}
    rows["all frames"] = agg(frames)
    return pd.DataFrame(rows).T.rename_axis("box source")


def hand_choice_summary(seqs: pd.DataFrame) -> pd.DataFrame:
    """Per partition (and overall): sequences, share whose chosen hand is the signing hand, share whose
    left/right side is right, mean detection rate."""

    def agg(f: pd.DataFrame) -> dict:
        return dict(
            sequences=len(f),
            hand_correct=f["hand_correct"].mean(),
            side_correct=f["side_correct"].mean(),
            side_correct_per_sequence=f["side_correct_per_sequence"].mean(),
            detection_rate=f["detection_rate"].mean(),
            crop_iou=f["iou_crop"].mean(),
        )

    rows = {part: agg(f) for part, f in seqs.groupby("partition")}
    rows["all"] = agg(seqs)
    return pd.DataFrame(rows).T.rename_axis("partition")


def hand_choice_verdict(choice: pd.DataFrame, seqs: pd.DataFrame) -> str:
    """Sentence of the crop page on :func:`hand_choice_summary` ``choice`` of the sequence table ``seqs``: the
    share of sequences whose chosen hand is the signing hand and whose left/right side is right."""
    if not len(seqs):
        return "no ground truth"
    return (
        f"chosen hand is the signing hand in {choice.loc['all', 'hand_correct']:.0%} of {len(seqs)} sequences; "
        f"its left/right side is right in {choice.loc['all', 'side_correct']:.0%}"
    )


# ------------------------------------------------------------------------- the corpus and crops of a page
def page_corpus(params: Mapping[str, Any]):
    """The corpus of the crop and teacher pages (02, 03) from their parameters (a notebook's globals): the
    real corpus at ``corpus_path``, or, when it is absent or empty, the cached synthetic corpus of
    ``alphabet``, ``corpus_signers``, ``corpus_sequences``, ``image_size`` and ``seed`` (notebook 01's)."""
    from ..data import read_corpus
    from ..synth import corpus as synth

    root = params.get("corpus_path") or synth.generate(
        synth.make_config(
            alphabet=params["alphabet"],
            signers=params["corpus_signers"],
            sequences=params["corpus_sequences"],
            image_size=params["image_size"],
            seed=params["seed"],
        )
    )
    return read_corpus(root, alphabet=params["alphabet"])


def page_crop_config(params: Mapping[str, Any]):
    """The :class:`~fslib.preprocess.PreprocessConfig` of a page's parameters: ``crop_size`` and, where the
    page declares them, ``margin``, ``mirror_left`` and ``min_detection`` (also the tracking threshold)."""
    from ..config import build_config
    from .config import PreprocessConfig

    overrides = {k: params[k] for k in ("crop_size", "margin", "mirror_left", "min_detection") if k in params}
    if "min_detection" in params:
        overrides["min_tracking"] = params["min_detection"]
    return build_config(PreprocessConfig, overrides)
