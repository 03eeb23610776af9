"""Preprocessing one sequence: decode, MediaPipe, signing-hand choice, boxes, crops."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np

from ..data.frames import load_frames, nearest_valid
from ..data.readers import ISSUE_ACTIONS, Issue, Sequence, read_bboxes
from ..mediapipe_hands import HandDetection, MediaPipeHands
from .config import PreprocessConfig
from .crops import (
    BBOX,
    DETECTED,
    FALLBACK,
    INTERPOLATED,
    crop_square,
    fill_squares,
    landmark_boxes,
    smooth_squares,
    square_to_box,
    to_square,
)
from .hands import choose_signing_hand

_local = threading.local()


def hands_for(cfg: PreprocessConfig) -> MediaPipeHands:
    """A MediaPipe Hands graph per thread (and process) and configuration, reused across sequences."""
    key = (cfg.complexity, cfg.min_detection, cfg.min_tracking, cfg.max_hands)
    cached = getattr(_local, "hands", None)
    if cached is None or cached[0] != key:
        if cached is not None:
            cached[1].__exit__(None, None, None)
        mp = MediaPipeHands.from_config(cfg).__enter__()
        _local.hands = cached = (key, mp)
    return cached[1]


def detect_frames(mp: MediaPipeHands, frames: list[np.ndarray | None]) -> list[list[HandDetection]]:
    """MediaPipe in tracking mode over one sequence's readable frames (None frames get no detection);
    the tracker is reset first so nothing carries over from the previous sequence."""
    mp.reset()
    return [mp.detect(f) if f is not None else [] for f in frames]


@dataclasses.dataclass
class SequenceCrops:
    """The result of one sequence.

    crops: (T, S, S, 3) uint8 RGB (None when the sequence was skipped); meta: per-frame arrays (see
    :mod:`fslib.preprocess`); stats: one row of the per-sequence report; issues: bad input found.
    """

    crops: np.ndarray | None
    meta: dict
    stats: dict
    issues: list[Issue]


def process_sequence(seq: Sequence, cfg: PreprocessConfig, mp: MediaPipeHands | None = None) -> SequenceCrops:
    """Crop the signing hand in every frame of ``seq`` (never raises for bad data: it is reported)."""
    t0 = time.perf_counter()
    frames, ok, issues = load_frames(seq)
    T = len(frames)
    stats = dict(
        filename=seq.filename,
        partition=seq.partition,
        signer=seq.signer,
        n_frames=T,
        frames_bad=int((~ok).sum()),
        detection_rate=0.0,
        any_hand_rate=0.0,
        n_detected=0,
        n_interpolated=0,
        n_bbox=0,
        n_fallback=0,
        side="none",
        n_tracklets=0,
        skipped=False,
        t_decode=time.perf_counter() - t0,
        t_mediapipe=0.0,
        t_crop=0.0,
    )
    if not ok.any():
        issues.append(
            Issue(
                "no_readable_frames",
                seq.filename,
                0,
                f"none of the {T} frames could be decoded",
                ISSUE_ACTIONS["no_readable_frames"],
            )
        )
        stats["skipped"] = True
        return SequenceCrops(None, {}, stats, issues)
    mp = mp or hands_for(cfg)
    t1 = time.perf_counter()
    dets = detect_frames(mp, frames)
    t2 = time.perf_counter()
    choice = choose_signing_hand(dets, gate=cfg.gate, mediapipe_mirrored=cfg.mediapipe_mirrored)
    squares = to_square(landmark_boxes(choice.landmarks), cfg.margin, cfg.min_side)
    bbox_sq = None
    if cfg.use_bbox and seq.bbox_dir is not None:
        bb = read_bboxes(seq, label=1)
        if not np.isnan(bb).all():
            bbox_sq = to_square(bb, cfg.margin, cfg.min_side)
    filled, source = fill_squares(squares, choice.detected, bbox_sq)
    near = nearest_valid(ok)
    shapes = [frames[near[t]].shape[:2] for t in range(T)]
    if np.isnan(filled).any():  # no anchor anywhere: the centred square of each frame
        for t in range(T):
            h, w = shapes[t]
            filled[t] = (w / 2, h / 2, min(h, w))
        issues.append(
            Issue(
                "no_hand",
                seq.filename,
                0,
                f"MediaPipe found no hand in any of {T} frames" + (" and there is no BBox" if bbox_sq is None else ""),
                ISSUE_ACTIONS["no_hand"],
            )
        )
    elif not choice.detected.any():
        issues.append(
            Issue(
                "no_hand",
                seq.filename,
                0,
                f"MediaPipe found no hand in any of {T} frames; used the dataset's BBox",
                ISSUE_ACTIONS["no_hand"],
            )
        )
    filled = smooth_squares(filled, cfg.smooth)
    boxes = square_to_box(filled)
    mirror = cfg.mirror_left and choice.side == "left"
    S = cfg.crop_size
    crops = np.empty((T, S, S, 3), np.uint8)
    for t in range(T):
        crops[t] = crop_square(frames[near[t]], boxes[t], S, mirror)
    t3 = time.perf_counter()
    n_hands = np.array([len(d) for d in dets], np.int8)
    stats.update(
        detection_rate=float(choice.detected.mean()),
        any_hand_rate=float((n_hands > 0).mean()),
        n_detected=int((source == DETECTED).sum()),
        n_interpolated=int((source == INTERPOLATED).sum()),
        n_bbox=int((source == BBOX).sum()),
        n_fallback=int((source == FALLBACK).sum()),
        side=choice.side,
        side_vote=choice.vote,
        n_tracklets=choice.n_tracklets,
        mirrored=bool(mirror),
        t_mediapipe=t2 - t1,
        t_crop=t3 - t2,
    )
    meta = dict(
        boxes=boxes,
        source=source,
        landmarks=choice.landmarks,
        frame_ok=ok,
        n_hands=n_hands,
        mirrored=np.bool_(mirror),
        side=np.str_(choice.side),
        side_vote=np.float32(choice.vote),
    )
    return SequenceCrops(crops, meta, stats, issues)
