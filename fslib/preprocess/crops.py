"""Square crop boxes around the signing hand, filling and smoothing them over time, and cropping.

Boxes are (x0, y0, x1, y1) in pixels of the original frame (origin at the top-left corner of the top-left
pixel). Internally a square box is (cx, cy, side).
"""

from __future__ import annotations

import numpy as np

# per-frame box sources, stored in the crop metadata
DETECTED, INTERPOLATED, BBOX, FALLBACK = 0, 1, 2, 3
SOURCE_NAMES = {DETECTED: "detected", INTERPOLATED: "interpolated", BBOX: "dataset BBox", FALLBACK: "fallback"}


def landmark_boxes(landmarks: np.ndarray) -> np.ndarray:
    """(T, 21, 2+) pixels -> (T, 4) tight boxes of the landmarks; NaN rows stay NaN."""
    xy = landmarks[..., :2]
    with np.errstate(invalid="ignore"):
        return np.concatenate([xy.min(-2), xy.max(-2)], axis=-1).astype(np.float32)


def to_square(boxes: np.ndarray, margin: float, min_side: float = 1.0) -> np.ndarray:
    """(..., 4) boxes -> (..., 3) squares (cx, cy, side) with ``side = max(w, h) * (1 + 2 * margin)``."""
    b = np.asarray(boxes, np.float64)
    cx, cy = (b[..., 0] + b[..., 2]) / 2, (b[..., 1] + b[..., 3]) / 2
    side = np.maximum(np.maximum(b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]) * (1 + 2 * margin), min_side)
    return np.stack([cx, cy, side], -1)


def square_to_box(sq: np.ndarray) -> np.ndarray:
    """(..., 3) (cx, cy, side) -> (..., 4) x0, y0, x1, y1."""
    h = sq[..., 2] / 2
    return np.stack([sq[..., 0] - h, sq[..., 1] - h, sq[..., 0] + h, sq[..., 1] + h], -1).astype(np.float32)


def fill_squares(
    squares: np.ndarray, detected: np.ndarray, bbox_squares: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Fill frames without a detection.

    squares: (T, 3) (cx, cy, side), valid where ``detected``; bbox_squares: (T, 3) from the dataset's boxes,
    NaN where none. A frame without a detection takes its BBox square if any, else the linear interpolation
    of the nearest anchored frames before and after (held constant beyond the first / last anchor).
    Returns ``(filled (T, 3), source (T,) int8)``; with no anchor at all, the squares stay NaN and the
    source is FALLBACK (the caller decides the fallback box).
    """
    T = len(squares)
    out = np.full((T, 3), np.nan)
    source = np.full(T, FALLBACK, np.int8)
    out[detected] = squares[detected]
    source[detected] = DETECTED
    if bbox_squares is not None:
        use = ~detected & ~np.isnan(bbox_squares).any(-1)
        out[use] = bbox_squares[use]
        source[use] = BBOX
    anchored = ~np.isnan(out).any(-1)
    if not anchored.any():
        return out, source
    t = np.arange(T)
    idx = np.flatnonzero(anchored)
    for j in range(3):
        out[:, j] = np.interp(t, idx, out[idx, j])
    source[~anchored] = INTERPOLATED
    return out, source


def smooth_squares(squares: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average of (T, 3) squares over ``window`` frames (edges use the frames available)."""
    if window <= 1 or len(squares) < 2:
        return squares.copy()
    k = np.ones(window)
    pad = window // 2
    out = np.empty_like(squares)
    ones = np.ones(len(squares))
    norm = np.convolve(np.pad(ones, pad), k, mode="valid")[: len(squares)]
    for j in range(squares.shape[1]):
        out[:, j] = np.convolve(np.pad(squares[:, j], pad), k, mode="valid")[: len(squares)] / norm
    return out


def crop_square(frame: np.ndarray, box: np.ndarray, size: int, mirror: bool = False) -> np.ndarray:
    """Crop box (4,) x0, y0, x1, y1 pixels from an RGB uint8 frame (H, W, 3), pad with black where it
    leaves the frame, resize to (size, size, 3) uint8 (area interpolation when shrinking), mirror left-right
    if asked."""
    import cv2

    H, W = frame.shape[:2]
    x0, y0 = int(np.floor(box[0])), int(np.floor(box[1]))
    side = max(int(round(box[2] - box[0])), 1)
    x1, y1 = x0 + side, y0 + side
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, W), min(y1, H)
    if cx1 <= cx0 or cy1 <= cy0:
        patch = np.zeros((side, side, 3), np.uint8)
    else:
        patch = frame[cy0:cy1, cx0:cx1]
        if (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1):
            patch = cv2.copyMakeBorder(patch, cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1, cv2.BORDER_CONSTANT, value=0)
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    out = cv2.resize(patch, (size, size), interpolation=interp)
    if mirror:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)
