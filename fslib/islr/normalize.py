"""The four coordinate normalizations compared by the isolated-sign study, as pure functions.

Input everywhere: ``points`` ``(T, P, 3)`` float landmark coordinates of one clip (x, y in image units,
z as MediaPipe gives it), NaN where a landmark is missing (a hand MediaPipe did not find). Output: a new
``(T, P, 3)`` float32 array, NaN where the input was NaN; missing points are never filled in here (the
model's input stage decides how to encode them).

- :func:`none`: the raw coordinates.
- :func:`nose_anchored`: every frame translated so that its nose landmark is the origin. The source calls
  the nose "the origin for the entire video sequence" and reports that "jitter in the nose detection
  caused the entire skeleton to shake": both hold when each frame is referred to its own (jittering) nose,
  which is the reading implemented here.
- :func:`face_anchored`: one translation for the whole clip, the centre of mass of the face points over all
  frames ("a single global anchor point for the duration of the video").
- :func:`per_frame`: per frame, subtract the centre of mass of the visible points, then divide by the
  largest absolute deviation of that frame, so every coordinate lies in [-1, 1].

Invariances (tested): :func:`per_frame` is invariant to any translation and positive scaling of each frame
separately; :func:`nose_anchored` to per-frame translations; :func:`face_anchored` to one translation of the
whole clip. None of the first three is scale invariant, as in the source.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STRATEGIES = ("none", "nose_anchored", "face_anchored", "per_frame")


def _check(points: np.ndarray) -> np.ndarray:
    p = np.asarray(points, np.float32)
    if p.ndim != 3 or p.shape[-1] not in (2, 3):
        raise ValueError(f"landmarks must have shape (T, P, 2 or 3), got {p.shape}")
    return p


def none(points: np.ndarray) -> np.ndarray:
    """The raw coordinates (a float32 copy)."""
    return _check(points).copy()


def nose_anchored(points: np.ndarray, nose: int) -> np.ndarray:
    """Each frame minus its own nose landmark (index ``nose`` of the P points). Frames whose nose is missing
    become all-NaN (nothing to anchor them to)."""
    p = _check(points)
    return p - p[:, nose : nose + 1, :]


def face_anchored(points: np.ndarray, face: Sequence[int]) -> np.ndarray:
    """The clip minus one point: the mean of the face landmarks ``face`` over all frames where they are
    present. A clip without any face point raises ValueError (there is nothing to anchor to); the caller
    decides whether to skip it and counts the skip."""
    p = _check(points)
    pts = p[:, list(face), :].reshape(-1, p.shape[-1])
    pts = pts[~np.isnan(pts).any(-1)]
    if not len(pts):
        raise ValueError("face_anchored: the clip has no face landmark in any frame; skip it or use another strategy")
    return p - pts.mean(0)


def per_frame(points: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Per frame: minus the centre of mass of its visible points, divided by its largest absolute deviation
    (over points and axes), so the frame fits in [-1, 1]. Frames with no visible point stay all-NaN; a frame
    whose visible points coincide becomes zeros."""
    p = _check(points)
    out = np.full_like(p, np.nan)
    seen = ~np.isnan(p).any(-1)  # (T, P)
    for t in np.nonzero(seen.any(1))[0]:
        q = p[t] - p[t, seen[t]].mean(0)
        scale = np.nanmax(np.abs(q))
        out[t] = q / scale if scale > eps else np.where(np.isnan(q), np.nan, 0.0)
    return out


def normalize(points: np.ndarray, strategy: str, nose: int | None = None, face: Sequence[int] = ()) -> np.ndarray:
    """Apply the named strategy (one of :data:`STRATEGIES`); ``nose`` and ``face`` are the indices the anchored
    strategies need."""
    if strategy == "none":
        return none(points)
    if strategy == "nose_anchored":
        if nose is None:
            raise ValueError("normalize: 'nose_anchored' needs the nose landmark's index (nose=...)")
        return nose_anchored(points, nose)
    if strategy == "face_anchored":
        return face_anchored(points, face)
    if strategy == "per_frame":
        return per_frame(points)
    raise ValueError(f"unknown normalization {strategy!r}; choose one of {', '.join(STRATEGIES)}")
