"""The signer scene: who signs (skin tone, clothes, body), how the camera sees them, and the image defects.

A sequence's scene has a static part, rendered once (background clutter, torso, head with a simple face,
the resting non-signing arm and hand) and a moving part re-rendered every frame (the signing hand, its
forearm and upper arm). Frames then get defocus blur and sensor noise; the corpus writer adds the JPEG
compression when it saves them.

Frames: the signer's body frame has its origin at the sternum, x towards the camera's right (the signer's
left when facing the camera), y down, z away from the camera, metres. The camera looks at the signer from
``distance`` metres, turned by ``yaw_deg`` about the vertical axis and ``pitch_deg`` about the horizontal
one. A right-handed signer signs with the hand on the image's left.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
from scipy.spatial.transform import Rotation

from .primitives import ARM, BODY, CLUTTER, HEAD, OTHER_HAND, SIGNING_HAND, Camera, Primitives
from .render import Layer, Light, render_layer, render_over, render_over_batch

# Skin tones from very light to very dark (linear-ish sRGB in [0, 1]), in the spirit of the 10-point Monk
# scale, grouped into 6 tone classes for the per-tone realism statistics.
SKIN_TONES: tuple[tuple[str, tuple[float, float, float]], ...] = (
    ("I very light", (0.96, 0.82, 0.74)),
    ("II light", (0.90, 0.72, 0.60)),
    ("III medium light", (0.80, 0.60, 0.46)),
    ("IV medium", (0.66, 0.46, 0.32)),
    ("V dark", (0.47, 0.31, 0.21)),
    ("VI very dark", (0.30, 0.19, 0.13)),
)

# Signing-space anchor: in front of the dominant shoulder, a little below it (body frame, metres, for a
# right-handed signer; x is mirrored for left-handers). Motion wrist positions are relative to it.
ANCHOR_FROM_SHOULDER = (0.02, 0.06, -0.30)
# how far (m, body plane) the camera centres towards the signing side
SIGNING_SIDE_SHIFT = 0.07


def _box3(a, b, r, colour, part) -> Primitives:
    """Primitives holding capsules only: a, b (N, 3), r (N,), colour (N, 3), part int."""
    a = np.asarray(a, np.float32).reshape(-1, 3)
    b = np.asarray(b, np.float32).reshape(-1, 3)
    n = len(a)
    p = Primitives.empty()
    return Primitives(
        a,
        b,
        np.asarray(r, np.float32).reshape(n),
        np.broadcast_to(np.asarray(colour, np.float32), (n, 3)).copy(),
        np.full(n, part, np.int8),
        p.ell_centre,
        p.ell_axes,
        p.ell_color,
        p.ell_part,
    )


def _ellipsoids(centre, axes, colour, part) -> Primitives:
    """Primitives holding ellipsoids only: centre (M, 3), axes (M, 3, 3) (columns = semi-axes)."""
    c = np.asarray(centre, np.float32).reshape(-1, 3)
    m = len(c)
    p = Primitives.empty()
    return Primitives(
        p.cap_a,
        p.cap_b,
        p.cap_r,
        p.cap_color,
        p.cap_part,
        c,
        np.asarray(axes, np.float32).reshape(m, 3, 3),
        np.broadcast_to(np.asarray(colour, np.float32), (m, 3)).copy(),
        np.full(m, part, np.int8),
    )


def _diag(rx, ry, rz, rot: np.ndarray | None = None) -> np.ndarray:
    a = np.diag([rx, ry, rz]).astype(np.float32)
    return a if rot is None else (rot @ a).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class SignerLook:
    """A signer's appearance and body proportions (metres)."""

    skin_tone: int  # index into SKIN_TONES
    skin: tuple[float, float, float]
    shirt: tuple[float, float, float]
    long_sleeves: bool
    hair: tuple[float, float, float]
    hair_volume: float  # 0 short .. 1 long/voluminous
    shoulder_half_width: float
    head_scale: float
    forearm_length: float
    upper_arm_length: float

    @property
    def skin_tone_name(self) -> str:
        return SKIN_TONES[self.skin_tone][0]


def sample_look(rng: np.random.Generator, skin_tone: int | None = None) -> SignerLook:
    """A random signer appearance; skin tones are drawn uniformly over :data:`SKIN_TONES` unless given."""
    tone = int(rng.integers(len(SKIN_TONES))) if skin_tone is None else int(skin_tone)
    base = np.array(SKIN_TONES[tone][1])
    skin = np.clip(base * rng.uniform(0.94, 1.06) + rng.normal(0, 0.015, 3), 0, 1)
    hue = rng.uniform(0, 1)
    sat, val = rng.uniform(0.1, 0.7), rng.uniform(0.15, 0.85)
    shirt = np.array(_hsv_to_rgb(hue, sat, val))
    hair_choices = np.array(
        [
            [0.08, 0.06, 0.05],
            [0.25, 0.16, 0.09],
            [0.45, 0.32, 0.18],
            [0.75, 0.6, 0.38],
            [0.55, 0.55, 0.55],
            [0.35, 0.12, 0.06],
        ]
    )
    hair = hair_choices[rng.integers(len(hair_choices))] * rng.uniform(0.85, 1.1)
    scale = rng.uniform(0.9, 1.1)
    return SignerLook(
        skin_tone=tone,
        skin=tuple(map(float, skin)),
        shirt=tuple(map(float, shirt)),
        long_sleeves=bool(rng.random() < 0.6),
        hair=tuple(map(float, np.clip(hair, 0, 1))),
        hair_volume=float(rng.uniform(0, 1)),
        shoulder_half_width=float(0.18 * scale),
        head_scale=float(rng.uniform(0.92, 1.08)),
        forearm_length=float(0.25 * scale),
        upper_arm_length=float(0.29 * scale),
    )


def _hsv_to_rgb(h: float, s: float, v: float) -> tuple[float, float, float]:
    px = np.array([[[h * 179, s * 255, v * 255]]], np.uint8)
    return tuple((cv2.cvtColor(px, cv2.COLOR_HSV2RGB)[0, 0] / 255.0).tolist())


@dataclasses.dataclass(frozen=True)
class Shot:
    """How one sequence is filmed: camera, light and image defects.

    image_size: frame width = height, pixels; fov_deg: horizontal field of view; distance: camera to sternum,
    metres; yaw_deg / pitch_deg: viewpoint; offset: (x, y) body-frame point the camera centres on, metres;
    blur_sigma: Gaussian defocus in pixels at 256 px (scaled with the image); noise_sigma: sensor noise, in
    0..255 grey levels; jpeg_quality: 1..100, used by the corpus writer; other_hand: whether the resting
    non-signing hand is in view; background_seed: seed of the clutter.
    """

    image_size: int
    fov_deg: float
    distance: float
    yaw_deg: float
    pitch_deg: float
    offset: tuple[float, float]
    light: Light
    blur_sigma: float
    noise_sigma: float
    jpeg_quality: int
    other_hand: bool
    background_seed: int


def sample_shot(rng: np.random.Generator, image_size: int) -> Shot:
    """A random camera set-up, light and degradation for one sequence."""
    az = rng.uniform(-0.8, 0.8)
    light = Light(
        direction=(float(np.sin(az)), float(-rng.uniform(0.3, 0.9)), float(-np.cos(az))),
        ambient=float(rng.uniform(0.3, 0.5)),
        diffuse=float(rng.uniform(0.55, 0.8)),
        specular=float(rng.uniform(0.02, 0.1)),
        wrap=float(rng.uniform(0.2, 0.5)),
        colour=tuple(map(float, np.clip(1 + rng.normal(0, 0.04, 3), 0.85, 1.1))),
    )
    return Shot(
        image_size=int(image_size),
        fov_deg=float(rng.uniform(42, 52)),
        distance=float(rng.uniform(0.75, 1.0)),
        yaw_deg=float(rng.uniform(-15, 15)),
        pitch_deg=float(rng.uniform(-8, 8)),
        offset=(float(rng.uniform(-0.04, 0.04)), float(rng.uniform(-0.13, -0.07))),
        light=light,
        blur_sigma=float(rng.uniform(0.3, 1.0)),
        noise_sigma=float(rng.uniform(1.0, 5.0)),
        jpeg_quality=int(rng.integers(60, 96)),
        other_hand=bool(rng.random() < 0.5),
        background_seed=int(rng.integers(2**31)),
    )


def background_image(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """(H, W, 3) uint8 indoor clutter: a wall with a light gradient, framed pictures, shelves with objects,
    a door or window edge, and soft blobs, all slightly out of focus."""
    wall = np.array(_hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.0, 0.35), rng.uniform(0.35, 0.9)))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    gx, gy = rng.normal(0, 0.25, 2)
    shade = 1 + gx * (xx / width - 0.5) + gy * (yy / height - 0.5)
    img = wall[None, None, :] * shade[..., None]
    s = width / 256
    n_items = int(rng.integers(3, 9))
    for _ in range(n_items):
        kind = rng.random()
        colour = np.array(_hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.95)))
        x0, y0 = rng.uniform(-0.1, 1.0) * width, rng.uniform(-0.1, 0.9) * height
        if kind < 0.4:  # framed picture / poster
            w, h = rng.uniform(25, 90) * s, rng.uniform(25, 90) * s
            frame = np.array(_hsv_to_rgb(0, 0, rng.uniform(0.05, 0.95)))
            _rect(img, x0 - 3 * s, y0 - 3 * s, x0 + w + 3 * s, y0 + h + 3 * s, frame)
            _rect(img, x0, y0, x0 + w, y0 + h, colour)
            for _ in range(int(rng.integers(0, 4))):  # content of the picture
                c2 = np.array(_hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0, 1)))
                u0, v0 = x0 + rng.uniform(0, w), y0 + rng.uniform(0, h)
                _rect(
                    img, u0, v0, min(u0 + rng.uniform(4, 30) * s, x0 + w), min(v0 + rng.uniform(4, 30) * s, y0 + h), c2
                )
        elif kind < 0.65:  # shelf with objects
            w = rng.uniform(60, 200) * s
            _rect(img, x0, y0, x0 + w, y0 + 5 * s, colour * 0.7)
            u = x0
            while u < x0 + w - 5 * s:
                bw, bh = rng.uniform(4, 14) * s, rng.uniform(10, 35) * s
                c2 = np.array(_hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.2, 0.9), rng.uniform(0.2, 0.9)))
                _rect(img, u, y0 - bh, u + bw, y0, c2)
                u += bw + rng.uniform(0, 6) * s
        elif kind < 0.8:  # door or window edge: a tall band
            w = rng.uniform(15, 60) * s
            _rect(img, x0, 0, x0 + w, height, colour)
            _rect(img, x0 + w, 0, x0 + w + 3 * s, height, colour * 0.6)
        else:  # soft blob (plant, lamp, out-of-focus object)
            r = rng.uniform(10, 45) * s
            blob = np.exp(-(((xx - x0) ** 2 + (yy - y0) ** 2) / (2 * r * r)))[..., None]
            img = img * (1 - blob) + colour * blob
    img = cv2.GaussianBlur(np.clip(img, 0, 1).astype(np.float32), (0, 0), 1.2 * s)
    return (img * 255 + 0.5).astype(np.uint8)


def _rect(img: np.ndarray, x0, y0, x1, y1, colour) -> None:
    h, w = img.shape[:2]
    a, b = int(max(0, round(x0))), int(min(w, round(x1)))
    c, d = int(max(0, round(y0))), int(min(h, round(y1)))
    if a < b and c < d:
        img[c:d, a:b] = colour


def elbow_position(
    shoulder: np.ndarray, wrist: np.ndarray, hand_dir: np.ndarray, upper_arm: float, forearm: float, side_sign: float
) -> np.ndarray:
    """Elbow (3,) body frame, by two-bone inverse kinematics from the shoulder to the wrist (metres).

    The bend plane is chosen so that the forearm points back from the wrist along a blend of the hand's
    direction ``hand_dir`` and a relaxed 'forearm up, elbow low and out to the side' direction, so the wrist
    does not look broken; when the wrist is out of reach the arm is straight."""
    relaxed = np.array([-0.35 * side_sign, -1.0, -0.3])
    relaxed /= np.linalg.norm(relaxed)
    hd = hand_dir / max(np.linalg.norm(hand_dir), 1e-9)
    direction = 0.5 * hd + 0.5 * relaxed
    direction /= max(np.linalg.norm(direction), 1e-9)
    preferred = wrist - forearm * direction
    sw = wrist - shoulder
    d = float(np.linalg.norm(sw))
    u = sw / max(d, 1e-9)
    if d >= upper_arm + forearm - 1e-6:
        return shoulder + u * upper_arm
    d = max(d, abs(upper_arm - forearm) + 1e-6)
    a = (upper_arm**2 - forearm**2 + d * d) / (2 * d)
    h = np.sqrt(max(upper_arm**2 - a * a, 0.0))
    pole = preferred - shoulder - ((preferred - shoulder) @ u) * u
    if np.linalg.norm(pole) < 1e-6:
        pole = np.array([0.0, 1.0, 0.0]) - u[1] * u
    pole /= np.linalg.norm(pole)
    return shoulder + a * u + h * pole


class SignerScene:
    """One sequence's scene: camera, static layer and the per-frame compositing of the signing arm.

    look: the signer; shot: camera, light, defects; side: 'right' or 'left' (the signing hand);
    hand_shape: the signer's ``hand.HandShape``; rng: for the resting hand's pose.
    """

    def __init__(self, look: SignerLook, shot: Shot, side: str, hand_shape, rng: np.random.Generator):
        from . import hand as hand_mod

        if side not in ("right", "left"):
            raise ValueError(f"signing side must be 'right' or 'left', got {side!r}")
        self.look, self.shot, self.side, self.hand_shape = look, shot, side, hand_shape
        self._hand = hand_mod
        self.camera = Camera.from_fov(shot.image_size, shot.image_size, shot.fov_deg)
        # body -> camera: rotate about the sternum, then push the signer away from the camera
        # the signing hand's side in the body frame: a right-handed signer's shoulder is at image left
        self.side_sign = -1.0 if side == "right" else 1.0
        self.rotation = Rotation.from_euler("yx", [shot.yaw_deg, shot.pitch_deg], degrees=True).as_matrix()
        # the camera centres a little towards the signing side, so the signing space stays in the frame
        self.translation = np.array(
            [-(shot.offset[0] + self.side_sign * SIGNING_SIDE_SHIFT), -shot.offset[1], shot.distance]
        )
        sw = look.shoulder_half_width
        self.shoulder = np.array([self.side_sign * sw, -0.13, 0.03])
        self.other_shoulder = np.array([-self.side_sign * sw, -0.13, 0.03])
        # the anchor's x offset points towards the body's midline for either hand
        self.anchor = self.shoulder + np.array(ANCHOR_FROM_SHOULDER) * np.array([-self.side_sign, 1, 1])
        self.other_keypoints = None
        self._noise = None
        # palms are lighter and pinker than the back of the hand, markedly so for dark skin
        skin = np.array(look.skin)
        self.palm_colour = np.clip(
            skin + (np.array([0.92, 0.70, 0.62]) - skin) * (0.15 + 0.08 * look.skin_tone), 0, 1
        ).astype(np.float32)
        bg = background_image(np.random.default_rng(shot.background_seed), shot.image_size, shot.image_size)
        self.layer: Layer = render_layer(self._static_primitives(rng), self.camera, bg, shot.light)

    # --- coordinates -------------------------------------------------------------------------------
    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) body-frame metres -> camera-frame metres."""
        return points @ self.rotation.T + self.translation

    def pose_to_camera(self, pose: np.ndarray) -> np.ndarray:
        """(..., 16, 3) axis-angle pose whose global orientation is for a camera-facing signer -> the same
        pose with the global orientation (joint 0) expressed in this shot's camera frame."""
        out = np.array(pose, np.float64, copy=True)
        g = Rotation.from_rotvec(out[..., 0, :].reshape(-1, 3))
        out[..., 0, :] = (Rotation.from_matrix(self.rotation) * g).as_rotvec().reshape(out[..., 0, :].shape)
        return out.astype(np.float32)

    def wrist_to_camera(self, wrist: np.ndarray) -> np.ndarray:
        """(..., 3) wrist positions relative to the signing-space anchor (camera-facing frame) -> camera frame."""
        return self.to_camera(self.anchor + np.asarray(wrist))

    def place(self, pose: np.ndarray, wrist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Put a :class:`fslib.synth.motion.Motion`'s hand into this shot.

        pose: (T, 16, 3) axis-angle with the global orientation for a camera-facing signer (a left hand in
        the mirror convention of :mod:`fslib.synth.hand`); wrist: (T, 3) metres relative to the anchor.
        Returns (pose (T, 16, 3) float32 with the global orientation in this camera's frame, translation
        (T, 3) float32, the wrist in the camera frame) such that
        ``hand.forward_kinematics(pose, shape, side, translation)`` gives the hand as this camera sees it.
        For a left hand the orientation follows the hand model's mirror convention."""
        pose = np.array(pose, np.float64, copy=True)
        world_wrist = self.wrist_to_camera(wrist)
        R = self.rotation
        if self.side == "left":
            M = np.diag([-1.0, 1.0, 1.0])
            R = M @ R @ M
        translation = world_wrist
        g = Rotation.from_rotvec(pose[:, 0])
        pose[:, 0] = (Rotation.from_matrix(R) * g).as_rotvec()
        return pose.astype(np.float32), translation.astype(np.float32)

    # --- primitives -----------------------------------------------------------------------------------
    def _static_primitives(self, rng: np.random.Generator) -> Primitives:
        lk = self.look
        skin, shirt, hair = np.array(lk.skin), np.array(lk.shirt), np.array(lk.hair)
        sw, hs = lk.shoulder_half_width, lk.head_scale
        P = Primitives.empty()
        # torso, shoulders, neck
        P += _ellipsoids([0, 0.14, 0.09], _diag(sw * 1.02, 0.32, 0.12), shirt, BODY)
        P += _box3([-sw, -0.12, 0.05], [sw, -0.12, 0.05], 0.065, shirt, BODY)
        P += _box3([0, -0.15, 0.06], [0, -0.25, 0.05], 0.055, skin, BODY)
        # head: skull, hair, ears, face features
        hc = np.array([0, -0.33 * hs - 0.02, 0.04])
        P += _ellipsoids(hc, _diag(0.074 * hs, 0.098 * hs, 0.088 * hs), skin, HEAD)
        hv = lk.hair_volume
        P += _ellipsoids(
            hc + np.array([0, -0.025, 0.025]) * hs,
            _diag((0.082 + 0.02 * hv) * hs, (0.092 + 0.03 * hv) * hs, 0.09 * hs),
            hair,
            HEAD,
        )
        for sx in (-1, 1):
            P += _ellipsoids(
                hc + np.array([sx * 0.074, 0.005, 0.01]) * hs, _diag(0.012, 0.024, 0.016) * hs, skin * 0.95, HEAD
            )
            P += _ellipsoids(
                hc + np.array([sx * 0.029, -0.012, -0.074]) * hs,
                _diag(0.012, 0.006, 0.006) * hs,
                [0.95, 0.95, 0.93],
                HEAD,
            )
            P += _ellipsoids(
                hc + np.array([sx * 0.029, -0.012, -0.078]) * hs,
                _diag(0.0055, 0.0055, 0.004) * hs,
                [0.1, 0.07, 0.05],
                HEAD,
            )
            P += _box3(
                hc + np.array([sx * 0.015, -0.032, -0.074]) * hs,
                hc + np.array([sx * 0.045, -0.03, -0.066]) * hs,
                0.004 * hs,
                hair * 0.8,
                HEAD,
            )
        P += _ellipsoids(hc + np.array([0, 0.012, -0.085]) * hs, _diag(0.011, 0.02, 0.014) * hs, skin * 0.97, HEAD)
        P += _ellipsoids(
            hc + np.array([0, 0.05, -0.075]) * hs,
            _diag(0.022, 0.006, 0.006) * hs,
            skin * np.array([0.8, 0.55, 0.55]),
            HEAD,
        )
        # the non-signing arm hangs down; its hand rests at the waist, in view or just below the frame
        so = self.other_shoulder
        s_o = -self.side_sign
        elbow = so + np.array([s_o * 0.03, 0.27, 0.02])
        if self.shot.other_hand:
            wrist = np.array([s_o * 0.0, 0.36, -0.16])
        else:
            wrist = so + np.array([s_o * 0.02, 0.52, 0.0])
        sleeve_end = wrist if lk.long_sleeves else elbow
        P += _box3(so, elbow, 0.048, shirt, ARM)
        if lk.long_sleeves:
            P += _box3(elbow, elbow + 0.85 * (wrist - elbow), 0.042, shirt, ARM)
        P += _box3(sleeve_end if not lk.long_sleeves else elbow + 0.8 * (wrist - elbow), wrist, 0.03, skin, ARM)
        P = self._to_camera_prims(P)
        # the resting hand: a relaxed pose, palm inwards, fingers pointing across the body
        hm = self._hand
        other_side = "left" if self.side == "right" else "right"
        pose = np.zeros((16, 3), np.float32)
        pose[1:] = hm.sample_random_pose(rng, 1)[0, 1:] * 0.35
        fwd = (elbow - wrist) * -1
        rot = _orientation_towards(fwd / np.linalg.norm(fwd), np.array([0.0, 0.0, -1.0]))
        world = self.rotation @ rot
        cam_wrist = self.to_camera(wrist)
        if other_side == "left":  # the hand model's mirror convention for left-hand orientations
            M = np.diag([-1.0, 1.0, 1.0])
            world = M @ world @ M
        pose[0] = Rotation.from_matrix(world).as_rotvec()
        fk = hm.forward_kinematics(pose[None], self.hand_shape, other_side, cam_wrist[None])
        kp = np.asarray(fk.keypoints)[0]
        self.other_keypoints = kp
        P += hm.hand_primitives(kp, self.hand_shape, other_side, skin, part=OTHER_HAND)
        return P

    def _to_camera_prims(self, P: Primitives) -> Primitives:
        R = self.rotation.astype(np.float32)
        return Primitives(
            self.to_camera(P.cap_a).astype(np.float32),
            self.to_camera(P.cap_b).astype(np.float32),
            P.cap_r,
            P.cap_color,
            P.cap_part,
            self.to_camera(P.ell_centre).astype(np.float32),
            np.einsum("ij,njk->nik", R, P.ell_axes).astype(np.float32),
            P.ell_color,
            P.ell_part,
        )

    def arm_primitives(self, keypoints: np.ndarray) -> Primitives:
        """Upper arm and forearm of the signing side for hand keypoints (21, 3) in the camera frame."""
        lk = self.look
        skin, shirt = np.array(lk.skin), np.array(lk.shirt)
        inv = self.rotation.T
        kp_body = (keypoints - self.translation) @ inv.T
        wrist = kp_body[0]
        hand_dir = kp_body[9] - kp_body[0]  # wrist -> middle-finger MCP
        elbow = elbow_position(self.shoulder, wrist, hand_dir, lk.upper_arm_length, lk.forearm_length, self.side_sign)
        a = [self.shoulder]
        b = [elbow]
        r = [0.047]
        col = [shirt]
        # the forearm: a thicker part near the elbow, slimmer at the wrist; sleeve up to near the wrist
        mid = elbow + 0.55 * (wrist - elbow)
        wrist_in = wrist + 0.01 * (elbow - wrist) / max(np.linalg.norm(elbow - wrist), 1e-9)
        if lk.long_sleeves:
            cuff = elbow + 0.78 * (wrist - elbow)
            a += [elbow, cuff]
            b += [cuff, wrist_in]
            r += [0.043, 0.026]
            col += [shirt, skin]
        else:
            a += [elbow, mid]
            b += [mid, wrist_in]
            r += [0.036, 0.028]
            col += [skin, skin]
        P = _box3(np.array(a), np.array(b), np.array(r), np.array(col), ARM)
        return self._to_camera_prims(P)

    def render_frame(self, keypoints: np.ndarray, as_float: bool = False):
        """Image (H, W, 3) uint8 (float32 in [0, 1] with ``as_float``) and part mask (H, W) int8 for signing
        hand keypoints (21, 3) in the camera frame, metres. No blur or noise yet (see :meth:`degrade`)."""
        hm = self._hand
        prims = self.arm_primitives(keypoints) + hm.hand_primitives(
            keypoints, self.hand_shape, self.side, np.array(self.look.skin), part=SIGNING_HAND
        )
        palm_normal = hm.palm_frame(keypoints, self.side)[1][:, 2]
        return render_over(
            self.layer, prims, self.shot.light, as_float=as_float, palm=(SIGNING_HAND, palm_normal, self.palm_colour)
        )

    def render_frames(self, keypoints: np.ndarray, batch: int = 8):
        """Render a sequence: keypoints (T, 21, 3) camera frame, metres. Yields (image (H, W, 3) uint8,
        part mask (H, W) int8) per frame; ``batch`` frames are rendered in one vectorised pass."""
        hm = self._hand
        skin = np.array(self.look.skin)
        for s in range(0, len(keypoints), batch):
            kps = keypoints[s : s + batch]
            prims = [
                self.arm_primitives(k) + hm.hand_primitives(k, self.hand_shape, self.side, skin, part=SIGNING_HAND)
                for k in kps
            ]
            palms = [(SIGNING_HAND, hm.palm_frame(k, self.side)[1][:, 2], self.palm_colour) for k in kps]
            images, parts = render_over_batch(self.layer, prims, self.shot.light, palms)
            yield from zip(images, parts)

    def degrade(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Defocus blur and sensor noise on an RGB uint8 (H, W, 3) frame; returns a new uint8 frame.

        The noise of a frame is a randomly shifted window of a per-sequence noise field (Gaussian, sd
        ``shot.noise_sigma``), which costs a slice instead of drawing H x W x 3 normals per frame."""
        sigma = self.shot.blur_sigma * self.shot.image_size / 256
        img = cv2.GaussianBlur(image, (0, 0), sigma) if sigma > 0.05 else image
        if self.shot.noise_sigma <= 0:
            return img.copy() if img is image else img
        h, w = img.shape[:2]
        if self._noise is None:
            nrng = np.random.default_rng(self.shot.background_seed + 1)
            self._noise = np.round(nrng.normal(0, self.shot.noise_sigma, (h + 32, w + 32, 3))).astype(np.int16)
        dy, dx = rng.integers(0, 33, 2)
        out = img.astype(np.int16)
        out += self._noise[dy : dy + h, dx : dx + w]
        return np.clip(out, 0, 255).astype(np.uint8)


def _orientation_towards(forward: np.ndarray, palm_normal_hint: np.ndarray) -> np.ndarray:
    """Rotation (3, 3) whose columns (x, y, z) put the hand's forward axis along ``forward``; the hand
    model's rest pose points the fingers along -y (up) with the palm facing +z (away from the camera)."""
    y = -forward / np.linalg.norm(forward)
    z = palm_normal_hint - (palm_normal_hint @ y) * y
    if np.linalg.norm(z) < 1e-6:
        z = np.array([1.0, 0, 0]) - y[0] * y
    z /= np.linalg.norm(z)
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=1)


def mask_box(mask: np.ndarray, part: int) -> np.ndarray:
    """Tight (x0, y0, x1, y1) pixel box of ``part`` in a part mask (H, W); NaNs when it is not visible."""
    ys, xs = np.nonzero(mask == part)
    if len(xs) == 0:
        return np.full(4, np.nan, np.float32)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


__all__ = [
    "SKIN_TONES",
    "ANCHOR_FROM_SHOULDER",
    "SignerLook",
    "sample_look",
    "Shot",
    "sample_shot",
    "background_image",
    "SignerScene",
    "elbow_position",
    "mask_box",
    "CLUTTER",
]
