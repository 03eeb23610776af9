"""An articulated hand with the MANO joint layout: forward kinematics, joint limits, signer hand shapes and
the capsule/ellipsoid primitives the renderer draws.

Canonical frame (the hand's rest frame, and the camera frame when the global orientation is zero):
metres, OpenCV axes (x right, y down, z forward away from the camera). The zero pose of a RIGHT hand is a
flat hand held up in front of the camera: wrist at the origin, the four fingers straight, together and
pointing up (-y), the palm facing the camera (palm normal -z, back of the hand +z), the thumb on the +x side
of the image, lying in front of the palm plane about 40 degrees out from the index finger. This is the
"neutral signing orientation" of a right-handed signer who faces the camera.

Pose: MANO-style theta, ``(..., 16, 3)`` axis-angle vectors in radians in MANO joint order
(:data:`MANO_JOINT_NAMES`). ``pose[..., 0, :]`` is the global orientation of the hand (camera frame);
``pose[..., j, :]`` for j >= 1 is the rotation of joint j relative to its parent, expressed, as in MANO, in
the rest-pose axes (which coincide with the canonical frame). The wrist position is a separate
``translation`` ``(..., 3)``, so keypoint 0 (the wrist) equals the translation.

Anatomical coordinates: each joint j has a fixed rest-frame basis ``B_j`` (3 x 3, columns e1, e2, e3) with
e1 the flexion axis, e2 the bone axis pointing back towards the wrist, e3 = e1 x e2 the abduction axis. The
anatomical angles of a joint are ``a_j = B_j^T pose_j`` (flexion, twist, abduction), radians; positive
flexion curls the finger towards the palm. For the four fingers B_j is the identity (so pose = angles:
x flexion, y twist, z abduction, positive z moves a finger towards the thumb side); the thumb has an
oblique basis (positive flexion moves it across the palm, positive abduction lifts it away from the palm
towards the camera, i.e. palmar abduction). :func:`joint_limits` gives the box limits in these angles.

Left hands are mirror images of right hands: for ``side="left"`` the same pose values give the hand that a
right hand with that pose would show in the horizontally flipped scene (mirror x -> -x, through the camera
centre). So a left-handed signer uses the same letter poses, and flipping the image of a left hand gives a
right hand with exactly the stored pose (how HaMeR treats left hands). The rotation matrices returned for a
left hand are the proper world rotations ``M G M`` with ``M = diag(-1, 1, 1)``; the stored axis-angle of a
left hand differs from a MANO left-hand theta by the sign of its y and z components (:func:`mirror_pose`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import numpy as np

from . import primitives as prim

KEYPOINT_NAMES: tuple[str, ...] = (
    "wrist",
    "thumb_cmc",
    "thumb_mcp",
    "thumb_ip",
    "thumb_tip",
    "index_mcp",
    "index_pip",
    "index_dip",
    "index_tip",
    "middle_mcp",
    "middle_pip",
    "middle_dip",
    "middle_tip",
    "ring_mcp",
    "ring_pip",
    "ring_dip",
    "ring_tip",
    "pinky_mcp",
    "pinky_pip",
    "pinky_dip",
    "pinky_tip",
)
MANO_JOINT_NAMES: tuple[str, ...] = (
    "wrist",
    "index1",
    "index2",
    "index3",
    "middle1",
    "middle2",
    "middle3",
    "pinky1",
    "pinky2",
    "pinky3",
    "ring1",
    "ring2",
    "ring3",
    "thumb1",
    "thumb2",
    "thumb3",
)
FINGERS: tuple[str, ...] = ("thumb", "index", "middle", "ring", "pinky")
# MANO joints of each finger (proximal to distal), in FINGERS order
FINGER_JOINTS: dict[str, tuple[int, int, int]] = {
    "thumb": (13, 14, 15),
    "index": (1, 2, 3),
    "middle": (4, 5, 6),
    "ring": (10, 11, 12),
    "pinky": (7, 8, 9),
}
MANO_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14)
# keypoint index of each MANO joint, and of each finger's tip (FINGERS order)
MANO_TO_KEYPOINT: tuple[int, ...] = (0, 5, 6, 7, 9, 10, 11, 17, 18, 19, 13, 14, 15, 1, 2, 3)
TIP_KEYPOINTS: tuple[int, ...] = (4, 8, 12, 16, 20)
TIP_PARENT_JOINT: tuple[int, ...] = (15, 3, 6, 12, 9)
# bones of the 21-keypoint skeleton (parent, child), as drawn by MediaPipe
SKELETON: tuple[tuple[int, int], ...] = (
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 4),
    (0, 5),
    (5, 6),
    (6, 7),
    (7, 8),
    (5, 9),
    (9, 10),
    (10, 11),
    (11, 12),
    (9, 13),
    (13, 14),
    (14, 15),
    (15, 16),
    (13, 17),
    (0, 17),
    (17, 18),
    (18, 19),
    (19, 20),
)
MIRROR = np.diag([-1.0, 1.0, 1.0])

# thumb geometry in the rest pose (right hand, canonical frame)
_THUMB_SPLAY_DEG = 40.0  # angle between the thumb and the index finger, in the palm plane
_THUMB_LIFT = 0.25  # how far the rest thumb points in front of the palm (z component before norm)
_THUMB_FLEX_TILT = 0.45  # how much thumb flexion also moves the thumb towards the palm side


# ----------------------------------------------------------------------------------------------- rotations
def rotvec_to_matrix(v: np.ndarray) -> np.ndarray:
    """Rodrigues: axis-angle ``(..., 3)`` radians -> rotation matrices ``(..., 3, 3)`` (float64)."""
    v = np.asarray(v, np.float64)
    if v.shape == (3,):  # fast path for one vector (used heavily by the motion code)
        th = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
        if th < 1e-8:
            return np.array([[1.0, -v[2], v[1]], [v[2], 1.0, -v[0]], [-v[1], v[0], 1.0]])
        x, y, z = v / th
        c, s_ = math.cos(th), math.sin(th)
        C = 1.0 - c
        return np.array(
            [
                [c + x * x * C, x * y * C - z * s_, x * z * C + y * s_],
                [y * x * C + z * s_, c + y * y * C, y * z * C - x * s_],
                [z * x * C - y * s_, z * y * C + x * s_, c + z * z * C],
            ]
        )
    theta = np.linalg.norm(v, axis=-1, keepdims=True)
    small = theta < 1e-8
    k = v / np.where(small, 1.0, theta)
    kx, ky, kz = k[..., 0], k[..., 1], k[..., 2]
    zero = np.zeros_like(kx)
    K = np.stack([zero, -kz, ky, kz, zero, -kx, -ky, kx, zero], -1).reshape(v.shape[:-1] + (3, 3))
    s, c = np.sin(theta)[..., None], np.cos(theta)[..., None]
    R = np.eye(3) + s * K + (1 - c) * (K @ K)
    # first-order formula for tiny angles (exact limit, avoids 0/0)
    Ks = np.stack([zero, -v[..., 2], v[..., 1], v[..., 2], zero, -v[..., 0], -v[..., 1], v[..., 0], zero], -1).reshape(
        R.shape
    )
    return np.where(small[..., None], np.eye(3) + Ks, R)


def matrix_to_rotvec(R: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` -> axis-angle ``(..., 3)`` radians, angle in [0, pi]."""
    from scipy.spatial.transform import Rotation

    R = np.asarray(R, np.float64)
    if R.shape == (3, 3):  # fast path for one matrix, away from the angle-pi singularity
        cos = max(-1.0, min(1.0, 0.5 * (R[0, 0] + R[1, 1] + R[2, 2] - 1.0)))
        w = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
        if cos > 0.9999995:
            return 0.5 * w
        if cos > -0.99:
            th = math.acos(cos)
            return w * (th / (2.0 * math.sin(th)))
    flat = R.reshape(-1, 3, 3)
    if len(flat) == 0:
        return np.zeros(R.shape[:-2] + (3,))
    return Rotation.from_matrix(flat).as_rotvec().reshape(R.shape[:-2] + (3,))


def mirror_pose(pose: np.ndarray) -> np.ndarray:
    """Convert a pose between this module's left-hand convention (pose of the mirrored right hand) and the
    proper axis-angle of the mirrored rotations: ``(x, y, z) -> (x, -y, -z)`` per joint. ``(..., 16, 3)``."""
    return np.asarray(pose) * np.array([1.0, -1.0, -1.0])


# ----------------------------------------------------------------------------------------------- hand shape
@dataclasses.dataclass(frozen=True)
class HandShape:
    """One signer's hand geometry, metres.

    phalanges: 15 lengths, 3 per finger in :data:`FINGERS` order (thumb: metacarpal CMC->MCP, proximal
        MCP->IP, distal IP->tip; fingers: proximal MCP->PIP, middle PIP->DIP, distal DIP->tip).
    palm_length: wrist keypoint to middle-finger MCP along the fingers (y).  palm_width: index MCP to pinky
        MCP across the palm (x), joint centres.
    finger_radius: 5 radii of the proximal segments (FINGERS order); distal segments taper.
    palm_thickness: full dorso-palmar thickness of the palm.
    """

    phalanges: tuple[float, ...] = (
        0.041,
        0.031,
        0.027,
        0.041,
        0.025,
        0.021,
        0.045,
        0.029,
        0.022,
        0.042,
        0.027,
        0.022,
        0.033,
        0.020,
        0.019,
    )
    palm_length: float = 0.094
    palm_width: float = 0.062
    finger_radius: tuple[float, ...] = (0.0105, 0.0092, 0.0093, 0.0088, 0.0078)
    palm_thickness: float = 0.028

    def __post_init__(self) -> None:
        if len(self.phalanges) != 15 or len(self.finger_radius) != 5:
            raise ValueError(
                f"HandShape needs 15 phalanx lengths and 5 finger radii, got {len(self.phalanges)} and "
                f"{len(self.finger_radius)}; pass them in FINGERS order (thumb, index, middle, ring, pinky)"
            )
        vals = (*self.phalanges, self.palm_length, self.palm_width, *self.finger_radius, self.palm_thickness)
        if not all(0.001 < v < 0.3 for v in vals):
            raise ValueError(f"HandShape lengths must be metres between 0.001 and 0.3, got {vals}")

    @classmethod
    def default(cls) -> HandShape:
        """An average adult hand (hand length about 0.185 m)."""
        return cls()

    @classmethod
    def sample(cls, rng: np.random.Generator, scale_sd: float = 0.07, part_sd: float = 0.04) -> HandShape:
        """A random signer: an overall size factor ~ N(1, scale_sd) (clipped to 0.8-1.2) times small
        independent proportions per part ~ N(1, part_sd) (clipped to +-3 sd)."""
        d = cls()
        s = float(np.clip(rng.normal(1.0, scale_sd), 0.8, 1.2))

        def f(n: int) -> np.ndarray:
            return s * np.clip(rng.normal(1.0, part_sd, n), 1 - 3 * part_sd, 1 + 3 * part_sd)

        thick = float(np.clip(rng.normal(1.0, 0.08), 0.8, 1.25))  # finger thickness varies more
        return cls(
            phalanges=tuple(float(x) for x in np.asarray(d.phalanges) * f(15)),
            palm_length=float(d.palm_length * f(1)[0]),
            palm_width=float(d.palm_width * f(1)[0]),
            finger_radius=tuple(float(x) for x in np.asarray(d.finger_radius) * s * thick),
            palm_thickness=float(d.palm_thickness * s * thick),
        )

    def as_vector(self) -> np.ndarray:
        """``(23,)`` float32: 15 phalanges, palm length, palm width, 5 finger radii, palm thickness (m)."""
        return np.array(
            [*self.phalanges, self.palm_length, self.palm_width, *self.finger_radius, self.palm_thickness], np.float32
        )

    @classmethod
    def from_vector(cls, v: np.ndarray) -> HandShape:
        """Inverse of :meth:`as_vector`."""
        v = [float(x) for x in np.asarray(v).ravel()]
        if len(v) != 23:
            raise ValueError(f"HandShape.from_vector needs 23 numbers, got {len(v)}")
        return cls(tuple(v[:15]), v[15], v[16], tuple(v[17:22]), v[22])

    def lengths(self, finger: str) -> np.ndarray:
        """``(3,)`` phalanx lengths of one finger (name from :data:`FINGERS`), metres."""
        i = FINGERS.index(finger)
        return np.asarray(self.phalanges[3 * i : 3 * i + 3])


def _thumb_direction() -> np.ndarray:
    a = np.deg2rad(_THUMB_SPLAY_DEG)
    d = np.array([np.sin(a), -np.cos(a), -_THUMB_LIFT])
    return d / np.linalg.norm(d)


def anatomical_frames() -> np.ndarray:
    """``(16, 3, 3)`` rest-frame bases B_j (columns: flexion axis, bone axis towards the wrist, abduction
    axis) of a right hand; identity for the wrist and the four fingers."""
    B = np.tile(np.eye(3), (16, 1, 1))
    d = _thumb_direction()
    a = np.deg2rad(_THUMB_SPLAY_DEG)
    n = np.array([-np.cos(a), -np.sin(a), -_THUMB_FLEX_TILT])  # across the palm, towards its palm side
    n = n - (n @ d) * d
    n /= np.linalg.norm(n)
    e1 = np.cross(d, n)
    e2 = -d
    e3 = np.cross(e1, e2)
    for j in FINGER_JOINTS["thumb"]:
        B[j] = np.stack([e1, e2, e3], axis=1)
    return B


_B = anatomical_frames()


def pose_to_angles(pose: np.ndarray) -> np.ndarray:
    """Axis-angle pose ``(..., 16, 3)`` -> anatomical angles ``(..., 16, 3)`` (flexion, twist, abduction),
    radians. Row 0 (global orientation) is passed through unchanged."""
    return np.einsum("jba,...jb->...ja", _B, np.asarray(pose, np.float64))


def angles_to_pose(angles: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pose_to_angles`: ``(..., 16, 3)`` radians."""
    return np.einsum("jab,...jb->...ja", _B, np.asarray(angles, np.float64))


def rest_joints(shape: HandShape) -> tuple[np.ndarray, np.ndarray]:
    """Rest (zero-pose) positions of a right hand with the wrist at the origin, canonical frame, metres:
    ``(16, 3)`` MANO joints and ``(5, 3)`` fingertips in :data:`FINGERS` order."""
    J = np.zeros((16, 3))
    tips = np.zeros((5, 3))
    pl, pw = shape.palm_length, shape.palm_width
    # knuckle line: x across the palm (index on the thumb side), y up, slight arch
    mcp_x = {"index": 0.5, "middle": 0.16, "ring": -0.17, "pinky": -0.5}
    mcp_y = {"index": 0.965, "middle": 1.0, "ring": 0.955, "pinky": 0.87}
    mcp_z = {"index": 0.0, "middle": 0.0, "ring": 0.0, "pinky": 0.0}
    up = np.array([0.0, -1.0, 0.0])
    for fi, finger in enumerate(FINGERS):
        joints = FINGER_JOINTS[finger]
        L = shape.lengths(finger)
        if finger == "thumb":
            base = np.array([0.42 * pw, -0.25 * pl, -0.12 * shape.palm_thickness])
            d = _thumb_direction()
        else:
            base = np.array([mcp_x[finger] * pw, -mcp_y[finger] * pl, mcp_z[finger]])
            d = up
        J[joints[0]] = base
        J[joints[1]] = base + L[0] * d
        J[joints[2]] = base + (L[0] + L[1]) * d
        tips[fi] = base + L.sum() * d
    return J, tips


# ------------------------------------------------------------------------------------------------- limits
def joint_limits() -> tuple[np.ndarray, np.ndarray]:
    """Box limits ``(lo, hi)``, each ``(16, 3)``, in anatomical angles (flexion, twist, abduction), radians,
    of a right hand (left hands use the same values, see the module docstring). Row 0 (global orientation)
    is unbounded (-inf, inf). Abduction sign: positive moves a finger towards the thumb side. New arrays."""
    return _LIMITS[0].copy(), _LIMITS[1].copy()


def _joint_limits() -> tuple[np.ndarray, np.ndarray]:
    """Build the table returned by :func:`joint_limits`."""
    lo = np.full((16, 3), -np.inf)
    hi = np.full((16, 3), np.inf)
    d = np.deg2rad
    # (flexion lo, hi), (twist lo, hi), (abduction lo, hi) in degrees
    finger_mcp_abd = {"index": (-12, 25), "middle": (-15, 15), "ring": (-20, 12), "pinky": (-35, 12)}
    for finger in FINGERS[1:]:
        j1, j2, j3 = FINGER_JOINTS[finger]
        lo[j1], hi[j1] = d([-25, -12, finger_mcp_abd[finger][0]]), d([100, 12, finger_mcp_abd[finger][1]])
        lo[j2], hi[j2] = d([-5, -5, -5]), d([110, 5, 5])
        lo[j3], hi[j3] = d([-10, -5, -5]), d([85, 5, 5])
    t1, t2, t3 = FINGER_JOINTS["thumb"]
    lo[t1], hi[t1] = d([-35, -25, -15]), d([60, 60, 75])
    lo[t2], hi[t2] = d([-15, -12, -15]), d([70, 12, 15])
    lo[t3], hi[t3] = d([-20, -5, -5]), d([85, 5, 5])
    return lo, hi


_LIMITS = _joint_limits()
DIP_PIP_RATIO = 2.0 / 3.0  # DIP flexion follows PIP flexion (tendon coupling) ...
DIP_PIP_TOLERANCE = np.deg2rad(30.0)  # ... within this many radians
ABDUCTION_AT_FULL_FLEXION = 0.35  # fraction of the MCP abduction range left when the MCP is fully flexed


def clamp_pose(pose: np.ndarray) -> np.ndarray:
    """Project a pose ``(..., 16, 3)`` axis-angle onto the anatomical limits: the box of
    :func:`joint_limits` in anatomical angles, plus two couplings of the four fingers:
    DIP flexion within ``DIP_PIP_TOLERANCE`` of ``DIP_PIP_RATIO`` x PIP flexion, and the MCP abduction range
    shrinking linearly with MCP flexion to ``ABDUCTION_AT_FULL_FLEXION`` of itself at full flexion.
    The global orientation (row 0) is unchanged. Returns a new float64 array."""
    pose = np.asarray(pose, np.float64)
    if pose.shape[-2:] != (16, 3):
        raise ValueError(f"clamp_pose: pose must have shape (..., 16, 3), got {pose.shape}")
    a = pose_to_angles(pose)
    lo, hi = joint_limits()
    a = np.clip(a, lo, hi)
    for finger in FINGERS[1:]:
        j1, j2, j3 = FINGER_JOINTS[finger]
        frac = np.clip(a[..., j1, 0] / hi[j1, 0], 0.0, 1.0)
        keep = 1.0 - (1.0 - ABDUCTION_AT_FULL_FLEXION) * frac
        a[..., j1, 2] = np.clip(a[..., j1, 2], lo[j1, 2] * keep, hi[j1, 2] * keep)
        centre = DIP_PIP_RATIO * a[..., j2, 0]
        a[..., j3, 0] = np.clip(
            a[..., j3, 0],
            np.maximum(centre - DIP_PIP_TOLERANCE, lo[j3, 0]),
            np.minimum(centre + DIP_PIP_TOLERANCE, hi[j3, 0]),
        )
    out = angles_to_pose(a)
    out[..., 0, :] = pose[..., 0, :]
    return out


def random_rotvec(rng: np.random.Generator, n: int) -> np.ndarray:
    """``(n, 3)`` axis-angle vectors of rotations drawn uniformly over SO(3) (Haar measure)."""
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)  # w >= 0 -> angle in [0, pi]
    w = np.clip(q[:, 0], -1.0, 1.0)
    angle = 2 * np.arccos(w)
    s = np.sqrt(np.maximum(1 - w * w, 1e-16))
    return q[:, 1:] / s[:, None] * angle[:, None]


def sample_random_pose(rng: np.random.Generator, n: int) -> np.ndarray:
    """``(n, 16, 3)`` general hand poses, axis-angle: global orientation uniform over all of SO(3); each
    finger gets a curl level (Beta(0.6, 0.6), so open and closed fingers are both common) with per-joint
    noise, random spread and thumb angles anywhere in its limits; the result satisfies :func:`clamp_pose`."""
    if n < 0:
        raise ValueError(f"sample_random_pose: n must be >= 0, got {n}")
    lo, hi = joint_limits()
    a = np.zeros((n, 16, 3))
    a[:, 0] = random_rotvec(rng, n)
    for finger in FINGERS[1:]:
        j1, j2, j3 = FINGER_JOINTS[finger]
        curl = rng.beta(0.6, 0.6, n)
        for j in (j1, j2, j3):
            c = np.clip(curl + rng.normal(0, 0.15, n), 0, 1)
            a[:, j, 0] = lo[j, 0] * 0.5 * (1 - c) + hi[j, 0] * c
            a[:, j, 1] = rng.uniform(lo[j, 1], hi[j, 1], n) * 0.5
            a[:, j, 2] = rng.uniform(lo[j, 2], hi[j, 2], n)
        a[:, j3, 0] = DIP_PIP_RATIO * a[:, j2, 0] + rng.normal(0, 0.15, n)
    for j in FINGER_JOINTS["thumb"]:
        a[:, j] = rng.uniform(lo[j], hi[j], (n, 3))
    pose = angles_to_pose(a)
    pose[:, 0] = a[:, 0]
    return clamp_pose(pose)


# ------------------------------------------------------------------------------------------ kinematics
class FKResult(NamedTuple):
    """Forward-kinematics output.

    keypoints: ``(..., 21, 3)`` metres, :data:`KEYPOINT_NAMES` order.
    rotations: ``(..., 16, 3, 3)`` world (camera-frame) rotation of each MANO joint's frame.
    joints: ``(..., 16, 3)`` metres, MANO joint positions (a subset of the keypoints, MANO order).
    """

    keypoints: np.ndarray
    rotations: np.ndarray
    joints: np.ndarray


def forward_kinematics(
    pose: np.ndarray, shape: HandShape | None = None, side: str = "right", translation: np.ndarray | None = None
) -> FKResult:
    """Pose ``(..., 16, 3)`` axis-angle (MANO order; row 0 = global orientation, camera frame) and wrist
    position ``translation`` ``(..., 3)`` metres (default zero) -> :class:`FKResult`. ``side`` "right" or
    "left" (a left hand is the mirror image of the right hand with the same pose, see the module docstring).
    float64 throughout."""
    shape = HandShape.default() if shape is None else shape
    if side not in ("right", "left"):
        raise ValueError(f"forward_kinematics: side must be 'right' or 'left', got {side!r}")
    pose = np.asarray(pose, np.float64)
    if pose.shape[-2:] != (16, 3):
        raise ValueError(f"forward_kinematics: pose must have shape (..., 16, 3), got {pose.shape}")
    batch = pose.shape[:-2]
    t = (
        np.zeros(batch + (3,))
        if translation is None
        else np.broadcast_to(np.asarray(translation, np.float64), batch + (3,))
    )
    if side == "left":
        t = t * np.array([-1.0, 1.0, 1.0])
    J, tips = rest_joints(shape)
    R = rotvec_to_matrix(pose)  # (..., 16, 3, 3) local rotations
    G = np.empty_like(R)
    P = np.empty(batch + (16, 3))
    G[..., 0, :, :] = R[..., 0, :, :]
    P[..., 0, :] = t
    for j in range(1, 16):
        p = MANO_PARENTS[j]
        G[..., j, :, :] = G[..., p, :, :] @ R[..., j, :, :]
        P[..., j, :] = P[..., p, :] + np.einsum("...ab,b->...a", G[..., p, :, :], J[j] - J[p])
    kp = np.empty(batch + (21, 3))
    kp[..., list(MANO_TO_KEYPOINT), :] = P
    for fi, j in enumerate(TIP_PARENT_JOINT):
        kp[..., TIP_KEYPOINTS[fi], :] = P[..., j, :] + np.einsum("...ab,b->...a", G[..., j, :, :], tips[fi] - J[j])
    if side == "left":
        kp = kp * np.array([-1.0, 1.0, 1.0])
        P = P * np.array([-1.0, 1.0, 1.0])
        G = MIRROR @ G @ MIRROR
    return FKResult(kp, G, P)


# ------------------------------------------------------------------------------------------ primitives
SEGMENT_TAPER = (1.0, 0.9, 0.82)  # radius of proximal, middle, distal segment relative to finger_radius


def palm_frame(keypoints: np.ndarray, side: str = "right") -> tuple[np.ndarray, np.ndarray]:
    """Centre ``(3,)`` and orthonormal axes ``(3, 3)`` (columns: across the knuckles from pinky to index,
    wrist to knuckles, palm normal pointing out of the palm) of the palm of one hand ``(21, 3)``."""
    kp = np.asarray(keypoints, np.float64)
    knuckles = kp[[5, 9, 13, 17]].mean(0)
    v = knuckles - kp[0]
    v /= np.linalg.norm(v) + 1e-12
    u = kp[5] - kp[17]
    u = u - (u @ v) * v
    u /= np.linalg.norm(u) + 1e-12
    n = np.cross(u, v) * (1.0 if side == "right" else -1.0)
    centre = kp[0] + 0.5 * (knuckles - kp[0])
    return centre, np.stack([u, v, n], axis=1)


def hand_primitives(
    keypoints: np.ndarray,
    shape: HandShape | None = None,
    side: str = "right",
    color=(0.85, 0.65, 0.52),
    part: int = prim.SIGNING_HAND,
) -> prim.Primitives:
    """Solid hand of capsules and ellipsoids from its 21 keypoints ``(21, 3)`` metres (camera frame).

    Fingers: one capsule per phalanx (thumb metacarpal included) tapering towards the tip; the last capsule
    stops one radius short of the tip keypoint so the rendered fingertip surface lies at the keypoint.
    Palm: a flattened ellipsoid filling the palm, capsules along the metacarpals, across the knuckles and
    across the heel of the hand, and a thenar capsule joining the thumb to the palm. All share ``color``
    (RGB in [0, 1]) and the part id ``part``. float32 arrays."""
    shape = HandShape.default() if shape is None else shape
    kp = np.asarray(keypoints, np.float64)
    if kp.shape != (21, 3):
        raise ValueError(f"hand_primitives: keypoints must have shape (21, 3), got {kp.shape}")
    a, b, r = [], [], []
    chains = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
    for fi, chain in enumerate(chains):
        rf = shape.finger_radius[fi]
        for s in range(3):
            p, q = kp[chain[s]], kp[chain[s + 1]]
            rad = rf * SEGMENT_TAPER[s] * (1.12 if fi == 0 and s == 0 else 1.0)
            if s == 2:
                d = q - p
                L = np.linalg.norm(d)
                q = p + d * max(L - rad, 0.3 * L) / max(L, 1e-12)
            a.append(p), b.append(q), r.append(rad)
    centre, F = palm_frame(kp, side)
    u, v, n = F[:, 0], F[:, 1], F[:, 2]
    half_t = 0.5 * shape.palm_thickness
    rk = 0.5 * shape.palm_thickness * 0.9
    # metacarpals (wrist region to each knuckle), knuckle bar, heel of the hand, thenar
    heel_half = 0.32 * shape.palm_width
    wrist = kp[0] + 0.012 * v
    for k, x in zip((5, 9, 13, 17), (0.6, 0.2, -0.2, -0.6)):
        a.append(wrist + x * heel_half * u), b.append(kp[k]), r.append(rk)
    a.append(kp[5]), b.append(kp[17]), r.append(rk)
    a.append(wrist + heel_half * u), b.append(wrist - heel_half * u), r.append(rk * 1.1)
    a.append(wrist + 0.5 * heel_half * u - 0.25 * half_t * n), b.append(kp[2] - 0.3 * half_t * n)
    r.append(shape.finger_radius[0] * 1.35)
    knuckles = kp[[5, 9, 13, 17]].mean(0)
    length = np.linalg.norm(knuckles - kp[0])
    width = np.linalg.norm(kp[5] - kp[17])
    ell_c = (kp[0] + 0.55 * (knuckles - kp[0]))[None]
    ell_ax = np.stack([u * (0.5 * width + 0.6 * rk), v * (0.5 * length + 0.3 * rk), n * half_t], 1)[None]
    nc, ne = len(r), 1
    col = np.asarray(color, np.float32)
    return prim.Primitives(
        cap_a=np.asarray(a, np.float32),
        cap_b=np.asarray(b, np.float32),
        cap_r=np.asarray(r, np.float32),
        cap_color=np.tile(col, (nc, 1)),
        cap_part=np.full(nc, part, np.int8),
        ell_centre=np.asarray(ell_c, np.float32),
        ell_axes=np.asarray(ell_ax, np.float32),
        ell_color=np.tile(col, (ne, 1)),
        ell_part=np.full(ne, part, np.int8),
    )
