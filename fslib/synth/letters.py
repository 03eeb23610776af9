"""Letter handshapes: the 26 ASL fingerspelling letters and the 24 letters of the Greek Sign Language
(GSL) manual alphabet, as joint-angle targets plus a wrist orientation, for a RIGHT hand (left-handed
signers use the same values; see :mod:`fslib.synth.hand` for the mirror convention).

Every letter is written in anatomical degrees (see :func:`fslib.synth.hand.pose_to_angles`):
a finger as ``(MCP flexion, PIP flexion, DIP flexion, MCP abduction)``, the thumb as
``(CMC flexion, CMC abduction, CMC twist, MCP flexion, IP flexion)``, and the wrist orientation as a
sequence of rotations about the camera axes (degrees) applied to the neutral signing orientation (palm to
the camera, fingers up). Many letters share a handshape and differ only slightly (A/S/E/M/N/T, U/V/R/K,
G/Q, H/P, I/J, D/Z, ...), as in real signing; :data:`CONFUSABLE_GROUPS` lists them.

J and Z (and GSL Ζ) are movements: their :class:`LetterTarget` carries keyframes of pose and wrist offset.

Contacts (thumb pad on the index tip in F and O, on the middle tip in D, thumb holding the curled fingers
in U, V, W, H, R, ...) are solved once, for the default hand, by a small bounded least-squares fit of the
five thumb angles (see :func:`handshape`). Other signers keep those angles, so their contacts are approximate
(measured: F thumb-index tip distance 4-23 mm, median 12 mm, over 30 sampled hands, target 12 mm).

The GSL alphabet here is our best knowledge and was NOT checked against a GSL manual or a signer. Letters
shared with ASL (Α, Β, Ε, Ζ, Η, Ι, Κ, Μ, Ν, Ο, Σ, Τ, Υ) follow the ASL shapes; the shape-tracing letters
(Γ, Δ, Θ, Λ, Ξ, Π, Φ, Χ, Ψ, Ω) imitate the capital letter with the fingers and are the least certain:
:data:`GSL_UNCERTAIN` names them. For a study of recognition methods what matters is that the 24 shapes are
distinct, signer-realistic handshapes with realistic confusions; do not use them to learn GSL.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from . import hand as H

# ------------------------------------------------------------------------------------ authoring helpers
# finger presets (MCP flex, PIP flex, DIP flex, MCP abduction), degrees
STRAIGHT = (0, 0, 0, 0)
FIST = (85, 95, 50, 0)  # fully curled into the palm
LOOSE_FIST = (75, 95, 55, 0)
HOOK = (15, 100, 65, 0)  # claw, as in E and X
CURVE = (30, 45, 25, 0)  # C
O_CURVE = (50, 65, 40, 0)  # O
FLAT_BENT = (88, 8, 5, 0)  # bent at the knuckle only
HALF = (55, 30, 15, 0)

# thumb presets (CMC flex, CMC abd, CMC twist, MCP flex, IP flex), degrees
T_SIDE = (28, 0, 0, 0, 0)  # along the side of the index (A)
T_ACROSS = (55, 25, 15, 45, 35)  # folded across the palm (B, 4)
T_OVER = (40, 50, 25, 30, 10)  # across the front of curled fingers (S)
T_HOLD = (35, 55, 30, 35, 30)  # tip holding down curled fingers (U, V, W, I)
T_OPPOSE = (25, 55, 40, 15, 15)  # opposed, curved (C, O)
T_OUT = (-35, 5, 0, 0, 0)  # stretched out sideways (L, Y)
T_UNDER = (40, 40, 20, 15, 5)  # under the fingers (M, N, T)


@dataclasses.dataclass(frozen=True, eq=False)
class LetterTarget:
    """One letter's target.

    pose: ``(16, 3)`` axis-angle, MANO order; ``pose[0]`` the wrist orientation relative to the signer's
        neutral signing orientation; joint limits hold.
    key_times: ``(K,)`` in [0, 1], fractions of the letter's hold; ``key_poses`` ``(K, 16, 3)`` and
        ``key_wrist`` ``(K, 3)`` metres (offset of the wrist from its position at the letter's start, camera
        axes, for a right hand). Static letters have K = 1 (their pose and a zero offset).
    """

    alphabet: str
    letter: str
    pose: np.ndarray
    key_times: np.ndarray
    key_poses: np.ndarray
    key_wrist: np.ndarray

    @property
    def dynamic(self) -> bool:
        """True for letters that are movements (J, Z, GSL Ζ)."""
        return len(self.key_times) > 1


def rot(*steps: tuple[str, float]) -> np.ndarray:
    """Axis-angle ``(3,)`` of rotations about camera axes applied in order, e.g. ``rot(("y", 180), ("z", 90))``
    first turns the hand about the vertical, then about the viewing axis. Degrees."""
    R = np.eye(3)
    for axis, deg in steps:
        v = np.zeros(3)
        v["xyz".index(axis)] = np.deg2rad(deg)
        R = H.rotvec_to_matrix(v) @ R
    return H.matrix_to_rotvec(R)


def handshape(
    index=STRAIGHT,
    middle=STRAIGHT,
    ring=STRAIGHT,
    pinky=STRAIGHT,
    thumb=T_SIDE,
    orient=(0.0, 0.0, 0.0),
    touch=None,
    shape: H.HandShape | None = None,
) -> np.ndarray:
    """``(16, 3)`` clamped axis-angle pose from presets in degrees (see the module docstring) and a wrist
    orientation ``orient`` (axis-angle radians, e.g. from :func:`rot`).

    ``touch=(keypoints, gap)``: adjust the thumb (starting from ``thumb``, within its limits) so that its tip
    lies ``gap`` metres from the mean of those finger keypoints (e.g. ``((8,), 0.012)``: thumb pad on the
    index tip, as in F), for the hand ``shape`` (default hand if None)."""
    if touch is not None:
        thumb = _solve_touch(index, middle, ring, pinky, thumb, touch, shape or H.HandShape.default())
    a = np.zeros((16, 3))
    for name, spec in (("index", index), ("middle", middle), ("ring", ring), ("pinky", pinky)):
        j1, j2, j3 = H.FINGER_JOINTS[name]
        mcp, pip, dip, abd = np.deg2rad(spec)
        a[j1] = (mcp, 0.0, abd)
        a[j2] = (pip, 0.0, 0.0)
        a[j3] = (dip, 0.0, 0.0)
    t1, t2, t3 = H.FINGER_JOINTS["thumb"]
    cf, ca, ct, mf, ip = np.deg2rad(thumb)
    a[t1] = (cf, ct, ca)
    a[t2] = (mf, 0.0, 0.0)
    a[t3] = (ip, 0.0, 0.0)
    pose = H.angles_to_pose(a)
    pose[0] = orient
    return H.clamp_pose(pose)


def _solve_touch(index, middle, ring, pinky, thumb, touch, shape: H.HandShape) -> tuple[float, ...]:
    """Thumb angles (degrees, preset order) whose tip reaches the touch target; see :func:`handshape`."""
    from scipy.optimize import least_squares

    kps, gap = touch
    fingers = handshape(index, middle, ring, pinky, thumb, shape=shape)
    fingers[0] = 0.0
    target = H.forward_kinematics(fingers, shape).keypoints[list(kps)].mean(0)
    lo, hi = H.joint_limits()
    t1, t2, t3 = H.FINGER_JOINTS["thumb"]
    # preset order (CMC flex, CMC abd, CMC twist, MCP flex, IP flex) -> limits
    blo = np.rad2deg([lo[t1, 0], lo[t1, 2], lo[t1, 1], lo[t2, 0], lo[t3, 0]])
    bhi = np.rad2deg([hi[t1, 0], hi[t1, 2], hi[t1, 1], hi[t2, 0], hi[t3, 0]])
    x0 = np.clip(np.asarray(thumb, np.float64), blo, bhi)

    J, tips = H.rest_joints(shape)
    B = H.anatomical_frames()

    def rod(v):
        th = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
        if th < 1e-12:
            return np.eye(3)
        k = v / th
        K = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
        return np.eye(3) + math.sin(th) * K + (1.0 - math.cos(th)) * (K @ K)

    def thumb_tip(x):
        cf, ca, ct, mf, ip = np.deg2rad(x)
        G = rod(B[t1] @ np.array([cf, ct, ca]))
        p = J[t1] + G @ (J[t2] - J[t1])
        G = G @ rod(B[t2][:, 0] * mf)
        p = p + G @ (J[t3] - J[t2])
        G = G @ rod(B[t3][:, 0] * ip)
        return p + G @ (tips[0] - J[t3])

    def residuals(x):
        miss = (np.linalg.norm(thumb_tip(x) - target) - gap) / 0.005
        return np.concatenate([[miss], np.sqrt(0.02) * (x - x0) / 30.0])

    res = least_squares(residuals, x0, bounds=(blo, bhi), method="trf", max_nfev=200)
    return tuple(float(v) for v in res.x)


HOLD_RING = ((14, 15), 0.017)  # thumb pad on the curled ring finger's middle phalanx
HOLD_PINKY = ((18, 19), 0.016)


def _f(mcp, pip, dip, abd=0):
    return (mcp, pip, dip, abd)


# ------------------------------------------------------------------------------------------ ASL letters
SIDE_VIEW = rot(("y", -55))  # palm turned to the signer's left: C, O, X ... seen from the side
SIDE_FORWARD = rot(("y", -25))


def _asl() -> dict[str, dict]:
    sideways_in = rot(("y", 160), ("z", 90))  # fingers point to the signer's left, palm towards signer
    down = rot(("y", -40), ("x", 125))
    return {
        "a": dict(index=FIST, middle=FIST, ring=FIST, pinky=FIST, thumb=(20, 5, 0, 10, 0), orient=SIDE_FORWARD),
        "b": dict(thumb=T_ACROSS),
        "c": dict(index=CURVE, middle=CURVE, ring=CURVE, pinky=CURVE, thumb=T_OPPOSE, orient=rot(("y", -70))),
        "d": dict(
            middle=O_CURVE,
            ring=O_CURVE,
            pinky=O_CURVE,
            thumb=(30, 55, 40, 25, 20),
            orient=SIDE_FORWARD,
            touch=((12,), 0.013),
        ),
        "e": dict(index=HOOK, middle=HOOK, ring=HOOK, pinky=HOOK, thumb=(55, 35, 15, 55, 45), touch=((12, 16), 0.017)),
        "f": dict(
            index=_f(40, 55, 30),
            middle=_f(0, 0, 0, -4),
            ring=_f(0, 0, 0, -10),
            pinky=_f(0, 0, 0, -18),
            thumb=(25, 50, 40, 15, 25),
            orient=SIDE_FORWARD,
            touch=((8,), 0.012),
        ),
        "g": dict(index=STRAIGHT, middle=FIST, ring=FIST, pinky=FIST, thumb=(30, 15, 0, 0, 0), orient=sideways_in),
        "h": dict(
            index=STRAIGHT, middle=STRAIGHT, ring=FIST, pinky=FIST, thumb=T_HOLD, orient=sideways_in, touch=HOLD_RING
        ),
        "i": dict(
            index=FIST,
            middle=FIST,
            ring=FIST,
            pinky=STRAIGHT,
            thumb=T_OVER,
            orient=SIDE_FORWARD,
            touch=((10, 14), 0.02),
        ),
        "k": dict(
            index=_f(0, 0, 0, 8),
            middle=_f(45, 0, 0, -8),
            ring=FIST,
            pinky=FIST,
            thumb=(20, 55, 30, 10, 0),
            orient=SIDE_FORWARD,
        ),
        "l": dict(index=STRAIGHT, middle=FIST, ring=FIST, pinky=FIST, thumb=T_OUT),
        "m": dict(
            index=_f(80, 75, 40),
            middle=_f(80, 75, 40),
            ring=_f(80, 75, 40),
            pinky=FIST,
            thumb=(45, 45, 20, 20, 10),
            touch=((14, 18), 0.006),
        ),
        "n": dict(
            index=_f(80, 75, 40),
            middle=_f(80, 75, 40),
            ring=FIST,
            pinky=FIST,
            thumb=(35, 45, 20, 20, 10),
            touch=((10, 14), 0.006),
        ),
        "o": dict(
            index=O_CURVE,
            middle=O_CURVE,
            ring=O_CURVE,
            pinky=O_CURVE,
            thumb=(30, 55, 45, 20, 20),
            orient=SIDE_VIEW,
            touch=((8, 12), 0.012),
        ),
        "p": dict(
            index=_f(0, 0, 0, 8), middle=_f(45, 0, 0, -8), ring=FIST, pinky=FIST, thumb=(20, 55, 30, 10, 0), orient=down
        ),
        "q": dict(
            index=STRAIGHT,
            middle=FIST,
            ring=FIST,
            pinky=FIST,
            thumb=(30, 15, 0, 0, 0),
            orient=rot(("y", -90), ("x", 160)),
        ),
        "r": dict(
            index=_f(28, 10, 5, -12),
            middle=_f(0, 0, 0, 18),
            ring=FIST,
            pinky=FIST,
            thumb=T_HOLD,
            orient=SIDE_FORWARD,
            touch=HOLD_RING,
        ),
        "s": dict(
            index=FIST, middle=FIST, ring=FIST, pinky=FIST, thumb=T_OVER, orient=SIDE_FORWARD, touch=((6, 10), 0.02)
        ),
        "t": dict(
            index=_f(75, 85, 45),
            middle=FIST,
            ring=FIST,
            pinky=FIST,
            thumb=(20, 45, 20, 15, 0),
            orient=SIDE_FORWARD,
            touch=((6, 10), 0.004),
        ),
        "u": dict(index=STRAIGHT, middle=STRAIGHT, ring=FIST, pinky=FIST, thumb=T_HOLD, touch=HOLD_RING),
        "v": dict(index=_f(0, 0, 0, 15), middle=_f(0, 0, 0, -12), ring=FIST, pinky=FIST, thumb=T_HOLD, touch=HOLD_RING),
        "w": dict(
            index=_f(0, 0, 0, 15), middle=STRAIGHT, ring=_f(0, 0, 0, -15), pinky=FIST, thumb=T_HOLD, touch=HOLD_PINKY
        ),
        "x": dict(
            index=HOOK, middle=FIST, ring=FIST, pinky=FIST, thumb=T_OVER, orient=SIDE_VIEW, touch=((10, 11), 0.018)
        ),
        "y": dict(index=FIST, middle=FIST, ring=FIST, pinky=_f(0, 0, 0, -30), thumb=T_OUT),
        # dynamic letters: the hold shape here; the movement in _DYNAMIC
        "j": dict(
            index=FIST,
            middle=FIST,
            ring=FIST,
            pinky=STRAIGHT,
            thumb=T_OVER,
            orient=SIDE_FORWARD,
            touch=((10, 14), 0.02),
        ),
        "z": dict(middle=FIST, ring=FIST, pinky=FIST, thumb=T_HOLD, touch=((10, 11), 0.017)),
    }


# ----------------------------------------------------------------------------------------- GSL letters
def _gsl(asl: dict[str, dict]) -> dict[str, dict]:
    sideways = rot(("z", 90))  # fingers to the signer's left, palm to the camera
    sideways_in = rot(("y", 160), ("z", 90))
    down_out = rot(("x", 160))  # fingers pointing down, palm away from the camera
    same = {
        "α": "a",
        "β": "b",
        "ε": "e",
        "ζ": "z",
        "η": "h",
        "ι": "i",
        "κ": "k",
        "μ": "m",
        "ν": "n",
        "ο": "o",
        "ρ": "p",
        "σ": "s",
        "τ": "t",
        "υ": "y",
        "φ": "f",
    }
    out = {g: dict(asl[a]) for g, a in same.items()}
    out.update(
        {
            # Γ: thumb up as the stem, index out sideways as the bar
            "γ": dict(index=STRAIGHT, middle=FIST, ring=FIST, pinky=FIST, thumb=T_OUT, orient=rot(("z", 80))),
            # Δ: index and thumb tips meet in a triangle, other fingers curled
            "δ": dict(
                index=_f(55, 40, 10), middle=FIST, ring=FIST, pinky=FIST, thumb=(0, 45, 35, 0, 0), touch=((8,), 0.012)
            ),
            # Θ: a closed O with the index across it
            "θ": dict(
                index=_f(70, 15, 5),
                middle=O_CURVE,
                ring=O_CURVE,
                pinky=O_CURVE,
                thumb=(30, 55, 45, 20, 20),
                orient=SIDE_VIEW,
            ),
            # Λ: index and middle spread wide, pointing down
            "λ": dict(
                index=_f(0, 0, 0, 22), middle=_f(0, 0, 0, -15), ring=FIST, pinky=FIST, thumb=T_HOLD, orient=down_out
            ),
            # Ξ: index, middle and ring stretched sideways, parallel (three bars)
            "ξ": dict(index=STRAIGHT, middle=STRAIGHT, ring=STRAIGHT, pinky=FIST, thumb=T_HOLD, orient=sideways),
            # Π: index and middle pointing down, parallel, apart (two legs)
            "π": dict(
                index=_f(0, 0, 0, 10), middle=_f(0, 0, 0, -8), ring=FIST, pinky=FIST, thumb=T_OUT, orient=down_out
            ),
            # Χ: index and middle crossed, pointing sideways
            "χ": dict(
                index=_f(10, 10, 5, -12),
                middle=_f(0, 0, 0, 18),
                ring=FIST,
                pinky=FIST,
                thumb=T_HOLD,
                orient=sideways_in,
            ),
            # Ψ: trident, index, middle and ring up and spread, thumb holding the pinky
            "ψ": dict(index=_f(0, 0, 0, 20), middle=STRAIGHT, ring=_f(0, 0, 0, -18), pinky=FIST, thumb=T_HOLD),
            # Ω: a wide claw, palm down
            "ω": dict(
                index=_f(45, 70, 45, 10),
                middle=_f(45, 70, 45),
                ring=_f(45, 70, 45, -8),
                pinky=_f(45, 70, 45, -15),
                thumb=T_OPPOSE,
                orient=rot(("x", 70)),
            ),
        }
    )
    return out


GSL_UNCERTAIN: tuple[str, ...] = tuple("γδθλξπφχψω")


# ----------------------------------------------------------------------------------- dynamic letters
def _keyframes(letter: str, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times (K,), poses (K, 16, 3), wrist offsets (K, 3) m) of a movement letter."""
    if letter == "j":
        # pinky traces a J: down, then hooks towards the signer's left while the forearm turns palm-in
        times = np.array([0.0, 0.3, 0.7, 1.0])
        turns = [-25, -50, -100, -140]
        wrist = np.array([[0, 0, 0], [0.0, 0.035, 0], [0.02, 0.05, 0.01], [0.035, 0.04, 0.015]])
    elif letter in ("z", "ζ"):
        # index traces a Z as the signer sees it (mirrored in the camera view)
        times = np.array([0.0, 0.3, 0.7, 1.0])
        turns = [0, 0, 0, 0]
        wrist = np.array([[0.0, 0, 0], [-0.05, 0.0, 0], [0.0, 0.05, 0], [-0.05, 0.05, 0]])
    else:
        return np.zeros(1), pose[None].copy(), np.zeros((1, 3))
    poses = np.repeat(pose[None], len(times), 0)
    base = H.rotvec_to_matrix(pose[0])
    for k, deg in enumerate(turns):
        if letter == "j":
            poses[k, 0] = H.matrix_to_rotvec(
                H.rotvec_to_matrix(rot(("y", deg))) @ H.rotvec_to_matrix(rot(("y", 25))) @ base
            )
    return times, poses, wrist.astype(np.float64)


@functools.cache
def _table(alphabet_name: str) -> dict[str, LetterTarget]:
    asl = _asl()
    specs = asl if alphabet_name == "fswild" else _gsl(asl)
    out = {}
    for letter, spec in specs.items():
        pose = handshape(**spec)
        times, kposes, kwrist = _keyframes(letter, pose)
        for arr in (pose, times, kposes, kwrist):
            arr.setflags(write=False)
        out[letter] = LetterTarget(alphabet_name, letter, pose, times, kposes, kwrist)
    return out


LETTERS: dict[str, list[str]] = {
    "fswild": list("abcdefghijklmnopqrstuvwxyz"),
    "greek": list("αβγδεζηθικλμνξοπρστυφχψω"),
}
CONFUSABLE_GROUPS: dict[str, list[tuple[str, ...]]] = {
    "fswild": [
        tuple("asemnt"),
        tuple("uvrk"),
        tuple("gq"),
        tuple("hpu"),
        tuple("ij"),
        tuple("dz"),
        tuple("co"),
        tuple("xe"),
        tuple("bf"),
    ],
    "greek": [
        tuple("ασεμντ"),
        tuple("οθφ"),
        tuple("λπη"),
        tuple("ψξ"),
        tuple("ρκ"),
        tuple("ιυ"),
        tuple("γδ"),
        tuple("χη"),
    ],
}


def _canonical(alphabet_name: str) -> str:
    name = alphabet_name.lower()
    if name not in LETTERS:
        raise KeyError(f"letter_pose: unknown alphabet {alphabet_name!r}; choose one of {', '.join(LETTERS)}")
    return name


def letter_pose(alphabet_name: str, letter: str) -> LetterTarget:
    """The target of one letter (lowercase) of ``alphabet_name`` ("fswild" or "greek"). Read-only arrays.
    Raises KeyError naming the letter if the alphabet has no handshape for it (space and punctuation have
    none: they are pauses, see :func:`fslib.synth.motion.spell`)."""
    name = _canonical(alphabet_name)
    table = _table(name)
    if letter not in table:
        raise KeyError(
            f"letter_pose: the {name} alphabet has no handshape for {letter!r}; it covers {''.join(LETTERS[name])}"
        )
    return table[letter]


def all_letter_poses(alphabet_name: str) -> dict[str, LetterTarget]:
    """Every letter of the alphabet, in :data:`LETTERS` order."""
    name = _canonical(alphabet_name)
    return {c: letter_pose(name, c) for c in LETTERS[name]}
