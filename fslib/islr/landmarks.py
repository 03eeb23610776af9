"""MediaPipe Holistic landmarks in the Kaggle isolated-sign (GISLR) layout, and the study's 79-point subset.

Layout: 543 landmarks per frame in the order face 0-467, left_hand 468-488, pose 489-521, right_hand
522-542 (:data:`TYPES`); coordinates x, y normalised to the image (0..1), z relative depth; NaN where
MediaPipe found nothing. On disk, one parquet per clip in long format with columns
``frame, row_id, type, landmark_index, x, y, z`` (``row_id`` = ``"{frame}-{type}-{landmark_index}"``).

The source study's input: both hands (21 + 21) and 37 face points: 18 of the mouth, 8 of the eyes, 6 of
the eyebrows and 5 stabilising points (nose tip, forehead, chin, both cheeks), 79 points x (x, y, z). The
paper does not list the indices; :data:`FACE_POINTS` is this project's reading of those groups (outer and
inner lip contour, eye corners and lids, brow arcs). The authors' public code keeps another set, 14 points in
common with this one (:data:`fslib.islr.source.FACE_POINTS_CODE`, the ``code`` source).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

TYPES: dict[str, int] = {"face": 468, "left_hand": 21, "pose": 33, "right_hand": 21}
FACE_POINTS: dict[str, tuple[int, ...]] = {
    "mouth": (61, 185, 40, 37, 0, 267, 270, 409, 291, 375, 321, 405, 17, 181, 91, 146, 13, 14),
    "eyes": (33, 133, 159, 145, 362, 263, 386, 374),
    "eyebrows": (70, 105, 107, 300, 334, 336),
    "stabilising": (1, 10, 152, 234, 454),
}
FACE_SUBSET: tuple[int, ...] = tuple(i for group in FACE_POINTS.values() for i in group)
NOSE_TIP = 1  # face-mesh index of the nose tip
# positions inside the 79-point array returned by select_points
N_POINTS = 21 + 21 + len(FACE_SUBSET)
LEFT_HAND = slice(0, 21)
RIGHT_HAND = slice(21, 42)
FACE = tuple(range(42, N_POINTS))
NOSE = 42 + FACE_SUBSET.index(NOSE_TIP)


def select_points(frames: Mapping[str, np.ndarray], face_points: tuple[int, ...] = FACE_SUBSET) -> np.ndarray:
    """``{type: (T, n_type, 3)}`` -> ``(T, 79, 3)`` float32: left hand, right hand, then the face points
    ``face_points`` (default :data:`FACE_POINTS` order: indices :data:`LEFT_HAND`, :data:`RIGHT_HAND`,
    :data:`FACE`, :data:`NOSE`; :mod:`fslib.islr.source` passes the authors' set)."""
    for t in ("left_hand", "right_hand", "face"):
        if t not in frames:
            raise ValueError(f"landmarks lack the {t!r} type; the 79-point input needs both hands and the face")
    return np.concatenate(
        [frames["left_hand"], frames["right_hand"], frames["face"][:, list(face_points)]], axis=1
    ).astype(np.float32)


def to_long(frames: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """``{type: (T, n_type, 3)}`` (every type of :data:`TYPES`, same T) -> the GISLR long table, frames
    numbered from 0, rows in :data:`TYPES` order within a frame."""
    missing = [t for t in TYPES if t not in frames]
    if missing:
        raise ValueError(f"to_long: no array for {', '.join(missing)} (all of {', '.join(TYPES)} are needed)")
    n_frames = {len(frames[t]) for t in TYPES}
    if len(n_frames) != 1:
        raise ValueError(f"to_long: the landmark types have different frame counts {sorted(n_frames)}")
    T = n_frames.pop()
    parts = []
    for t, n in TYPES.items():
        a = np.asarray(frames[t], np.float32)
        if a.shape != (T, n, 3):
            raise ValueError(f"to_long: {t} has shape {a.shape}, expected ({T}, {n}, 3)")
        f, i = np.meshgrid(np.arange(T), np.arange(n), indexing="ij")
        parts.append(
            pd.DataFrame(
                {
                    "frame": f.ravel(),
                    "type": t,
                    "landmark_index": i.ravel(),
                    "x": a[..., 0].ravel(),
                    "y": a[..., 1].ravel(),
                    "z": a[..., 2].ravel(),
                }
            )
        )
    df = pd.concat(parts, ignore_index=True)
    order = {t: k for k, t in enumerate(TYPES)}
    df = df.sort_values(
        ["frame", "type", "landmark_index"], key=lambda s: s.map(order) if s.name == "type" else s, kind="stable"
    ).reset_index(drop=True)
    df.insert(1, "row_id", df["frame"].astype(str) + "-" + df["type"] + "-" + df["landmark_index"].astype(str))
    return df


def from_long(df: pd.DataFrame, source: str = "landmark table") -> dict[str, np.ndarray]:
    """The GISLR long table -> ``{type: (T, n_type, 3)}`` float32, frames in increasing order (renumbered
    from 0), NaN for rows that are absent. A table without one of the four types, or with an unknown type or
    an index out of range, is a ValueError naming ``source``."""
    need = {"frame", "type", "landmark_index", "x", "y", "z"}
    if not need <= set(df.columns):
        raise ValueError(
            f"{source}: columns {sorted(need - set(df.columns))} missing (GISLR long layout: "
            "frame, row_id, type, landmark_index, x, y, z)"
        )
    types = set(df["type"].unique())
    if types - set(TYPES):
        raise ValueError(
            f"{source}: unknown landmark type(s) {sorted(types - set(TYPES))}; expected {', '.join(TYPES)}"
        )
    if set(TYPES) - types:
        raise ValueError(
            f"{source}: no rows of landmark type(s) {sorted(set(TYPES) - types)}; a Holistic export "
            "writes every type in every frame (NaN when not found)"
        )
    frames = np.sort(df["frame"].unique())
    pos = np.searchsorted(frames, df["frame"].to_numpy())
    out = {}
    for t, n in TYPES.items():
        sub = df["type"].to_numpy() == t
        idx = df.loc[sub, "landmark_index"].to_numpy()
        if len(idx) and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"{source}: {t} landmark_index outside 0..{n - 1}")
        a = np.full((len(frames), n, 3), np.nan, np.float32)
        a[pos[sub], idx] = df.loc[sub, ["x", "y", "z"]].to_numpy(np.float32)
        out[t] = a
    return out


def write_parquet(path: str | os.PathLike, frames: Mapping[str, np.ndarray]) -> Path:
    """Write one clip as a GISLR parquet (atomically)."""
    from ..cache import atomic_path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        to_long(frames).to_parquet(tmp, index=False)
    return path


def read_parquet(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read one GISLR parquet into ``{type: (T, n_type, 3)}`` (see :func:`from_long`)."""
    return from_long(pd.read_parquet(path), source=str(path))
