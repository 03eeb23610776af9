"""Page 14: the isolated-sign source's proposed system (segmented video + keypoints) against its parts.

The page's steps: the synthetic corpus of its parameters and its video (:mod:`fslib.islr.video`), or a landmark
folder and a video folder of your own; how MediaPipe Holistic sees the rendered video (:func:`realism`); a
filmstrip of the original and segmented frames the models read (:func:`frames_figure`); the four rows of
:data:`fslib.islr.tables.VIDEO_ROWS` trained at every seed on the shared loop (:func:`run_video_table`),
recorded in ``results.csv`` and checked against the source's claims.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import corpus as C
from . import tables as T
from .experiment import TableRun, corpus_config, record_run
from .train import make_config, train


def video_root(params: Mapping[str, Any], progress: bool = True) -> Path:
    """The videos of the page's corpus: ``islr_video_path`` if given (a folder with ``videos/``), else the
    synthetic corpus's rendering at ``islr_video_width`` (written or found in the cache)."""
    from .video import write_citizen

    if params.get("islr_video_path"):
        return Path(params["islr_video_path"])
    return write_citizen(corpus_config(params), width=params["islr_video_width"], progress=progress)


def realism(root: Path, videos: Path, params: Mapping[str, Any], clips: int = 6) -> pd.DataFrame:
    """Holistic's detection rate of each hand and the face, and its median distance from the generator's
    positions, on the first ``clips`` rendered clips of the synthetic corpus (one line per clip, then the
    mean); empty for videos of your own (no generator positions to compare with)."""
    from .video import holistic_rates

    if params.get("islr_video_path") or params.get("islr_corpus_path"):
        return pd.DataFrame()
    cfg = corpus_config(params)
    rows = []
    for job in C.clip_jobs(cfg)[: max(clips, 0)]:
        truth = C.render_clip(job.sign, job.signer, cfg, job.rng(), truth=True)
        rates = holistic_rates(videos / "videos" / f"{job.sequence_id}-{job.sign.gloss}.mp4", truth)
        rows.append({"clip": job.sequence_id, **rates})
    table = pd.DataFrame(rows)
    if len(table):
        table = pd.concat([table, table.mean(numeric_only=True).to_frame().T.assign(clip="mean")], ignore_index=True)
    return table.round(3)


def frames_figure(root: Path, videos: Path, size: int, clip: int = 0, frames: int = 6):
    """Original and segmented frames of one clip as the models read them (two rows)."""
    from .. import style
    from . import landmarks as lm
    from . import source as S
    from .video_data import clip_frames, video_path

    r = C.read_index(root).iloc[clip]
    raw = lm.read_parquet(root / r["path"])
    idx = S.frame_indices(lm.select_points(raw))
    path = video_path(videos, r["sequence_id"], r["sign"])
    rows = [clip_frames(path, idx, raw, size, seg) for seg in (False, True)]
    pick = np.linspace(0, len(rows[0]) - 1, frames).round().astype(int)
    fig, axes = style.subplots(2, frames, height=2 * style.PAGE_WIDTH / frames + 0.4, squeeze=False)
    for i, (name, imgs) in enumerate(zip(("original", "segmented"), rows)):
        for j, k in enumerate(pick):
            ax = axes[i, j]
            ax.imshow(imgs[k], cmap="gray", vmin=0, vmax=255)
            style.image_panel(ax)
            if j == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.suptitle(f"{r['sign']} ({r['participant_id']}): {size} x {size} px grayscale, every 2nd frame with a hand")
    return fig


def run_video_table(
    root: Path,
    videos: Path,
    seeds: Sequence[int],
    train_params: Mapping[str, Any],
    tables: str | Path,
    size: int = 32,
    progress: bool = True,
) -> TableRun:
    """Train the four rows of :data:`fslib.islr.tables.VIDEO_ROWS` at every seed (frames of ``size`` px), record
    them in ``tables/results.csv``, write the summary with the source's numbers to ``tables/islr_video.csv`` and
    check the source's claims against chance."""
    from .video_data import load_video_splits

    spec = T.TABLES["video"]
    tables = Path(tables)
    corpus = "synthetic" if (root / "signers.json").exists() else root.name
    prepared: dict[tuple[str, str], Any] = {}
    out = []
    for name, row in spec.rows.items():
        key = (row["streams"], row["frames_input"])
        if key not in prepared:
            prepared[key] = load_video_splits(
                root, videos, size, row["frames_input"], row["streams"], progress=progress
            )
        splits, classes, _ = prepared[key]
        for seed in seeds:
            cfg = make_config(
                {**train_params, "streams": row["streams"], "frame_size": size if row["streams"] != "pose" else 0},
                seed=seed,
            )
            res = train(cfg, splits, classes, progress=progress)
            out += record_run(res, name, corpus, seed, tables / "results.csv")
    results = pd.DataFrame(out)
    table = T.spec_table(results, spec)
    chance = T.chance_row(len(C.read_index(root)["sign"].unique()))
    table.to_csv(tables / spec.csv, index=False)
    return TableRun(spec, results, table, chance, len(seeds), T.ordering_verdicts(results, spec.claims, chance["top1"]))
