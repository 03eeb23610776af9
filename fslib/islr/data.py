"""From landmark clips to model batches: frame selection, missing points, padding.

The source study's input pipeline: every 2nd frame, frames in which no hand was found dropped, the 79
selected points normalised per :mod:`fslib.islr.normalize`. Points that are still missing (one hand absent
in a frame, a face point lost) enter the model as 0 after normalisation, which for the centred strategies
is the frame's centre; the count of dropped frames and of clips left with no frame is reported, never
silently lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch

from . import landmarks as lm
from .source import Source, normalize_clip, select_frames


@dataclasses.dataclass(frozen=True)
class ClipReport:
    """What :func:`prepare_clip` did to one clip: frames in, after subsampling, kept (with a hand and, for an
    anchored normalization, its anchor), and ``unanchored``: frames with a hand dropped because the
    normalization had nothing to anchor them to (the nose-anchored strategy on a frame without the nose)."""

    frames: int
    subsampled: int
    kept: int
    unanchored: int = 0


def prepare_clip(
    points: np.ndarray, strategy: str, stride: int = 2, source: str | Source = "text"
) -> tuple[np.ndarray, ClipReport]:
    """``(T, 79, 3)`` selected points -> ``(T', 79 * 3)`` float32 model input and its :class:`ClipReport`.

    Every ``stride``-th frame and only frames with a hand, in the ``source``'s order
    (:func:`fslib.islr.source.select_frames`); normalised with ``strategy`` as the source does; frames the
    normalization could not anchor (all NaN after it) dropped and counted; remaining NaN set to 0. A clip left
    with no frame gives ``(0, 237)``: the caller skips it and counts it."""
    p = np.asarray(points, np.float32)
    if p.ndim != 3 or p.shape[1:] != (lm.N_POINTS, 3):
        raise ValueError(f"prepare_clip expects (T, {lm.N_POINTS}, 3) selected points, got {p.shape}")
    kept = select_frames(p, stride, source)
    subsampled = len(p[::stride])
    if not len(kept):
        return np.zeros((0, lm.N_POINTS * 3), np.float32), ClipReport(len(p), subsampled, 0)
    z = normalize_clip(kept, strategy, source)
    anchored = ~np.isnan(z).all(axis=(1, 2))
    z = z[anchored]
    report = ClipReport(len(p), subsampled, len(z), int((~anchored).sum()))
    return np.nan_to_num(z, nan=0.0).reshape(len(z), lm.N_POINTS * 3).astype(np.float32), report


def collate(clips: Sequence[np.ndarray], labels: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad ``(T_i, D)`` clips into ``(B, max T, D)``; returns (x, lengths, labels)."""
    if not len(clips):
        raise ValueError("collate: empty batch")
    t = max(len(c) for c in clips)
    x = torch.zeros(len(clips), t, clips[0].shape[1])
    for i, c in enumerate(clips):
        x[i, : len(c)] = torch.from_numpy(c)
    return x, torch.tensor([len(c) for c in clips]), torch.tensor(list(labels))
