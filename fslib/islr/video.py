"""Synthetic isolated-sign video: each clip of the synthetic landmark corpus drawn as a signer, in ASL Citizen's layout.

The second source study proposed a video stream beside the keypoints (segmented frames through a ResNet18) and
reports that it learned nothing on ASL Citizen. ASL Citizen cannot be downloaded here, so this module renders
the synthetic isolated-sign corpus (:mod:`fslib.islr.corpus`) as video: for every clip, the generator's own
positions of that clip (:func:`fslib.islr.corpus.render_clip` with ``truth=True``: the same random stream as
the clip's landmark file, without MediaPipe's noise and with both hands always present) drive a flat-shaded
drawing of a signer: background, torso, arms, neck, head with eyes, brows, nose and mouth, and two hands whose
palms and finger bones follow the hand model's 21 joints (:mod:`fslib.synth.hand` forward kinematics). Video
and landmark file therefore agree up to the landmark noise. It is a drawing, not a photograph: the page that
uses it measures how often MediaPipe Holistic finds the drawn hands and face (:func:`holistic_rates`).

On disk (:func:`write_citizen`): ``videos/<sequence_id>-<GLOSS>.mp4`` and ``splits/{train,val,test}.csv``
(``Participant ID,Video file,Gloss,ASL-LEX Code``), so ``fslib islr-extract`` reads it as it reads ASL
Citizen; cached under a hash of the corpus configuration, the frame size and this code, resumable.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..cache import atomic_path, cache_key
from ..paths import cache_dir
from ..progress import tqdm
from . import corpus as C
from . import landmarks as lm

CODE = ["fslib.islr.video", *C.CODE]
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
PALM = (0, 1, 5, 9, 13, 17)
MOUTH = (61, 185, 40, 37, 0, 267, 270, 409, 291, 375, 321, 405, 17, 181, 91, 146)
BROWS = ((70, 105, 107), (300, 334, 336))
EYES = ((33, 133), (263, 362))


@dataclasses.dataclass(frozen=True)
class Look:
    """One signer's colours (RGB 0-255): skin, shirt, hair, background."""

    skin: tuple[int, int, int]
    shirt: tuple[int, int, int]
    hair: tuple[int, int, int]
    background: tuple[int, int, int]


def signer_look(name: str) -> Look:
    """A signer's colours, fixed by the signer's name (skin tones of :data:`fslib.synth.scene.SKIN_TONES`)."""
    from ..synth.scene import SKIN_TONES

    rng = np.random.default_rng([C.hash_name(name), 11])
    skin = np.asarray(SKIN_TONES[int(rng.integers(len(SKIN_TONES)))][1]) * 255
    shirt = rng.uniform(20, 200, 3)
    hair = rng.uniform(10, 90) * np.array([1.0, 0.8, 0.6])
    background = rng.uniform(120, 235, 3)

    def rgb(v):
        return tuple(int(x) for x in np.clip(v, 0, 255))

    return Look(rgb(skin), rgb(shirt), rgb(hair), rgb(background))


def _px(p: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.stack([p[..., 0] * width, p[..., 1] * height], -1)


def draw_frame(frame: Mapping[str, np.ndarray], look: Look, width: int = 320) -> np.ndarray:
    """One frame ``{type: (n, 3)}`` of Holistic-layout positions (normalised to a 4:3 image) drawn as a signer:
    ``(height, width, 3)`` uint8 RGB, height = 3/4 width. Missing (NaN) hands are not drawn."""
    height = width * 3 // 4
    s = 4  # drawn at 4x in fixed point (cv2 shift) for smooth edges
    img = np.empty((height, width, 3), np.uint8)
    img[:] = look.background
    ramp = np.linspace(-18, 18, height)[:, None, None]
    img = np.clip(img.astype(np.int16) + ramp.astype(np.int16), 0, 255).astype(np.uint8)
    pose, face = _px(frame["pose"], width, height), _px(frame["face"], width, height)

    def pt(p):
        return tuple(int(round(v * (1 << s))) for v in p)

    def line(a, b, colour, thick):
        cv2.line(img, pt(a), pt(b), colour, max(1, int(round(thick))), cv2.LINE_AA, s)

    def fixed(points):  # (n, 2) pixels -> cv2's fixed-point polygon
        return [np.round(np.asarray(points) * (1 << s)).astype(np.int32)]

    def poly(points, colour):
        cv2.fillPoly(img, fixed(points), colour, cv2.LINE_AA, s)

    def outline(points, colour, thick):
        cv2.polylines(img, fixed(points), True, colour, max(1, int(thick)), cv2.LINE_AA, s)

    shoulder_w = float(np.linalg.norm(pose[11] - pose[12]))
    dark = tuple(int(c * 0.7) for c in look.skin)
    # torso (shoulders widened a little, down to the hips), then neck
    out = (pose[11] - pose[12]) * 0.12
    poly([pose[11] + out, pose[12] - out, pose[24], pose[23]], look.shirt)
    chin, forehead = face[152], face[10]
    line((pose[11] + pose[12]) / 2, chin, look.skin, 0.3 * shoulder_w)
    # head: an ellipse through the cheeks, forehead and chin; hair over its top
    centre = (face[234] + face[454] + forehead + chin) / 4
    ax_x, ax_y = 0.62 * np.linalg.norm(face[454] - face[234]), 0.62 * np.linalg.norm(chin - forehead)
    angle = float(np.degrees(np.arctan2(*(chin - forehead)[::-1])) - 90)
    box = (pt(centre), (int(ax_x * (1 << s)), int(ax_y * (1 << s))))
    cv2.ellipse(img, box[0], box[1], angle, 180, 360, look.hair, -1, cv2.LINE_AA, s)
    cv2.ellipse(
        img, box[0], (box[1][0] * 95 // 100, box[1][1] * 92 // 100), angle, 0, 360, look.skin, -1, cv2.LINE_AA, s
    )
    head = 2 * ax_x
    for a, b in EYES:
        cv2.circle(
            img, pt((face[a] + face[b]) / 2), max(1, int(0.07 * head * (1 << s))), (40, 30, 30), -1, cv2.LINE_AA, s
        )
    for brow in BROWS:
        for a, b in zip(brow[:-1], brow[1:]):
            line(face[a], face[b], look.hair, 0.035 * head)
    line(face[1], (face[1] + (face[133] + face[362]) / 2) / 2, dark, 0.04 * head)
    outline(face[list(MOUTH)], (150, 60, 60), 0.03 * head)
    # arms and hands, the farther side first
    sides = sorted((("left", 11, 13, 15), ("right", 12, 14, 16)), key=lambda a: -frame["pose"][a[3], 2])
    for side, sh, el, wr in sides:
        arm = 0.28 * shoulder_w
        line(pose[sh], pose[el], look.shirt, arm)
        line(pose[el], pose[wr], look.skin, 0.8 * arm)
        hand = frame[f"{side}_hand"]
        if np.isnan(hand).any():
            continue
        h = _px(hand, width, height)
        size = float(np.linalg.norm(h[9] - h[0]))
        poly(h[list(PALM)], look.skin)
        for finger in FINGERS:
            for a, b in zip(finger[:-1], finger[1:]):
                line(h[a], h[b], dark, 0.34 * size)
                line(h[a], h[b], look.skin, 0.24 * size)
        outline(h[list(PALM)], dark, 1)
    return img


def render_video(clip: Mapping[str, np.ndarray], look: Look, width: int = 320) -> np.ndarray:
    """A clip ``{type: (T, n, 3)}`` -> ``(T, height, width, 3)`` uint8 frames (:func:`draw_frame`)."""
    T = len(clip["pose"])
    return np.stack([draw_frame({k: v[t] for k, v in clip.items()}, look, width) for t in range(T)])


def video_dir(cfg: C.CorpusConfig, width: int) -> Path:
    return cache_dir() / "islr" / "video" / cache_key({"corpus": dataclasses.asdict(cfg), "width": width}, code=CODE)


def write_citizen(cfg: C.CorpusConfig, width: int = 320, progress: bool = True, out: str | Path | None = None) -> Path:
    """Render every clip of the synthetic corpus ``cfg`` as an mp4 in ASL Citizen's layout (see the module
    docstring) under ``out`` (default: the cache); returns the folder. Resumable: a video already written is
    kept; each is written under a temporary name and renamed when complete."""
    from ..data.video import write_video

    root = Path(out) if out is not None else video_dir(cfg, width)
    (root / "videos").mkdir(parents=True, exist_ok=True)
    (root / "splits").mkdir(exist_ok=True)
    rows: dict[str, list[list[str]]] = {"train": [], "val": [], "test": []}
    for job in tqdm(C.clip_jobs(cfg), desc="synthetic sign videos", disable=not progress):
        name = f"{job.sequence_id}-{job.sign.gloss}.mp4"
        path = root / "videos" / name
        if not path.exists():
            truth = C.render_clip(job.sign, job.signer, cfg, job.rng(), truth=True)
            frames = render_video(truth, signer_look(job.signer.name), width)
            with atomic_path(path) as tmp:
                write_video(frames, tmp.with_suffix(".mp4"), cfg.fps)
                tmp.with_suffix(".mp4").rename(tmp)
        rows[job.split].append([job.signer.name, name, job.sign.gloss, ""])
    for split, lines in rows.items():
        with atomic_path(root / "splits" / f"{split}.csv") as tmp, open(tmp, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["Participant ID", "Video file", "Gloss", "ASL-LEX Code"])
            w.writerows(lines)
    return root


def holistic_rates(video: str | Path, truth: Mapping[str, np.ndarray], frame_step: int = 1) -> dict[str, Any]:
    """How MediaPipe Holistic sees one rendered clip: the share of frames in which it finds each hand and the
    face, and the median distance (in image widths) of the found hand and face points from the generator's
    positions ``truth`` (``{type: (T, n, 3)}``, :func:`fslib.islr.corpus.render_clip` with ``truth=True``)."""
    from .extract import extract_video

    found = extract_video(video, frame_step=frame_step)
    out: dict[str, Any] = {}
    for t in ("left_hand", "right_hand", "face"):
        ours = truth[t][::frame_step][: len(found[t])]
        theirs = found[t][: len(ours)]
        hit = ~np.isnan(theirs).all(axis=(1, 2))
        out[f"{t} found"] = float(hit.mean()) if len(hit) else float("nan")
        if t == "face":  # only the 37 points the generator places on the face (the rest lie on the head)
            idx = list(lm.FACE_SUBSET)
            err = np.linalg.norm(theirs[hit][:, idx, :2] - ours[hit][:, idx, :2], axis=-1)
        else:
            err = np.linalg.norm(theirs[hit][..., :2] - ours[hit][..., :2], axis=-1)
        out[f"{t} error"] = float(np.nanmedian(err)) if err.size else float("nan")
    return out
