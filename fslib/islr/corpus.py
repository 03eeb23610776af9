"""A synthetic isolated-sign corpus of MediaPipe Holistic landmarks, in the Kaggle GISLR layout.

Why synthetic: ASL Citizen (the source study's data) cannot be downloaded here. The generator produces
the phenomena the source study's tables respond to, on purpose, so that its normalization, temporal-model
and dropout comparisons have something to measure:

- Signs (glosses): each a handshape (from the fingerspelling letters of :mod:`fslib.synth.letters`,
  possibly changing to a second one), a location relative to the face or body (forehead, eyes, nose,
  mouth, chin, cheek, ear, neck, chest, opposite shoulder, stomach, neutral space), a palm orientation, a
  movement (hold, straight, arc, circle, tap, zigzag, finger wiggle) with a direction, size and number of
  repetitions, and one or two hands (symmetric, alternating, or a static base hand). About half of the
  signs are minimal pairs of an earlier sign (one parameter changed), as in a real lexicon.
- Performances: no two clips of a sign are alike. Each performance places the hand off the sign's
  location by a few centimetres, scales and turns the movement, turns the palm and blurs the handshape
  towards another one (``variation`` scales all of these; 0 = every signer performs the sign exactly).
- Signers: body and head proportions, dominant hand (one in ten left-handed), position in the frame and
  distance to the camera (translation and scale across signers: what normalization should remove),
  body sway and camera drift during a clip, signing speed and extra repetitions, and a per-signer amount
  of landmark noise with a markedly noisier nose point (the "jittering nose" of the source).
- MediaPipe-like output: 543 landmarks per frame (468 face, 33 pose, 21 + 21 hands) in normalised image
  coordinates; a hand outside the frame or in a dropout burst (tracking failure) is NaN for that frame.
  Only 37 of the 468 face points (:data:`fslib.islr.landmarks.FACE_POINTS`) are placed anatomically; the
  others lie on the head's ellipsoid so that the files have MediaPipe's shape (no model reads them).

Geometry: body frame in metres, x to the image's right, y down, z away from the camera, origin between
the shoulders; the camera looks at the point between the signer's shoulders from ``distance`` (1-1.8 m: head to waist in the frame); a 640 x 480 image with a 600 px
focal length (about 56 degrees across).

On disk (:func:`generate`): ``landmarks/<participant>/<sequence_id>.parquet`` (GISLR long layout),
``train.csv`` (path, participant_id, sequence_id, sign, split), ``sign_to_prediction_index_map.json``,
``signs.json`` (each gloss's definition) and ``signers.json`` (each signer's parameters). Splits are
signer-disjoint. Generation is deterministic in the seed and cached under a hash of the configuration
and this code.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..cache import atomic_path, cache_key, write_json_atomic
from ..paths import cache_dir
from ..progress import tqdm
from . import landmarks as lm

CODE = [
    "fslib.islr.corpus",
    "fslib.islr.landmarks",
    "fslib.synth.hand",
    "fslib.synth.letters",
    "fslib.synth.primitives",
    "fslib.synth.render",
    "fslib.synth.scene",
]
WIDTH, HEIGHT, FOCAL = 640, 480, 600.0
LOCATIONS = (
    "forehead",
    "eyes",
    "nose",
    "mouth",
    "chin",
    "cheek",
    "ear",
    "neck",
    "chest",
    "shoulder",
    "stomach",
    "neutral",
)
PALMS = {
    "forward": (0.0, 0.0, 0.0),
    "inward": (0.0, np.pi, 0.0),
    "side": (0.0, -np.pi / 2, 0.0),
    "down": (np.pi / 2, 0.0, 0.0),
    "up": (-np.pi / 2, 0.0, 0.0),
}
MOVEMENTS = ("hold", "straight", "arc", "circle", "tap", "zigzag", "wiggle")
HANDS = ("one", "one", "one", "symmetric", "alternating", "base")  # one-handed signs are the most common
SHAPES = "abcdefghiklmnorstuvwxy"  # static letters as handshapes


@dataclasses.dataclass(frozen=True)
class CorpusConfig:
    """glosses: number of signs; train_signers / val_signers / test_signers: disjoint signer pools (the
    source's ASL Citizen subset has about 18 / 3.65 / 12.9 clips per gloss); clips_per_signer: clips of each
    gloss per signer; fps; nose_jitter: s.d. of the nose point's extra noise relative to the other
    landmarks (x its own s.d.); hand_dropout: chance per frame that a hand's tracking fails for a short
    burst; sway, drift: scale of body sway and camera motion (1 = default, 0 = none); variation: scale of
    the per-performance differences (location, movement size and direction, palm, handshape; 1 = default,
    0 = none); minimal_pairs: share of signs made from an earlier sign by changing one parameter; seed."""

    glosses: int = 100
    train_signers: int = 18
    val_signers: int = 4
    test_signers: int = 13
    clips_per_signer: int = 1
    fps: int = 30
    nose_jitter: float = 4.0
    hand_dropout: float = 0.02
    sway: float = 1.0
    drift: float = 1.0
    variation: float = 1.0
    minimal_pairs: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.glosses < 2 or self.glosses > 400:
            raise ValueError(f"CorpusConfig.glosses={self.glosses}: choose 2 to 400 signs")
        if min(self.train_signers, self.val_signers, self.test_signers, self.clips_per_signer) < 1:
            raise ValueError("CorpusConfig: every split needs at least one signer and one clip per signer")


# ------------------------------------------------------------------------------------------------ signs
@dataclasses.dataclass(frozen=True)
class Sign:
    """One gloss: handshapes (letters), location, palm, movement (direction unit vector in the body frame,
    amplitude in metres, repetitions), hands, base duration in seconds."""

    gloss: str
    shape_a: str
    shape_b: str
    location: str
    palm: str
    movement: str
    direction: tuple[float, float, float]
    amplitude: float
    repeats: int
    hands: str
    duration: float


def gloss_name(index: int) -> str:
    """The synthetic gloss ``index`` as a name: A_SIGN, B_SIGN, ..., Z_SIGN, AA_SIGN, ... Distinct under both
    of the source's subset rules (:func:`fslib.islr.source.gloss_base`), so the drawn corpus keeps every gloss
    when it goes through `fslib islr-extract`: the text's rule reads a trailing number as a variant of one
    gloss (NEAR2 of NEAR), and the code's drops the last character (numbered names, or names that differ only
    in their last letter, would collapse into one gloss)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}_SIGN"


def make_signs(n: int, seed: int, minimal_pairs: float = 0.0) -> list[Sign]:
    """``n`` distinct signs (no two share handshapes, location, palm, movement and hands). A share
    ``minimal_pairs`` of them copies an earlier sign and changes one parameter (handshape, location, palm,
    movement or hands), so the lexicon has near neighbours as a real one does."""
    rng = np.random.default_rng([seed, 101])
    signs, seen = [], set()
    while len(signs) < n:
        if signs and rng.random() < minimal_pairs:
            p = signs[int(rng.integers(len(signs)))]
            a, b, loc, palm, mov, hands = p.shape_a, p.shape_b, p.location, p.palm, p.movement, p.hands
            which = int(rng.integers(5))
            if which == 0:
                a = str(rng.choice(list(SHAPES)))
                b = a if p.shape_a == p.shape_b else b
            elif which == 1:
                loc = str(rng.choice(LOCATIONS))
            elif which == 2:
                palm = str(rng.choice(list(PALMS)))
            elif which == 3:
                mov = str(rng.choice(MOVEMENTS))
            else:
                hands = str(rng.choice(HANDS))
        else:
            a = str(rng.choice(list(SHAPES)))
            b = a if rng.random() < 0.7 else str(rng.choice(list(SHAPES)))
            loc, palm = str(rng.choice(LOCATIONS)), str(rng.choice(list(PALMS)))
            mov, hands = str(rng.choice(MOVEMENTS)), str(rng.choice(HANDS))
        ident = (a, b, loc, palm, mov, hands)
        if ident in seen:
            continue
        seen.add(ident)
        d = rng.normal(size=3) * np.array([1.0, 1.0, 0.5])
        d /= np.linalg.norm(d)
        signs.append(
            Sign(
                gloss_name(len(signs)),
                a,
                b,
                loc,
                palm,
                mov,
                tuple(float(x) for x in d),
                float(rng.uniform(0.05, 0.16)),
                int(rng.integers(1, 4)) if mov in ("tap", "circle", "wiggle", "zigzag") else 1,
                hands,
                float(rng.uniform(0.7, 1.2)),
            )
        )
    return signs


def perform(sign: Sign, variation: float, rng: np.random.Generator) -> tuple[Sign, np.ndarray, np.ndarray, str, float]:
    """One performance of ``sign``: (the sign with its movement scaled and turned, the location offset (3,)
    in metres, an extra palm rotation (3,) axis-angle, the handshape it drifts towards, and how far
    (0-1)). ``variation`` 0 returns the sign exactly."""
    if variation <= 0:
        return sign, np.zeros(3), np.zeros(3), sign.shape_a, 0.0
    d = np.asarray(sign.direction) + rng.normal(0, 0.35 * variation, 3)
    d /= max(np.linalg.norm(d), 1e-9)
    varied = dataclasses.replace(
        sign,
        direction=tuple(float(x) for x in d),
        amplitude=float(sign.amplitude * np.exp(rng.normal(0, 0.25 * variation))),
    )
    offset = rng.normal(0, 0.025 * variation, 3) * np.array([1.0, 1.0, 0.6])
    palm = rng.normal(0, 0.25 * variation, 3)
    return varied, offset, palm, str(rng.choice(list(SHAPES))), float(rng.uniform(0, 0.35 * min(variation, 2.0)))


# ---------------------------------------------------------------------------------------------- signers
@dataclasses.dataclass(frozen=True)
class Signer:
    """One signer: body scale, shoulder half-width, head scale, left-handed, position in the frame (x, y
    metres), distance to the camera (m), sway amplitude (m) and frequency (Hz), camera drift (m over a
    clip), speed factor, landmark noise (s.d., normalised image units), extra repetitions probability."""

    name: str
    scale: float
    shoulder: float
    head: float
    left_handed: bool
    offset: tuple[float, float]
    distance: float
    sway: float
    sway_hz: float
    drift: float
    speed: float
    noise: float
    extra_repeat: float
    hand_shape: tuple[float, ...]


def make_signer(seed: int, split: str, index: int, cfg: CorpusConfig) -> Signer:
    from ..synth.hand import HandShape

    rng = np.random.default_rng([seed, {"train": 1, "val": 2, "test": 3}[split], index])
    scale = float(np.clip(rng.normal(1.0, 0.07), 0.82, 1.18))
    return Signer(
        name=f"{split}{index:02d}",
        scale=scale,
        shoulder=float(0.19 * scale * rng.uniform(0.9, 1.1)),
        head=float(scale * rng.uniform(0.92, 1.08)),
        left_handed=bool(rng.random() < 0.1),
        offset=(float(rng.uniform(-0.25, 0.25)), float(rng.uniform(-0.08, 0.08))),
        distance=float(rng.uniform(1.0, 1.8)),
        sway=float(cfg.sway * rng.uniform(0.0, 0.04)),
        sway_hz=float(rng.uniform(0.2, 0.8)),
        drift=float(cfg.drift * rng.uniform(0.0, 0.08)),
        speed=float(rng.uniform(0.75, 1.3)),
        noise=float(rng.uniform(0.0015, 0.004)),
        extra_repeat=float(rng.uniform(0.0, 0.5)),
        hand_shape=tuple(float(x) for x in HandShape.sample(rng, scale_sd=0.0).as_vector() * scale),
    )


# ------------------------------------------------------------------------------------------------- face
def _face_template() -> np.ndarray:
    """(468, 3) head-centred face points (metres, average head): the 37 selected points placed on the face,
    the rest spread over the front of the head's ellipsoid."""
    radii = np.array([0.075, 0.105, 0.09])
    k = np.arange(468) + 0.5
    theta = np.arccos(1 - k / 468)  # front hemisphere, spiral
    phi = np.pi * (1 + 5**0.5) * k
    pts = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), -np.cos(theta)], 1) * radii
    place = {
        1: (0, 0.01, -0.105),
        10: (0, -0.085, -0.08),
        152: (0, 0.095, -0.07),
        234: (-0.075, 0.0, -0.02),
        454: (0.075, 0.0, -0.02),
    }
    for side, (outer, inner, upper, lower) in ((-1, (33, 133, 159, 145)), (1, (263, 362, 386, 374))):
        cx = 0.032 * side
        place.update(
            {
                outer: (cx + 0.016 * side, -0.025, -0.075),
                inner: (cx - 0.014 * side, -0.025, -0.08),
                upper: (cx, -0.032, -0.08),
                lower: (cx, -0.018, -0.08),
            }
        )
    for side, brow in ((-1, (70, 105, 107)), (1, (300, 334, 336))):
        for j, idx in enumerate(brow):
            place[idx] = (side * (0.05 - 0.017 * j), -0.05 - 0.004 * (j == 1), -0.085)
    outer = (61, 185, 40, 37, 0, 267, 270, 409, 291, 375, 321, 405, 17, 181, 91, 146)
    for j, idx in enumerate(outer):
        a = np.pi - j * np.pi / 8
        place[idx] = (0.025 * np.cos(a), 0.055 - 0.011 * np.sin(a), -0.085)
    place[13], place[14] = (0, 0.052, -0.084), (0, 0.058, -0.084)
    for i, p in place.items():
        pts[i] = p
    return pts


FACE_TEMPLATE = _face_template()
HEAD_CENTRE = np.array([0.0, -0.24, 0.0])  # body frame, average signer


def _rotvec(v) -> np.ndarray:
    from ..synth.hand import rotvec_to_matrix

    return rotvec_to_matrix(np.asarray(v, float))


def _location(sign: Sign, signer: Signer, dominant: float) -> np.ndarray:
    """Wrist target (3,) in the body frame for the sign's location: the hand's fingers reach towards it."""
    f = HEAD_CENTRE * signer.scale + FACE_TEMPLATE * signer.head
    pts = {
        "forehead": f[10],
        "eyes": (f[159] + f[386]) / 2,
        "nose": f[1],
        "mouth": f[0],
        "chin": f[152],
        "cheek": f[234] if dominant < 0 else f[454],
        "ear": f[234] + [0.02 * dominant, 0, 0.06],
        "neck": np.array([0, -0.08, -0.05]) * signer.scale,
        "chest": np.array([0, 0.1, -0.12]) * signer.scale,
        "shoulder": np.array([-dominant * signer.shoulder, 0.0, -0.08]),
        "stomach": np.array([0, 0.22, -0.15]) * signer.scale,
        "neutral": np.array([0.08 * dominant, 0.12, -0.32]),
    }
    target = np.asarray(pts[sign.location], float)
    return target + np.array([0.0, 0.12, -0.05]) * signer.scale  # wrist below and in front of the target


def _path(sign: Sign, s: np.ndarray, repeats: int) -> np.ndarray:
    """(T, 3) offset of the wrist along the movement, s in [0, 1] over the sign."""
    d = np.asarray(sign.direction)
    perp = np.cross(d, [0, 0, 1.0])
    perp = perp / max(np.linalg.norm(perp), 1e-9)
    a, r = sign.amplitude, repeats
    u = (s * r) % 1.0 if r > 1 else s
    if sign.movement == "straight":
        off = (s - 0.5)[:, None] * d
    elif sign.movement == "arc":
        off = (s - 0.5)[:, None] * d + 0.4 * np.sin(np.pi * s)[:, None] * perp
    elif sign.movement == "circle":
        ang = 2 * np.pi * s * r
        off = 0.5 * (np.cos(ang)[:, None] * d + np.sin(ang)[:, None] * perp)
    elif sign.movement == "tap":
        off = 0.25 * (1 - np.cos(2 * np.pi * u))[:, None] * np.array([0, 0, 1.0])
    elif sign.movement == "zigzag":
        off = (s - 0.5)[:, None] * d + 0.25 * np.sin(2 * np.pi * s * (r + 1))[:, None] * perp
    else:  # hold, wiggle: the hand stays
        off = np.zeros((len(s), 3))
    return a * off


def _hand_poses(
    sign: Sign, s: np.ndarray, repeats: int, palm_extra: np.ndarray, sloppy: str = "", sloppiness: float = 0.0
) -> np.ndarray:
    """(T, 16, 3) axis-angle poses (global orientation for a camera-facing signer) over the sign; the
    finger pose is blended a fraction ``sloppiness`` towards handshape ``sloppy`` (a loose performance)."""
    from ..synth.hand import clamp_pose, matrix_to_rotvec
    from ..synth.letters import letter_pose

    pa, pb = letter_pose("fswild", sign.shape_a).pose, letter_pose("fswild", sign.shape_b).pose
    if sloppy and sloppiness > 0:
        ps = letter_pose("fswild", sloppy).pose
        pa = np.concatenate([pa[:1], (1 - sloppiness) * pa[1:] + sloppiness * ps[1:]])
        pb = np.concatenate([pb[:1], (1 - sloppiness) * pb[1:] + sloppiness * ps[1:]])
    if sign.movement == "wiggle":
        w = 0.5 * (1 - np.cos(2 * np.pi * s * repeats))
    else:
        w = np.clip((s - 0.3) / 0.4, 0, 1)  # change of handshape mid-sign
    pose = (1 - w)[:, None, None] * pa + w[:, None, None] * pb
    pose = clamp_pose(pose)
    orient = _rotvec(palm_extra) @ _rotvec(pa[0])
    pose[:, 0] = matrix_to_rotvec(orient)
    return pose


def _project(X: np.ndarray, ref_depth: np.ndarray) -> np.ndarray:
    """(..., 3) camera-frame metres -> normalised image x, y and MediaPipe-like relative z."""
    z = np.maximum(X[..., 2], 0.05)
    x = (FOCAL * X[..., 0] / z + WIDTH / 2) / WIDTH
    y = (FOCAL * X[..., 1] / z + HEIGHT / 2) / HEIGHT
    rel = (X[..., 2] - ref_depth) * FOCAL / (z * WIDTH)
    return np.stack([x, y, rel], -1)


def _pose_points(sh: float, scale: float, face: np.ndarray, wrists: dict, elbows: dict, hands: dict) -> np.ndarray:
    """(T, 33, 3) BlazePose landmarks in the body frame (indices as MediaPipe Pose)."""
    T = len(face)
    P = np.zeros((T, 33, 3))
    P[:, 0] = face[:, 1]
    P[:, 1:4] = face[:, [362, 386, 263]]  # MediaPipe's "left" = the signer's left (image right)
    P[:, 4:7] = face[:, [133, 159, 33]]
    P[:, 7], P[:, 8] = face[:, 454] + [0.01, 0, 0.07], face[:, 234] + [-0.01, 0, 0.07]
    P[:, 9], P[:, 10] = face[:, 291], face[:, 61]
    P[:, 11], P[:, 12] = [sh, 0, 0.03], [-sh, 0, 0.03]
    P[:, 13], P[:, 14] = elbows["left"], elbows["right"]
    P[:, 15], P[:, 16] = wrists["left"], wrists["right"]
    for side, off in (("left", 0), ("right", 1)):
        kp = hands[side]
        P[:, 17 + off], P[:, 19 + off], P[:, 21 + off] = kp[:, 17], kp[:, 5], kp[:, 2]
    legs = (
        np.array(
            [
                [0.11, 0.5, 0.05],
                [-0.11, 0.5, 0.05],
                [0.12, 0.95, 0.05],
                [-0.12, 0.95, 0.05],
                [0.12, 1.4, 0.05],
                [-0.12, 1.4, 0.05],
                [0.13, 1.45, 0.09],
                [-0.13, 1.45, 0.09],
                [0.12, 1.47, -0.05],
                [-0.12, 1.47, -0.05],
            ]
        )
        * scale
    )
    P[:, 23:33] = legs
    return P


def render_clip(
    sign: Sign, signer: Signer, cfg: CorpusConfig, rng: np.random.Generator, truth: bool = False
) -> dict[str, np.ndarray]:
    """One clip's Holistic landmarks ``{type: (T, n, 3)}`` (NaN where a hand is not found). ``truth``: the
    generator's own positions instead, without MediaPipe's noise and with every hand present (what the
    synthetic video of :mod:`fslib.islr.video` draws); the same ``rng`` state gives the same clip either way."""
    from ..synth.hand import HandShape, forward_kinematics
    from ..synth.scene import elbow_position

    shape = HandShape.from_vector(np.asarray(signer.hand_shape))
    sign, loc_offset, palm_offset, sloppy, sloppiness = perform(sign, cfg.variation, rng)
    repeats = sign.repeats + int(sign.repeats > 1 and rng.random() < signer.extra_repeat)
    sign_s = sign.duration * (1 + 0.3 * (repeats - 1)) / signer.speed
    t_in, t_out = 0.35 / signer.speed, 0.35 / signer.speed
    T = max(8, int(round((t_in + sign_s + t_out) * cfg.fps)))
    t = np.arange(T) / cfg.fps
    s = np.clip((t - t_in) / sign_s, 0, 1)
    blend = np.clip(t / t_in, 0, 1) * np.clip((t[-1] - t) / t_out, 0, 1)
    blend = 0.5 - 0.5 * np.cos(np.pi * blend)  # 0 at rest, 1 while signing
    dom = 1.0 if signer.left_handed else -1.0  # x side of the dominant hand in the body frame
    sides = {"dom": "left" if signer.left_handed else "right", "non": "right" if signer.left_handed else "left"}

    # body motion and camera
    phase = rng.uniform(0, 2 * np.pi)
    sway = signer.sway * np.stack(
        [np.sin(2 * np.pi * signer.sway_hz * t + phase), 0.3 * np.sin(4 * np.pi * signer.sway_hz * t), np.zeros(T)], 1
    )
    cam_dir = rng.normal(size=3) * np.array([1, 0.5, 0.3])
    drift = signer.drift * (t / max(t[-1], 1e-9))[:, None] * cam_dir / max(np.linalg.norm(cam_dir), 1e-9)
    shift = np.array([signer.offset[0], signer.offset[1], signer.distance]) + rng.normal(0, 0.02, 3)

    def to_cam(X):  # (T, ..., 3) body frame -> camera frame
        extra = (sway - drift).reshape((T,) + (1,) * (X.ndim - 2) + (3,))
        return X + shift + extra

    face = HEAD_CENTRE * signer.scale + FACE_TEMPLATE[None] * signer.head + np.zeros((T, 1, 3))
    nod = 0.01 * np.sin(2 * np.pi * 0.5 * t + phase)[:, None]
    face[..., 1] += nod

    rest = {
        "dom": np.array([0.18 * dom, 0.7, -0.05]) * signer.scale,
        "non": np.array([-0.18 * dom, 0.7, -0.05]) * signer.scale,
    }
    target = _location(sign, signer, dom) + loc_offset
    path = _path(sign, s, repeats)
    mirror = np.array([-1.0, 1.0, 1.0])
    wrist = {"dom": rest["dom"] + blend[:, None] * (target + path - rest["dom"])}
    if sign.hands == "symmetric":
        other = (target + path) * mirror
    elif sign.hands == "alternating":
        other = (target + _path(sign, (s + 0.5) % 1.0, repeats)) * mirror
    elif sign.hands == "base":
        other = np.array([-0.05 * dom, 0.2, -0.25]) * signer.scale + np.zeros((T, 3))
    else:
        other = rest["non"] + np.zeros((T, 3))
    wrist["non"] = rest["non"] + (blend[:, None] if sign.hands != "one" else 0.0) * (other - rest["non"])

    palm = np.asarray(PALMS[sign.palm]) + palm_offset
    pose_dom = _hand_poses(sign, s, repeats, palm, sloppy, sloppiness)
    if sign.hands in ("symmetric", "alternating"):
        pose_non = pose_dom.copy()
    else:
        base = dataclasses.replace(sign, shape_a="b", shape_b="b", movement="hold")
        pose_non = _hand_poses(base, s, 1, np.asarray(PALMS["up" if sign.hands == "base" else "forward"]))
    hands, elbows, wr = {}, {}, {}
    for role in ("dom", "non"):
        side = sides[role]
        pose = pose_dom if role == "dom" else pose_non
        kp = forward_kinematics(pose, shape, side, wrist[role]).keypoints  # body frame = facing frame
        hands[side] = kp
        sh = np.array([signer.shoulder * (1 if side == "left" else -1), 0.0, 0.03])
        elbows[side] = np.stack(
            [
                elbow_position(
                    sh, w, k[9] - k[0], 0.29 * signer.scale, 0.25 * signer.scale, 1.0 if side == "left" else -1.0
                )
                for w, k in zip(wrist[role], kp)
            ]
        )
        wr[side] = wrist[role]
    pose_pts = _pose_points(signer.shoulder, signer.scale, face, wr, elbows, hands)

    out = {}
    hip_depth = to_cam(pose_pts)[:, 23:25, 2].mean(1)[:, None]
    face_c = to_cam(face)
    out["face"] = _project(face_c, face_c[:, :, 2].mean(1)[:, None])
    out["pose"] = _project(to_cam(pose_pts), hip_depth)
    for side in ("left", "right"):
        hc = to_cam(hands[side])
        out[f"{side}_hand"] = _project(hc, hc[:, :1, 2])
    if truth:
        return {k: v.astype(np.float32) for k, v in out.items()}
    # MediaPipe-like noise: every point, the nose markedly more
    for k in out:
        out[k] = out[k] + rng.normal(0, signer.noise, out[k].shape)
    jitter = rng.normal(0, signer.noise * cfg.nose_jitter, (T, 3))
    out["face"][:, lm.NOSE_TIP] += jitter
    out["pose"][:, 0] += jitter
    # hands not found: outside the frame, or a tracking dropout burst
    for side in ("left", "right"):
        h = out[f"{side}_hand"]
        wx, wy = h[:, 0, 0], h[:, 0, 1]
        lost = (wx < 0.02) | (wx > 0.98) | (wy < 0.02) | (wy > 0.98)
        start = np.nonzero(rng.random(T) < cfg.hand_dropout)[0]
        for st in start:
            lost[st : st + int(rng.integers(1, 6))] = True
        h[lost] = np.nan
    return {k: v.astype(np.float32) for k, v in out.items()}


# ---------------------------------------------------------------------------------------------- corpus
def corpus_dir(cfg: CorpusConfig) -> Path:
    return cache_dir() / "islr" / "corpus" / cache_key(cfg, code=CODE)


def _signers(cfg: CorpusConfig) -> list[tuple[str, Signer]]:
    return [
        (split, make_signer(cfg.seed, split, i, cfg))
        for split, n in (("train", cfg.train_signers), ("val", cfg.val_signers), ("test", cfg.test_signers))
        for i in range(n)
    ]


@dataclasses.dataclass(frozen=True)
class ClipJob:
    """One clip of the corpus: its split, signer, sign (gloss ``index``), repetition ``k`` and its random stream
    (:meth:`rng`: the same for the landmarks and for the video of the clip)."""

    split: str
    signer: Signer
    sign: Sign
    index: int
    k: int
    seed: int

    @property
    def sequence_id(self) -> str:
        return f"{self.signer.name}-{self.index:03d}-{self.k}"

    def rng(self) -> np.random.Generator:
        return np.random.default_rng([self.seed, 7, hash_name(self.signer.name), self.index, self.k])


def clip_jobs(cfg: CorpusConfig, signs: list[Sign] | None = None, signers=None) -> list[ClipJob]:
    """Every clip of the corpus ``cfg`` describes, in the order :func:`generate` writes them."""
    signs = make_signs(cfg.glosses, cfg.seed, cfg.minimal_pairs) if signs is None else signs
    signers = _signers(cfg) if signers is None else signers
    return [
        ClipJob(split, signer, signs[g], g, k, cfg.seed)
        for split, signer in signers
        for g in range(len(signs))
        for k in range(cfg.clips_per_signer)
    ]


def generate(cfg: CorpusConfig | None = None, progress: bool = True) -> Path:
    """Write (or find in the cache) the corpus; returns its folder (see the module docstring). Resumable:
    clips already written are kept."""
    cfg = cfg or CorpusConfig()
    root = corpus_dir(cfg)
    index = root / "train.csv"
    if index.exists():
        return root
    signs = make_signs(cfg.glosses, cfg.seed, cfg.minimal_pairs)
    signers = _signers(cfg)
    rows = []
    for job in tqdm(clip_jobs(cfg, signs, signers), desc="synthetic isolated signs", disable=not progress):
        rel = Path("landmarks") / job.signer.name / f"{job.sequence_id}.parquet"
        if not (root / rel).exists():
            lm.write_parquet(root / rel, render_clip(job.sign, job.signer, cfg, job.rng()))
        rows.append(
            {
                "path": str(rel),
                "participant_id": job.signer.name,
                "sequence_id": job.sequence_id,
                "sign": job.sign.gloss,
                "split": job.split,
            }
        )
    write_json_atomic(root / "sign_to_prediction_index_map.json", {s.gloss: i for i, s in enumerate(signs)})
    write_json_atomic(root / "signs.json", [dataclasses.asdict(s) for s in signs])
    write_json_atomic(root / "signers.json", [{"split": sp, **dataclasses.asdict(s)} for sp, s in signers])
    write_json_atomic(root / "config.json", dataclasses.asdict(cfg))
    with atomic_path(index) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    return root


def hash_name(name: str) -> int:
    """A stable small integer from a signer name (Python's hash() is salted per process)."""
    return int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "little") % (2**31)


def read_index(root: str | Path) -> pd.DataFrame:
    """The corpus's ``train.csv`` (GISLR columns plus ``split``)."""
    path = Path(root) / "train.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: not a GISLR-layout corpus folder (train.csv missing)")
    # every column as text: a gloss named NA or NULL stays a gloss (pandas would read it as missing)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"path", "participant_id", "sequence_id", "sign"} - set(df.columns)
    if missing:
        raise ValueError(
            f"{path}: columns {sorted(missing)} missing (GISLR train.csv: path, participant_id, sequence_id, sign)"
        )
    return df


def describe(root: str | Path) -> dict[str, Any]:
    """Counts for the data page: glosses, signers and clips per split, clips per gloss per split."""
    df = read_index(root)
    out: dict[str, Any] = {"glosses": df["sign"].nunique(), "clips": len(df)}
    if "split" in df:
        for split, sub in df.groupby("split"):
            out[f"{split}_signers"] = sub["participant_id"].nunique()
            out[f"{split}_clips_per_gloss"] = round(len(sub) / max(sub["sign"].nunique(), 1), 2)
    return out
