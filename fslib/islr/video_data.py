"""Training clips for the video stream (:mod:`fslib.islr.video_models`): frames and keypoints of the same frames.

For each clip of a landmark corpus with its videos beside it (the synthetic corpus and :func:`fslib.islr.video.
write_citizen`, or your own): the frames the pose models read (every 2nd frame with a hand,
:func:`fslib.islr.source.frame_indices`), each as its grayscale frame (whole, or segmented around the hands and
face, :mod:`fslib.islr.segment`) at ``size`` x ``size`` followed by its per-frame normalised keypoints. The
frames part is cached per clip as uint8 (``cache_dir()/islr/frames/<key>/``, keyed by the video folder, the
settings and this code), so the four rows of page 14 decode each video once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..cache import atomic_path, cache_key
from ..paths import cache_dir
from . import landmarks as lm
from . import source as S
from .experiment import gather

CODE = ["fslib.islr.video_data", "fslib.islr.segment", "fslib.islr.source", "fslib.islr.landmarks"]
INPUTS = ("original", "segmented")


def clip_frames(video: Path, idx: np.ndarray, points: dict[str, np.ndarray], size: int, segmented: bool) -> np.ndarray:
    """The frames ``idx`` of ``video`` as the video stream reads them: ``(T, size, size)`` uint8 grayscale, segmented
    around the hands and face of ``points`` (``{type: (T, n, 3)}``) when ``segmented``."""
    from ..data.video import open_video
    from .segment import frames_input

    frames = np.stack(list(open_video(video).frames()))
    idx = idx[idx < len(frames)]
    landmarks = {k: v[idx] for k, v in points.items()} if segmented else None
    return frames_input(frames[idx], landmarks, size)


def video_path(videos: Path, sequence_id: str, sign: str) -> Path:
    """A clip's video: ``videos/<sequence_id>.mp4`` (ASL Citizen's names, as ``fslib islr-extract`` keeps them),
    else ``videos/<sequence_id>-<GLOSS>.mp4`` (:func:`fslib.islr.video.write_citizen`'s)."""
    plain = Path(videos) / "videos" / f"{sequence_id}.mp4"
    return plain if plain.exists() else Path(videos) / "videos" / f"{sequence_id}-{sign}.mp4"


def load_video_splits(
    root: str | Path,
    videos: str | Path,
    size: int = 32,
    frames_input: str = "segmented",
    streams: str = "video+pose",
    stride: int = 2,
    progress: bool = False,
):
    """``(splits, classes, report)`` as :func:`fslib.islr.experiment.load_splits`, each clip ``(T, size * size
    [+ 237])`` float32: pixels in [0, 1] (``frames_input`` "original" or "segmented"), then, for ``streams``
    "video+pose", the per-frame normalised keypoints; ``streams`` "pose" gives the keypoints alone (the same
    frames). A clip's video is found by :func:`video_path`; a clip whose video is missing or unreadable is
    skipped and named in the report."""
    if frames_input not in INPUTS:
        raise ValueError(f"frames_input {frames_input!r}: one of {', '.join(INPUTS)}")
    root, videos = Path(root), Path(videos)
    key = cache_key({"videos": str(videos.resolve()), "size": size, "input": frames_input, "stride": stride}, code=CODE)
    cache = cache_dir() / "islr" / "frames" / key

    def prepare(r) -> tuple[np.ndarray, dict[str, Any]]:
        raw = lm.read_parquet(root / r.path)
        points = lm.select_points(raw)
        idx = S.frame_indices(points, stride)
        keypoints = np.nan_to_num(S.normalize_clip(points[idx], "per_frame"), nan=0.0).reshape(len(idx), -1)
        parts = [keypoints]
        if streams != "pose":
            entry = cache / f"{r.sequence_id}.npy"
            if entry.exists():
                pix = np.load(entry)
            else:
                pix = clip_frames(
                    video_path(videos, r.sequence_id, r.sign), idx, raw, size, frames_input == "segmented"
                )
                with atomic_path(entry) as tmp:
                    with open(tmp, "wb") as fh:
                        np.save(fh, pix)
            parts = [pix.reshape(len(pix), -1).astype(np.float32) / 255.0]
            if streams == "video+pose":
                parts.append(keypoints[: len(pix)])
        clip = np.concatenate(parts, 1).astype(np.float32)
        return clip, {"kept": len(clip), "skipped": "" if len(clip) else "no hand in any frame"}

    return gather(root, prepare, f"video clips ({frames_input})", progress)
