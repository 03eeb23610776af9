"""The isolated-sign source's segmentation: every frame to grayscale, everything but the hands and the face zeroed.

The source study's proposed system segments each frame with the MediaPipe joints before a ResNet18 reads it.
Here a frame's mask is the union of one box per hand (its 21 points) and one for the face (its selected
points), each widened by ``margin`` times its own size on every side; a hand or face that is missing in a
frame adds no box (a frame where nothing was found is all zero). Frames are resized to ``size`` x ``size``
(the 4:3 frame padded to a square first, so shapes keep their proportions) and kept as uint8; the model
reads them as floats in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from . import landmarks as lm


def boxes(frame: Mapping[str, np.ndarray], margin: float = 0.25, face_points=lm.FACE_SUBSET) -> list[tuple]:
    """The frame's regions ``(x0, y0, x1, y1)`` in normalised image coordinates: each found hand and the face,
    widened by ``margin`` x their size on each side."""
    parts = [frame["left_hand"], frame["right_hand"], frame["face"][list(face_points)]]
    out = []
    for p in parts:
        xy = p[:, :2]
        xy = xy[~np.isnan(xy).any(axis=1)]
        if not len(xy):
            continue
        lo, hi = xy.min(0), xy.max(0)
        pad = margin * max(float((hi - lo).max()), 1e-3)
        out.append((lo[0] - pad, lo[1] - pad, hi[0] + pad, hi[1] + pad))
    return out


def mask(frame: Mapping[str, np.ndarray], height: int, width: int, margin: float = 0.25) -> np.ndarray:
    """``(height, width)`` bool: True inside the frame's hand and face regions (:func:`boxes`)."""
    m = np.zeros((height, width), bool)
    for x0, y0, x1, y1 in boxes(frame, margin):
        c0, c1 = int(np.clip(np.floor(x0 * width), 0, width)), int(np.clip(np.ceil(x1 * width), 0, width))
        r0, r1 = int(np.clip(np.floor(y0 * height), 0, height)), int(np.clip(np.ceil(y1 * height), 0, height))
        m[r0:r1, c0:c1] = True
    return m


def to_square(gray: np.ndarray, size: int) -> np.ndarray:
    """A ``(H, W)`` uint8 image padded with zeros to a square (centred) and resized to ``size`` x ``size``."""
    h, w = gray.shape
    side = max(h, w)
    canvas = np.zeros((side, side), np.uint8)
    canvas[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = gray
    return cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)


def frames_input(
    frames: np.ndarray,
    landmarks: Mapping[str, np.ndarray] | None,
    size: int = 32,
    margin: float = 0.25,
) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 RGB frames -> ``(T, size, size)`` uint8 grayscale, segmented when ``landmarks``
    (``{type: (T, n, 3)}``, the same frames) is given, the whole frame otherwise."""
    out = []
    for t, rgb in enumerate(frames):
        gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
        if landmarks is not None:
            gray = np.where(mask({k: v[t] for k, v in landmarks.items()}, *gray.shape, margin), gray, 0).astype(
                np.uint8
            )
        out.append(to_square(gray, size))
    return np.stack(out) if out else np.zeros((0, size, size), np.uint8)
