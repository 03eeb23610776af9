"""Decoding a sequence's JPEG frames, with corrupt and missing files detected and repaired."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .readers import ISSUE_ACTIONS, Issue, Sequence


def decode_jpeg(path: str | os.PathLike) -> tuple[np.ndarray | None, str]:
    """Decode one JPEG to RGB uint8 (H, W, 3).

    Returns ``(image, "")`` or ``(None, reason)`` with reason 'missing' (no file), or a description of why
    it is corrupt: not decodable, or truncated (no end-of-image marker; libjpeg would silently fill the rest
    grey, so it is treated as corrupt).
    """
    import cv2

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None, "missing"
    except OSError as err:
        return None, f"unreadable file ({err.strerror})"
    if len(data) < 4 or data[:2] != b"\xff\xd8":
        return None, "not a JPEG (no start-of-image marker)"
    if b"\xff\xd9" not in data[-64:]:
        return None, "truncated JPEG (no end-of-image marker)"
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return None, "JPEG could not be decoded"
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB), ""


def load_frames(seq: Sequence, report_missing: bool = False) -> tuple[list[np.ndarray | None], np.ndarray, list[Issue]]:
    """Decode frames ``1..seq.n_frames``.

    Returns ``(frames, ok, issues)``: ``frames[t]`` an RGB uint8 (H, W, 3) array, or None where the file
    is missing or corrupt; ``ok`` (T,) bool; ``issues`` the corrupt JPEGs, the missing files when
    ``report_missing`` (the reader already reports them when it checks the folders) and the first frame-size
    disagreement with the CSV. Use :func:`fill_missing` to replace the None frames by their nearest readable neighbour.
    """
    frames: list[np.ndarray | None] = []
    issues: list[Issue] = []
    size_noted = False
    for t, p in enumerate(seq.frame_paths()):
        img, why = decode_jpeg(p)
        if img is None:
            if why == "missing":
                if report_missing:
                    issues.append(
                        Issue(
                            "missing_frame", seq.filename, t + 1, f"{p.name} is missing", ISSUE_ACTIONS["missing_frame"]
                        )
                    )
            else:
                issues.append(
                    Issue("corrupt_jpeg", seq.filename, t + 1, f"{p.name}: {why}", ISSUE_ACTIONS["corrupt_jpeg"])
                )
        elif not size_noted and seq.width and seq.height and img.shape[:2] != (seq.height, seq.width):
            size_noted = True
            issues.append(
                Issue(
                    "size_mismatch",
                    seq.filename,
                    t + 1,
                    f"frame is {img.shape[1]}x{img.shape[0]}, CSV says {seq.width}x{seq.height}",
                    ISSUE_ACTIONS["size_mismatch"],
                )
            )
        frames.append(img)
    ok = np.array([f is not None for f in frames], bool)
    return frames, ok, issues


def nearest_valid(ok: np.ndarray) -> np.ndarray:
    """For each index t, the index of the nearest True in ``ok`` (ties: the earlier one). (T,) int."""
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        raise ValueError("no valid entry")
    t = np.arange(len(ok))
    pos = np.searchsorted(idx, t)
    lo = idx[np.clip(pos - 1, 0, idx.size - 1)]
    hi = idx[np.clip(pos, 0, idx.size - 1)]
    return np.where(np.abs(t - lo) <= np.abs(hi - t), lo, hi)
