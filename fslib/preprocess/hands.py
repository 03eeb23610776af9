"""Choosing the signing hand once per sequence from MediaPipe's per-frame detections.

MediaPipe's handedness label flips between frames, so it cannot say which hand is the signing one. The rule
used here (documented in the book):

1. Per frame, near-duplicate detections (box IoU > 0.5) keep only the more confident one.
2. Detections are linked over time into *tracklets* by position continuity: a detection continues the
   tracklet whose last centre is nearest, if within ``gate`` hand sizes (relaxed by 25% per skipped frame,
   up to ``max_gap`` frames); otherwise it starts a new tracklet. Hand size = the larger side of the
   21-landmark box, in pixels.
3. Each tracklet scores ``sum over consecutive detections of (articulation + 0.5 * motion) + 0.02 * frames``:
   articulation = mean change of the 21 landmarks relative to the wrist, in hand sizes; motion = change of
   the centre, in hand sizes. The signing hand both moves and changes shape for most of the sequence, so it
   accumulates the largest sum; a resting other hand, or a brief false detection, scores little.
4. The best tracklet is extended by stitching other tracklets that do not overlap it in time and continue it
   in position (the hand was lost and found again).
5. Left or right: the score-weighted majority of MediaPipe's handedness over the chosen hand's frames
   (swapped for non-mirrored video, see ``PreprocessConfig.mediapipe_mirrored``). The mean signed vote is
   kept (``HandChoice.vote``, + for the signer's right hand) so that a corpus-level pass can pool the votes
   of all sequences of one signer (:meth:`fslib.preprocess.store.CropStore.signer_sides`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..mediapipe_hands import HandDetection


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes (..., 4) x0, y0, x1, y1 (broadcast); NaN where either box is NaN."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area = lambda x: np.clip(x[..., 2] - x[..., 0], 0, None) * np.clip(x[..., 3] - x[..., 1], 0, None)  # noqa: E731
    union = area(a) + area(b) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out = inter / union
    return np.where(np.isnan(a).any(-1) | np.isnan(b).any(-1), np.nan, out)


@dataclasses.dataclass
class Tracklet:
    frames: list[int]
    dets: list[HandDetection]
    score: float = 0.0

    @property
    def last_centre(self) -> np.ndarray:
        return _centre(self.dets[-1])

    @property
    def last_size(self) -> float:
        return _size(self.dets[-1])


def _centre(d: HandDetection) -> np.ndarray:
    b = d.box
    return np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2])


def _size(d: HandDetection) -> float:
    b = d.box
    return float(max(b[2] - b[0], b[3] - b[1], 1.0))


def dedupe(dets: Sequence[HandDetection], iou: float = 0.5) -> list[HandDetection]:
    """Drop detections overlapping a more confident one by IoU > ``iou``."""
    keep: list[HandDetection] = []
    for d in sorted(dets, key=lambda d: -d.score):
        if all(box_iou(d.box, k.box) <= iou for k in keep):
            keep.append(d)
    return keep


class TrackletLinker:
    """Step 2 one frame at a time, for a stream: :meth:`push` links frame t's detections to the tracklets so
    far; :meth:`tracklets` returns them scored. Linking frame t looks only at frames up to t, so pushing a
    clip frame by frame gives exactly :func:`link_tracklets` of the whole clip, and a stream that asks for the
    signing hand every few frames does the linking once per frame instead of once per frame per question.
    Each tracklet's per-pair score terms are kept as they are linked, so scoring adds them up again in the
    same order (the same floats as :func:`tracklet_score`) without recomputing the landmarks' geometry."""

    def __init__(self, gate: float = 1.5, max_gap: int = 5):
        self.gate, self.max_gap = gate, max_gap
        self.tracks: list[Tracklet] = []
        self._terms: list[list[float]] = []  # per tracklet: articulation + 0.5 * motion of each linked pair
        self.frames = 0

    def push(self, ds: Sequence[HandDetection]) -> None:
        t = self.frames
        self.frames += 1
        ds = dedupe(ds)
        pairs = []
        for i, d in enumerate(ds):
            c = _centre(d)
            for k, tr in enumerate(self.tracks):
                gap = t - tr.frames[-1]
                if gap < 1 or gap > self.max_gap:
                    continue
                dist = float(np.linalg.norm(c - tr.last_centre)) / max(tr.last_size, _size(d))
                if dist <= self.gate * (1 + 0.25 * (gap - 1)):
                    pairs.append((dist, i, k))
        used_d, used_k = set(), set()
        for _dist, i, k in sorted(pairs):
            if i in used_d or k in used_k:
                continue
            used_d.add(i)
            used_k.add(k)
            self._terms[k].append(_pair_term(self.tracks[k].dets[-1], ds[i]))
            self.tracks[k].frames.append(t)
            self.tracks[k].dets.append(ds[i])
        for i, d in enumerate(ds):
            if i not in used_d:
                self.tracks.append(Tracklet([t], [d]))
                self._terms.append([])

    def tracklets(self) -> list[Tracklet]:
        """The tracklets so far, each with its :func:`tracklet_score` (shared objects: read, do not modify)."""
        for tr, terms in zip(self.tracks, self._terms):
            s = 0.02 * len(tr.frames)
            for x in terms:
                s += x
            tr.score = s
        return self.tracks


def link_tracklets(dets: Sequence[Sequence[HandDetection]], gate: float = 1.5, max_gap: int = 5) -> list[Tracklet]:
    """Link per-frame detections (a list of T lists) into tracklets by nearest centre within ``gate`` hand
    sizes (greedy by ascending distance, which is optimal for two hands in the common cases)."""
    linker = TrackletLinker(gate=gate, max_gap=max_gap)
    for ds in dets:
        linker.push(ds)
    return linker.tracklets()


def _shape(d: HandDetection) -> np.ndarray:
    xy = d.landmarks[:, :2].astype(np.float64)
    return (xy - xy[0]) / _size(d)


def tracklet_score(tr: Tracklet) -> float:
    """Articulation + 0.5 * motion summed over consecutive detections, plus 0.02 per frame (see module doc)."""
    s = 0.02 * len(tr.frames)
    for a, b in zip(tr.dets[:-1], tr.dets[1:]):
        s += _pair_term(a, b)
    return s


def _pair_term(a: HandDetection, b: HandDetection) -> float:
    """Articulation + 0.5 * motion between consecutive detections ``a`` -> ``b`` of one tracklet."""
    size = max(_size(a), _size(b))
    artic = float(np.linalg.norm(_shape(b) - _shape(a), axis=1).mean())
    motion = float(np.linalg.norm(_centre(b) - _centre(a))) / size
    return artic + 0.5 * motion


@dataclasses.dataclass
class HandChoice:
    """The chosen signing hand of one sequence.

    landmarks: (T, 21, 3) float32 frame pixels, NaN where the chosen hand is not detected.
    detected: (T,) bool. side: 'right', 'left' or 'none' (no hand at all). n_tracklets: how many tracklets
    the detections formed. scores: the tracklets' scores, best first. vote: mean over the chosen hand's
    frames of MediaPipe's handedness confidence, signed + for the signer's right hand, in [-1, 1].
    """

    landmarks: np.ndarray
    detected: np.ndarray
    side: str
    n_tracklets: int
    scores: list[float]
    vote: float = 0.0


def choose_signing_hand(
    dets: Sequence[Sequence[HandDetection]],
    gate: float = 1.5,
    max_gap: int = 5,
    mediapipe_mirrored: bool = False,
    tracks: Sequence[Tracklet] | None = None,
) -> HandChoice:
    """Apply the rule of the module docstring to T frames of detections. ``tracks``: the scored tracklets of
    these frames when a :class:`TrackletLinker` has already linked them (a stream); linked here otherwise."""
    T = len(dets)
    lms = np.full((T, 21, 3), np.nan, np.float32)
    detected = np.zeros(T, bool)
    if tracks is None:
        tracks = link_tracklets(dets, gate=gate, max_gap=max_gap)
    if not tracks:
        return HandChoice(lms, detected, "none", 0, [])
    order = sorted(range(len(tracks)), key=lambda k: -tracks[k].score)
    chain: dict[int, HandDetection] = dict(zip(tracks[order[0]].frames, tracks[order[0]].dets))
    for k in order[1:]:
        tr = tracks[k]
        if any(f in chain for f in tr.frames):
            continue
        times = np.array(sorted(chain))
        ok = True
        for t_edge, d_edge, before in ((tr.frames[0], tr.dets[0], True), (tr.frames[-1], tr.dets[-1], False)):
            cand = times[times < t_edge] if before else times[times > t_edge]
            if cand.size == 0:
                continue
            t_n = int(cand[-1] if before else cand[0])
            gap = abs(t_edge - t_n)
            d_n = chain[t_n]
            dist = float(np.linalg.norm(_centre(d_edge) - _centre(d_n))) / max(_size(d_edge), _size(d_n))
            if dist > gate * min(1 + 0.25 * (gap - 1), 4.0):
                ok = False
        if ok:
            chain.update(zip(tr.frames, tr.dets))
    vote = 0.0
    for t, d in chain.items():
        lms[t] = d.landmarks
        detected[t] = True
        vote += d.score if d.handedness == "Right" else -d.score
    vote = vote / max(len(chain), 1)  # + : MediaPipe says 'Right' (a right hand in mirrored input)
    vote = vote if mediapipe_mirrored else -vote  # + : the signer's right hand
    side = "right" if vote >= 0 else "left"
    return HandChoice(lms, detected, side, len(tracks), [tracks[k].score for k in order], float(vote))
