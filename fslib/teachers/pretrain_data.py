"""Synthetic pretraining crops for the hand-model teachers: general hands, not letters, not signing.

Each sample is one right hand (the corpus crops mirror left hands, as HaMeR does) in a random pose from
:func:`fslib.synth.hand.sample_random_pose` (fingers anywhere in their limits), of a random signer hand shape
and skin tone, with a forearm, over random indoor clutter,
under random light, blur and noise. The crop follows the corpus crop convention of
:mod:`fslib.preprocess`: a square around the 21-keypoint box with side ``max(w, h) * (1 + 2 margin)``
(jittered in scale and position, as a detector's box would be). Cropping a pinhole image is again a pinhole
image, so each crop is rendered directly through a camera whose intrinsics frame that square.

Global orientation: a fraction ``1 - facing_fraction`` of the samples is uniform over all of SO(3); the
rest shows the hand roughly towards the camera, as hands in photographs and videos mostly are (HaMeR's
training images are photographs, not uniform rotations): the neutral orientation (palm to the camera,
fingers up) tilted about a random axis in the image plane by a half-normal angle of scale
``facing_tilt_deg``, then rolled about the optical axis by a uniform angle. Every orientation therefore
occurs, with more samples where the fingers are visible.

Held-out validation samples use hand shapes and looks from a disjoint pool (unseen "signers").

Stored per split as chunks of ``.npz`` (written atomically, so generation resumes) with:
``images`` (N, S, S, 3) uint8 RGB; ``pose`` (N, 16, 3) axis-angle radians (MANO order, row 0 = global
orientation in the camera frame); ``keypoints2d`` (N, 21, 2) in crop units, (0, 0) the crop centre, +-0.5 the
crop edges; ``keypoints3d`` (N, 21, 3) metres, camera frame, relative to the wrist; ``shape`` (N, 23) the
:class:`~fslib.synth.hand.HandShape` vector (metres); ``signer`` (N,) int pool index.
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from fslib.progress import tqdm

from ..cache import atomic_path, cache_key
from ..paths import cache_dir

CODE = [
    "fslib.teachers.pretrain_data",
    "fslib.synth.hand",
    "fslib.synth.render",
    "fslib.synth.scene",
    "fslib.synth.primitives",
]


@dataclasses.dataclass(frozen=True)
class PretrainDataConfig:
    """What the pretraining set holds.

    crop_size: side S of the stored crops (pixels). render_scale: supersampling factor (rendered at
    S * render_scale, then area-downsampled, like a corpus crop cut from a larger frame).
    margin: crop box convention, as ``PreprocessConfig.margin``. box_jitter: relative s.d. of the box's
    scale and centre. train_samples / val_samples: crops per split. train_signers / val_signers: sizes of
    the two disjoint pools of hand shapes and looks. depth_range: wrist distance from the camera (m).
    facing_fraction / facing_tilt_deg: share of camera-facing orientations and their tilt scale (see the
    module docstring; 0 gives uniform orientations only). chunk: samples per cache file. seed: everything
    random derives from it.
    """

    crop_size: int = 64
    render_scale: int = 2
    margin: float = 0.25
    box_jitter: float = 0.06
    train_samples: int = 4000
    val_samples: int = 500
    train_signers: int = 200
    val_signers: int = 40
    depth_range: tuple[float, float] = (0.35, 1.0)
    facing_fraction: float = 0.5
    facing_tilt_deg: float = 45.0
    chunk: int = 100
    seed: int = 0


def _signer(seed: int, split: str, index: int):
    from ..synth import hand, scene

    rng = np.random.default_rng([seed, 7 if split == "train" else 11, index])
    return hand.HandShape.sample(rng), scene.sample_look(rng)


def facing_orientation(rng: np.random.Generator, tilt_deg: float) -> np.ndarray:
    """(3,) axis-angle: the neutral orientation (identity: palm to the camera, fingers up) tilted about a
    random image-plane axis by |N(0, tilt_deg)| degrees, then rolled about the optical axis uniformly."""
    from ..synth import hand

    phi = rng.uniform(0, 2 * np.pi)
    tilt = np.deg2rad(abs(rng.normal(0, tilt_deg))) * np.array([np.cos(phi), np.sin(phi), 0.0])
    roll = np.array([0.0, 0.0, rng.uniform(-np.pi, np.pi)])
    return hand.matrix_to_rotvec(hand.rotvec_to_matrix(roll) @ hand.rotvec_to_matrix(tilt))


def render_sample(cfg: PretrainDataConfig, rng: np.random.Generator, shape, look) -> dict[str, np.ndarray]:
    """One pretraining crop and its ground truth (see the module docstring for the fields)."""
    from ..synth import hand, render, scene
    from ..synth.primitives import ARM, Camera, Primitives

    S, R = cfg.crop_size, cfg.crop_size * cfg.render_scale
    pose = hand.sample_random_pose(rng, 1)[0]
    if rng.random() < cfg.facing_fraction:
        pose[0] = facing_orientation(rng, cfg.facing_tilt_deg)
    z = rng.uniform(*cfg.depth_range)
    t = np.array([rng.uniform(-0.3, 0.3) * z, rng.uniform(-0.3, 0.3) * z, z])
    kp = hand.forward_kinematics(pose, shape, "right", t).keypoints  # (21, 3) metres
    if kp[:, 2].min() < 0.1:  # a finger reaching behind the camera: push the hand back
        t[2] += 0.1 - kp[:, 2].min()
        kp = hand.forward_kinematics(pose, shape, "right", t).keypoints
    uv = kp[:, :2] / kp[:, 2:]  # normalised image plane
    lo, hi = uv.min(0), uv.max(0)
    side = float((hi - lo).max()) * (1 + 2 * cfg.margin) * float(np.exp(rng.normal(0, cfg.box_jitter)))
    centre = (lo + hi) / 2 + rng.normal(0, cfg.box_jitter, 2) * side
    f = R / side
    cam = Camera(f, f, R / 2 - centre[0] * f, R / 2 - centre[1] * f, R, R)
    # forearm: from the wrist, away from the middle knuckle
    d = kp[0] - kp[9]
    d /= np.linalg.norm(d) + 1e-9
    arm_r = 0.75 * shape.palm_thickness + rng.uniform(0.0, 0.01)
    arm_col = np.asarray(look.skin if (not look.long_sleeves or rng.random() < 0.3) else look.shirt, np.float32)
    e3 = np.zeros((0, 3), np.float32)
    arm = Primitives(
        np.asarray([kp[0] + 0.01 * d], np.float32),
        np.asarray([kp[0] + 0.3 * d], np.float32),
        np.asarray([arm_r], np.float32),
        arm_col[None],
        np.asarray([ARM], np.int8),
        e3,
        np.zeros((0, 3, 3), np.float32),
        e3,
        np.zeros(0, np.int8),
    )
    prims = hand.hand_primitives(kp, shape, "right", color=look.skin) + arm
    bg = scene.background_image(rng, R, R)
    light = scene.sample_shot(rng, R).light
    img, _ = render.render(prims, cam, bg, light)
    img = cv2.resize(img, (S, S), interpolation=cv2.INTER_AREA).astype(np.float32)
    sigma = rng.uniform(0.0, 0.8)
    if sigma > 0.2:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += rng.normal(0, rng.uniform(1.0, 5.0), img.shape)
    pix = np.stack([cam.fx * kp[:, 0] / kp[:, 2] + cam.cx, cam.fy * kp[:, 1] / kp[:, 2] + cam.cy], -1) / R
    return {
        "images": np.clip(img + 0.5, 0, 255).astype(np.uint8),
        "pose": pose.astype(np.float32),
        "keypoints2d": (pix - 0.5).astype(np.float32),
        "keypoints3d": (kp - kp[:1]).astype(np.float32),
        "shape": shape.as_vector(),
    }


def _make_chunk(args: tuple[PretrainDataConfig, str, int, int, str]) -> str:
    cfg, split, start, stop, path = args
    n_signers = cfg.train_signers if split == "train" else cfg.val_signers
    rows = []
    for i in range(start, stop):
        rng = np.random.default_rng([cfg.seed, 1 if split == "train" else 2, i])
        signer = int(rng.integers(n_signers))
        shape, look = _signer(cfg.seed, split, signer)
        sample = render_sample(cfg, rng, shape, look)
        sample["signer"] = np.int32(signer)
        rows.append(sample)
    arrays = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    return path


def dataset_dir(cfg: PretrainDataConfig) -> Path:
    """Cache folder of this configuration (hash of the configuration, sample counts excepted, and of the
    rendering code). Sample ``i`` of a split depends only on (seed, split, i), so a larger profile reuses
    the chunks a smaller one rendered."""
    ident = dataclasses.replace(cfg, train_samples=0, val_samples=0)
    return cache_dir() / "teachers" / "pretrain_data" / cache_key(ident, code=CODE)


def generate(cfg: PretrainDataConfig, workers: int | None = None, progress: bool = True) -> Path:
    """Render (or resume rendering) both splits into the cache; returns the folder. Chunks that exist are
    kept. ``workers``: processes (default: all cores, at most 2 on this study's machines)."""
    out = dataset_dir(cfg)
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for split, n in (("train", cfg.train_samples), ("val", cfg.val_samples)):
        for start in range(0, n, cfg.chunk):  # whole chunks, so that chunk files never depend on n
            path = out / f"{split}_{start // cfg.chunk:05d}.npz"
            if not path.exists():
                jobs.append((cfg, split, start, start + cfg.chunk, str(path)))
    workers = workers or min(2, os.cpu_count() or 1)
    if jobs:
        bar = tqdm(total=len(jobs), desc="rendering pretraining hands (chunks)", disable=not progress)
        if workers <= 1 or len(jobs) == 1:
            for job in jobs:
                _make_chunk(job)
                bar.update()
        else:
            with ProcessPoolExecutor(workers) as pool:
                for _ in pool.map(_make_chunk, jobs):
                    bar.update()
        bar.close()
    return out


def load_split(cfg: PretrainDataConfig, split: str, folder: Path | None = None) -> dict[str, np.ndarray]:
    """All chunks of one split (``"train"`` or ``"val"``) concatenated, generating what is missing
    (or read from ``folder``, the result of :func:`generate`)."""
    n = cfg.train_samples if split == "train" else cfg.val_samples
    if n <= 0:
        raise ValueError(f"pretraining split {split!r} is empty ({split}_samples={n}); ask for at least one sample")
    folder = folder or generate(cfg)
    files = [folder / f"{split}_{i:05d}.npz" for i in range(-(-n // cfg.chunk))]
    parts = [dict(np.load(f)) for f in files]
    return {k: np.concatenate([p[k] for p in parts])[:n] for k in parts[0]}
