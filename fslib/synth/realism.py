"""Realism of the synthetic corpus, measured with a tool nobody here wrote: the real MediaPipe Hands.

MediaPipe runs in tracking mode (``static_image_mode=False``, up to two hands, as a preprocessing stage would)
over whole sequences of a corpus, reading the JPEG frames from disk. For every frame in which the signing
hand is visible:

* the signing hand counts as *detected* when one of MediaPipe's hands overlaps the ground-truth box of the
  projected keypoints with IoU >= ``match_iou`` (the best-overlapping hand is the match);
* its landmark error is the mean over the 21 landmarks of the pixel distance between MediaPipe's landmark
  and the renderer's projected keypoint, divided by the hand box size, the longer side of the ground-truth
  ``hand_box`` (the visible silhouette of the signing hand).

Targets (issue 3): detection rate >= 0.90 and median normalised error <= 0.10.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from ..cache import atomic_path, cache_key, file_digest
from ..config import build_config
from ..paths import cache_dir

DETECTION_TARGET = 0.90
ERROR_TARGET = 0.10


@dataclasses.dataclass(frozen=True)
class RealismConfig:
    """max_sequences: how many sequences of the corpus to check (evenly spread over the CSV order; 0 = all).
    max_frames: at most this many frames per sequence (0 = all). complexity, min_detection, min_tracking,
    max_hands: MediaPipe Hands settings. match_iou: box overlap for a MediaPipe hand to be the signing hand."""

    max_sequences: int = 40
    max_frames: int = 0
    complexity: int = 1
    min_detection: float = 0.5
    min_tracking: float = 0.5
    max_hands: int = 2
    match_iou: float = 0.3


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(x1 - x0, 0) * max(y1 - y0, 0)
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / ua) if ua > 0 else 0.0


def evaluate_sequence(frames: np.ndarray, gt: dict, cfg: RealismConfig) -> dict[str, np.ndarray]:
    """MediaPipe on one sequence. frames (T, H, W, 3) uint8 RGB; gt a sidecar dict (see
    :mod:`fslib.synth.corpus`). Returns per-frame arrays: visible, detected (bool), n_hands (int),
    error_px, error_norm (float, NaN when not detected), landmark_err (T, 21) pixels, mp_landmarks (T, 21, 2)."""
    from ..mediapipe_hands import MediaPipeHands

    T = len(frames)
    k2 = gt["keypoints2d"][:T]
    box = gt["hand_box"][:T]
    visible = np.isfinite(box).all(1)
    out = dict(
        visible=visible,
        detected=np.zeros(T, bool),
        n_hands=np.zeros(T, np.int32),
        error_px=np.full(T, np.nan),
        error_norm=np.full(T, np.nan),
        landmark_err=np.full((T, 21), np.nan),
        mp_landmarks=np.full((T, 21, 2), np.nan, np.float32),
    )
    with MediaPipeHands.from_config(cfg) as mph:
        for t, dets in enumerate(mph.detect_sequence(frames)):
            out["n_hands"][t] = len(dets)
            if not visible[t] or not dets:
                continue
            gbox = np.concatenate([k2[t].min(0), k2[t].max(0)])
            ious = [_iou(d.box, gbox) for d in dets]
            best = int(np.argmax(ious))
            if ious[best] < cfg.match_iou:
                continue
            lm = dets[best].landmarks[:, :2]
            err = np.linalg.norm(lm - k2[t], axis=1)
            size = float(max(box[t, 2] - box[t, 0], box[t, 3] - box[t, 1]))
            out["detected"][t] = True
            out["landmark_err"][t] = err
            out["mp_landmarks"][t] = lm
            out["error_px"][t] = err.mean()
            out["error_norm"][t] = err.mean() / max(size, 1.0)
    return out


def _select(df, n: int):
    if n <= 0 or n >= len(df):
        return df
    idx = np.unique(np.linspace(0, len(df) - 1, n).round().astype(int))
    return df.iloc[idx]


def run(root: str | os.PathLike, config: RealismConfig | dict | None = None, progress: bool = True):
    """The realism check on the corpus at ``root``: a per-frame pandas DataFrame with columns filename,
    frame (1-based), signer, partition, skin_tone, skin_tone_name, side, letter (held symbol, or
    'transition'), visible, detected, n_hands, error_px, error_norm, and err_0 ... err_20 (pixels).
    Cached under ``cache_dir()/realism`` by corpus, configuration and code."""
    import pandas as pd

    from fslib.progress import tqdm

    from . import corpus as C

    cfg = config if isinstance(config, RealismConfig) else build_config(RealismConfig, config or {})
    root = Path(root)
    # the corpus is identified by its contents' description (CSV and config), not by its folder name
    ident = file_digest(*sorted(root.glob("*.csv")), *sorted(root.glob("config.json")))
    key = cache_key({"corpus": ident, "config": cfg}, code=["fslib.synth.realism", "fslib.mediapipe_hands"])
    cached = cache_dir() / "realism" / f"{key}.csv"
    if cached.exists():
        return pd.read_csv(cached, keep_default_na=False, na_values=[""])
    seqs = _select(C.read_csv(root), cfg.max_sequences)
    signers = pd.read_csv(root / "signers.csv").set_index("signer")
    rows = []
    for _, r in tqdm(list(seqs.iterrows()), desc="MediaPipe realism check", unit="seq", disable=not progress):
        gt = C.load_groundtruth(root, r.filename)
        frames = C.load_frames(root, r.filename, cfg.max_frames or None)
        res = evaluate_sequence(frames, gt, cfg)
        label = gt["label"]
        for t in range(len(frames)):
            li = int(gt["letters"][t])
            row = dict(
                filename=r.filename,
                frame=t + 1,
                signer=r.signer,
                partition=r.partition,
                skin_tone=int(signers.loc[r.signer, "skin_tone"]),
                skin_tone_name=signers.loc[r.signer, "skin_tone_name"],
                side=gt["signing_side"],
                letter=(label[li] if li >= 0 else "transition"),
                visible=bool(res["visible"][t]),
                detected=bool(res["detected"][t]),
                n_hands=int(res["n_hands"][t]),
                error_px=float(res["error_px"][t]),
                error_norm=float(res["error_norm"][t]),
            )
            row.update({f"err_{i}": float(res["landmark_err"][t, i]) for i in range(21)})
            rows.append(row)
    df = pd.DataFrame(rows)
    df["letter"] = df["letter"].replace({" ": "space"})
    cached.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cached) as tmp:
        df.to_csv(tmp, index=False)
    return df


def summary(df) -> pd.DataFrame:
    """One-row-per-metric table: frames checked, detection rate, median / mean / 90th-percentile normalised
    error, and whether each target is met."""
    import pandas as pd

    vis = df[df.visible]
    det = vis[vis.detected]
    rate = float(vis.detected.mean()) if len(vis) else float("nan")
    med = float(det.error_norm.median()) if len(det) else float("nan")
    rows = [
        ("frames with the signing hand visible", len(vis), "", ""),
        ("frames with the hand hidden or out of view", int((~df.visible).sum()), "", ""),
        (
            "detection rate of the signing hand",
            round(rate, 4),
            f">= {DETECTION_TARGET}",
            "yes" if rate >= DETECTION_TARGET else "no",
        ),
        (
            "median landmark error / hand box size",
            round(med, 4),
            f"<= {ERROR_TARGET}",
            "yes" if med <= ERROR_TARGET else "no",
        ),
        ("mean landmark error / hand box size", round(float(det.error_norm.mean()), 4), "", ""),
        ("90th percentile error / hand box size", round(float(det.error_norm.quantile(0.9)), 4), "", ""),
        ("median landmark error (px)", round(float(det.error_px.median()), 2), "", ""),
    ]
    return pd.DataFrame(rows, columns=["metric", "value", "target", "met"])


def by(df, column: str) -> pd.DataFrame:
    """Detection rate and error distribution grouped by ``column`` (letter, signer, skin_tone_name, ...)."""
    import pandas as pd

    vis = df[df.visible]
    g = vis.groupby(column)
    out = pd.DataFrame(
        {
            "frames": g.size(),
            "detection_rate": g["detected"].mean().round(3),
            "median_error": g["error_norm"].median().round(3),
            "p90_error": g["error_norm"].quantile(0.9).round(3),
        }
    )
    return out


def per_landmark(df) -> pd.DataFrame:
    """Median pixel and normalised error of each of the 21 landmarks over detected frames."""
    import pandas as pd

    from .hand import KEYPOINT_NAMES

    det = df[df.visible & df.detected]
    px = det[[f"err_{i}" for i in range(21)]]
    size = det["error_px"] / det["error_norm"]
    norm = px.div(size, axis=0)
    return pd.DataFrame(
        {
            "keypoint": KEYPOINT_NAMES,
            "median_px": px.median().values.round(2),
            "median_norm": norm.median().values.round(3),
        }
    )


def worst_cases(df, k: int = 8) -> pd.DataFrame:
    """The ``k`` worst visible frames: misses first (by sequence spread), then the largest errors."""
    vis = df[df.visible].copy()
    vis["_rank"] = np.where(vis.detected, vis.error_norm.fillna(0), np.inf)
    vis = vis.sort_values("_rank", ascending=False, kind="mergesort")
    # at most two per sequence, so the list shows different situations
    vis = vis.groupby("filename", sort=False).head(2)
    cols = ["filename", "frame", "signer", "skin_tone_name", "side", "letter", "detected", "n_hands", "error_norm"]
    return vis.head(k)[cols].reset_index(drop=True)


def plot_worst_cases(root: str | os.PathLike, worst, config: RealismConfig | dict | None = None, margin: float = 0.6):
    """Figure: crops around the signing hand of the worst frames, ground-truth keypoints in green and
    MediaPipe's landmarks (rerun on that sequence) in red; at most three crops a row."""
    from .. import style
    from . import corpus as C
    from .hand import SKELETON

    cfg = config if isinstance(config, RealismConfig) else build_config(RealismConfig, config or {})
    n = len(worst)
    fig, axes = style.grid(max(n, 1), ncols=3, panel_height=style.PAGE_WIDTH / 3 + 0.35)
    cache: dict[str, tuple] = {}
    for ax in axes:
        ax.axis("off")
    for ax, (_, w) in zip(axes, worst.iterrows()):
        if w.filename not in cache:
            gt = C.load_groundtruth(root, w.filename)
            frames = C.load_frames(root, w.filename, cfg.max_frames or None)
            cache[w.filename] = (frames, gt, evaluate_sequence(frames, gt, cfg))
        frames, gt, res = cache[w.filename]
        t = int(w.frame) - 1
        k2 = gt["keypoints2d"][t]
        c = k2.mean(0)
        half = max(np.ptp(k2[:, 0]), np.ptp(k2[:, 1])) * (0.5 + margin)
        ax.imshow(frames[t])
        for a, b in SKELETON:
            ax.plot(k2[[a, b], 0], k2[[a, b], 1], "-", color="lime", lw=1)
        lm = res["mp_landmarks"][t]
        if np.isfinite(lm).all():
            for a, b in SKELETON:
                ax.plot(lm[[a, b], 0], lm[[a, b], 1], "-", color="red", lw=1)
        ax.set_xlim(c[0] - half, c[0] + half)
        ax.set_ylim(c[1] + half, c[1] - half)
        err = "missed" if not w.detected else f"err {w.error_norm:.2f}"
        ax.set_title(f"{w.signer} '{w.letter}' f{int(w.frame)}\n{w.skin_tone_name}, {err}", fontsize=9)
    return fig


def plot_distributions(df):
    """Figure (2 x 2, one cell empty): histogram of the normalised error, and detection rate / median error
    per skin tone."""
    from .. import style

    det = df[df.visible & df.detected]
    fig, axes = style.grid(3, ncols=2)
    axes[0].hist(det.error_norm.clip(upper=0.5), bins=40, color="tab:blue")
    axes[0].axvline(ERROR_TARGET, color="k", ls="--", lw=1, label=f"target {ERROR_TARGET}")
    axes[0].set_xlabel("landmark error / hand box size\n(fraction, clipped at 0.5)")
    axes[0].set_ylabel("frames (count)")
    axes[0].set_title("error of each detected frame")
    axes[0].legend()
    tone = by(df, "skin_tone_name")
    axes[1].bar(range(len(tone)), tone.detection_rate, color="tab:green")
    axes[1].axhline(DETECTION_TARGET, color="k", ls="--", lw=1)
    axes[1].set_ylim(0, 1.02)
    axes[1].set_ylabel("detection rate (fraction)")
    axes[1].set_title(f"hand found per skin tone (--- target {DETECTION_TARGET})")
    axes[2].bar(range(len(tone)), tone.median_error, color="tab:orange")
    axes[2].axhline(ERROR_TARGET, color="k", ls="--", lw=1)
    axes[2].set_ylabel("median error / hand box\nsize (fraction)")
    axes[2].set_title(f"error per skin tone (--- target {ERROR_TARGET})")
    for ax in axes[1:]:
        ax.set_xticks(range(len(tone)), tone.index, rotation=30, ha="right")
        ax.set_xlabel("skin tone class (synthetic)")
    return fig


def verdict(df, summary_table, image_size: int) -> str:
    """Markdown sentence of the corpus page on a :func:`run` table ``df`` and its :func:`summary`: on how many
    frames and sequences (at ``image_size`` px) MediaPipe was checked, its detection rate and median
    normalised error, and whether each target is met (or by how much it is missed)."""
    values = summary_table.set_index("metric")["value"]
    rate = float(values["detection rate of the signing hand"])
    err = float(values["median landmark error / hand box size"])
    rate_text = "met" if rate >= DETECTION_TARGET else f"missed by {DETECTION_TARGET - rate:.1%}"
    err_text = "met" if err <= ERROR_TARGET else f"missed by {err - ERROR_TARGET:.3f}"
    return (
        f"On {len(df)} frames of {df.filename.nunique()} sequences at {image_size} px, MediaPipe found the "
        f"signing hand in **{rate:.1%}** of the frames where it is visible (target "
        f"{DETECTION_TARGET * 100:.0f} %: {rate_text}), with a median normalised landmark error of "
        f"**{err:.3f}** (target {ERROR_TARGET:.2f}: {err_text})."
    )
