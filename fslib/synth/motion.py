"""Fingerspelling motion: a signer's kinematic style and :func:`spell`, which turns a word into per-frame hand
poses and wrist positions.

Model. Each symbol of the text gets a time slot of ``1 / letters_per_second`` seconds (times a per-letter
log-normal jitter; movement letters J/Z take 1.8 slots). A slot starts with a transition from the previous
target and ends with a hold of ``hold_fraction`` of the slot (at least one frame). Transitions follow the
minimum-jerk profile ``s(u) = 10u^3 - 15u^4 + 6u^5`` (zero velocity and acceleration at both ends): finger
joints are interpolated linearly in anatomical angles (the joint-limit region is convex there, so every
frame stays within limits), the global orientation along the geodesic (slerp). Coarticulation: at fast
rates a letter's target is pulled towards the mean of its neighbours by
``coarticulation * clip((letters_per_second - 3) / 3, 0, 1)``. Each letter instance varies a little
(``pose_jitter`` radians on the finger angles), and each signer forms each letter in their own consistent way
(``style``: a fixed per-signer, per-letter offset). The hand enters from a relaxed version of the first
letter 3 cm lower (0.2 s) and holds the last symbol 0.15 s more. A space is a pause in which the hand relaxes slightly and moves
``word_shift`` metres sideways; the punctuation marks of ChicagoFSWild (' & . @) are short pauses with a small
dip of the wrist. On top: slow wrist drift (a sum of random sinusoids of 0.1-0.6 Hz, amplitude ``drift``
metres), physiological tremor (8-12 Hz, ``tremor`` radians on the joints and ``tremor * 0.05`` m per radian at
the wrist), and the signer's habitual wrist tilt ``neutral_orientation``.

Transitions and movement letters are stretched when needed so that no peak speed exceeds
``MAX_ORIENT_SPEED`` (wrist rotation), ``MAX_FINGER_SPEED`` (joint angles) or ``MAX_WRIST_SPEED``: a large
change of handshape or orientation takes longer, as it does for real signers.

Left-handed signers: the poses are the same numbers (see :mod:`fslib.synth.hand`, a left hand is the mirror
image of the right hand with the same pose) and the wrist path is mirrored (x -> -x).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import alphabet as alph
from . import hand as H
from . import letters as L

PUNCTUATION = ("'", "&", ".", "@")


@dataclasses.dataclass(frozen=True)
class SignerKinematics:
    """One signer's way of fingerspelling (all times in seconds, angles in radians, lengths in metres).

    hand_shape: bone lengths and thickness. dominant: "right" or "left".
    letters_per_second: mean rate. hold_fraction: part of each letter's slot held still (0-0.95).
    duration_jitter: sigma of the log-normal factor on each letter's duration.
    coarticulation: largest undershoot fraction, reached at >= 6 letters/s.
    tremor: joint tremor amplitude (rad). drift: wrist wander amplitude (m).
    neutral_orientation: habitual wrist tilt, axis-angle (3,) applied before each letter's orientation.
    pose_jitter: per-instance variation of finger angles (rad). word_shift: sideways move at a space (m).
    pause_seconds: length of the pause at a space.
    style: size (rad) of this signer's own, consistent way of forming each letter: a fixed offset of every
    letter's finger angles (and half of it on the wrist orientation) drawn from ``style_seed`` and the letter.
    style_seed: seed of those offsets (two signers with the same seed and style form letters alike).
    """

    hand_shape: H.HandShape = dataclasses.field(default_factory=H.HandShape)
    dominant: str = "right"
    letters_per_second: float = 4.5
    hold_fraction: float = 0.45
    duration_jitter: float = 0.15
    coarticulation: float = 0.25
    tremor: float = 0.01
    drift: float = 0.012
    neutral_orientation: tuple[float, float, float] = (0.0, 0.0, 0.0)
    pose_jitter: float = 0.05
    word_shift: float = 0.03
    pause_seconds: float = 0.25
    style: float = 0.0
    style_seed: int = 0

    def __post_init__(self) -> None:
        checks = [
            (self.dominant in ("right", "left"), "dominant", "'right' or 'left'"),
            (0.5 <= self.letters_per_second <= 15, "letters_per_second", "between 0.5 and 15"),
            (0.0 <= self.hold_fraction <= 0.95, "hold_fraction", "between 0 and 0.95"),
            (0.0 <= self.duration_jitter <= 1.0, "duration_jitter", "between 0 and 1"),
            (0.0 <= self.coarticulation <= 0.8, "coarticulation", "between 0 and 0.8"),
            (0.0 <= self.tremor <= 0.2, "tremor", "between 0 and 0.2 rad"),
            (0.0 <= self.drift <= 0.2, "drift", "between 0 and 0.2 m"),
            (0.0 <= self.pose_jitter <= 0.5, "pose_jitter", "between 0 and 0.5 rad"),
            (0.0 <= self.word_shift <= 0.3, "word_shift", "between 0 and 0.3 m"),
            (0.0 < self.pause_seconds <= 3.0, "pause_seconds", "between 0 and 3 s"),
            (0.0 <= self.style <= 0.3, "style", "between 0 and 0.3 rad"),
            (self.style_seed >= 0, "style_seed", "a non-negative integer"),
            (len(self.neutral_orientation) == 3, "neutral_orientation", "an axis-angle of 3 numbers"),
        ]
        for ok, name, want in checks:
            if not ok:
                raise ValueError(f"SignerKinematics: {name}={getattr(self, name)!r} is out of range; use {want}")


def sample_signer_kinematics(
    rng: np.random.Generator, left_handed_fraction: float = 0.12, **overrides
) -> SignerKinematics:
    """A random signer: hand shape from :meth:`HandShape.sample`, 3-7 letters/s, hold 0.3-0.6,
    coarticulation 0.1-0.4, tremor 0.004-0.02 rad, drift 0.005-0.02 m, habitual tilt ~ N(0, 8 deg) per axis,
    left-handed with probability ``left_handed_fraction``. Keyword ``overrides`` replace drawn fields (the
    draws still happen, so other fields do not change)."""
    kin = dict(
        hand_shape=H.HandShape.sample(rng),
        dominant="left" if rng.random() < left_handed_fraction else "right",
        letters_per_second=float(rng.uniform(3.0, 7.0)),
        hold_fraction=float(rng.uniform(0.3, 0.6)),
        duration_jitter=float(rng.uniform(0.08, 0.25)),
        coarticulation=float(rng.uniform(0.1, 0.4)),
        tremor=float(rng.uniform(0.004, 0.02)),
        drift=float(rng.uniform(0.005, 0.02)),
        neutral_orientation=tuple(float(x) for x in rng.normal(0, np.deg2rad(8), 3)),
        pose_jitter=float(rng.uniform(0.02, 0.08)),
        word_shift=float(rng.uniform(0.0, 0.05)),
        pause_seconds=float(rng.uniform(0.15, 0.4)),
        style=float(rng.uniform(0.03, 0.08)),
        style_seed=int(rng.integers(0, 2**31 - 1)),
    )
    unknown = sorted(set(overrides) - set(kin))
    if unknown:
        raise ValueError(
            f"sample_signer_kinematics: unknown override(s) {', '.join(unknown)}; allowed: {', '.join(sorted(kin))}"
        )
    kin.update(overrides)
    return SignerKinematics(**kin)


@dataclasses.dataclass(frozen=True, eq=False)
class Motion:
    """A fingerspelled text, frame by frame at ``fps``.

    pose: ``(T, 16, 3)`` float32 axis-angle, MANO order, ``pose[:, 0]`` the global orientation in the camera
        frame for a signer facing the camera (a left hand's pose follows the mirror convention of
        :mod:`fslib.synth.hand`). wrist: ``(T, 3)`` float32 metres, the wrist relative to the signer's signing
        anchor (in front of the dominant shoulder), camera axes. letter_index: ``(T,)`` int32 index into
        ``text`` of the symbol held at each frame (letters and pauses), -1 during transitions.
    """

    text: str
    alphabet: str
    side: str
    fps: int
    pose: np.ndarray
    wrist: np.ndarray
    letter_index: np.ndarray

    @property
    def n_frames(self) -> int:
        return len(self.letter_index)


def min_jerk(u: np.ndarray) -> np.ndarray:
    """Minimum-jerk profile ``10u^3 - 15u^4 + 6u^5`` of ``u`` clipped to [0, 1]; same shape."""
    u = np.clip(np.asarray(u, np.float64), 0.0, 1.0)
    return u**3 * (10 - 15 * u + 6 * u * u)


def _slerp(r0: np.ndarray, r1: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Geodesic between rotations ``r0``, ``r1`` (axis-angle (3,)) at fractions ``s`` (n,) -> (n, 3)."""
    R0, R1 = H.rotvec_to_matrix(r0), H.rotvec_to_matrix(r1)
    d = H.matrix_to_rotvec(R0.T @ R1)
    return H.matrix_to_rotvec(R0 @ H.rotvec_to_matrix(np.asarray(s)[:, None] * d))


def _compose(r_outer: np.ndarray, r_inner: np.ndarray) -> np.ndarray:
    return H.matrix_to_rotvec(H.rotvec_to_matrix(r_outer) @ H.rotvec_to_matrix(r_inner))


_RELAXED = np.deg2rad(np.array([20.0, 25.0, 15.0]))  # MCP, PIP, DIP flexion of a relaxed open hand


def _relax(angles: np.ndarray, amount: float) -> np.ndarray:
    """Blend finger angles ``(16, 3)`` towards a relaxed, slightly curled open hand."""
    out = angles.copy()
    for f in H.FINGERS[1:]:
        for k, j in enumerate(H.FINGER_JOINTS[f]):
            out[j, 0] = (1 - amount) * out[j, 0] + amount * _RELAXED[k]
            out[j, 1:] *= 1 - amount
    return out


def _band_noise(
    rng: np.random.Generator, t: np.ndarray, shape: tuple[int, ...], f_lo: float, f_hi: float, n_waves: int = 3
) -> np.ndarray:
    """Smooth random signal ``(T, *shape)``: a sum of ``n_waves`` sinusoids with random frequencies in
    [f_lo, f_hi] Hz and random phases, normalised to unit standard deviation."""
    f = rng.uniform(f_lo, f_hi, (n_waves,) + shape)
    ph = rng.uniform(0, 2 * np.pi, (n_waves,) + shape)
    amp = rng.uniform(0.5, 1.0, (n_waves,) + shape)
    sig = (amp[None] * np.sin(2 * np.pi * f[None] * t.reshape((-1,) + (1,) * (len(shape) + 1)) + ph[None])).sum(1)
    return sig / np.sqrt(0.5 * (amp**2).sum(0))[None]


def spell(
    text: str,
    alphabet: str | alph.Alphabet,
    signer_kin: SignerKinematics | None,
    rng: np.random.Generator,
    fps: int = 30,
) -> Motion:
    """Fingerspell ``text`` (lowercase symbols of ``alphabet``, "fswild" or "greek") as ``signer_kin`` would,
    at ``fps`` frames per second. All randomness comes from ``rng`` (same seed -> same motion).

    Raises :class:`fslib.alphabet.AlphabetError` naming any character outside the alphabet, ValueError for an
    empty text or a bad fps. See the module docstring for the model and :class:`Motion` for the arrays."""
    a = alphabet if isinstance(alphabet, alph.Alphabet) else alph.get(alphabet)
    name = {v.name: k for k, v in alph.ALPHABETS.items()}[a.name]
    a.encode(text)
    if not text.strip():
        raise ValueError(f"spell: text {text!r} has no letter to spell; pass a word such as 'hello'")
    if not (isinstance(fps, (int, np.integer)) and 1 <= fps <= 240):
        raise ValueError(f"spell: fps must be an integer between 1 and 240, got {fps!r}")
    kin = SignerKinematics() if signer_kin is None else signer_kin

    rate = kin.letters_per_second
    undershoot = kin.coarticulation * float(np.clip((rate - 3.0) / 3.0, 0.0, 1.0))
    neutral = np.asarray(kin.neutral_orientation, np.float64)

    # ---- per-symbol targets (anatomical angles, orientation, wrist base) and durations
    n = len(text)
    angles = np.zeros((n, 16, 3))
    orient = np.zeros((n, 3))
    wrist = np.zeros((n, 3))
    slot = np.zeros(n)
    hold = np.zeros(n)
    letter_of = [None] * n
    style_rot = np.zeros((n, 3))
    base = np.zeros(3)
    for i, ch in enumerate(text):
        jit = float(np.exp(rng.normal(0.0, kin.duration_jitter)))
        if ch == " " or ch in PUNCTUATION:
            # a pause: keep (a relaxed version of) the previous shape
            src = angles[i - 1] if i > 0 else None
            if src is None:
                src = H.pose_to_angles(L.letter_pose(name, _first_letter(text)).pose)
            angles[i] = _relax(src, 0.35 if ch == " " else 0.1)
            orient[i] = orient[i - 1] if i > 0 else neutral
            if ch == " ":
                base = base + np.array([-kin.word_shift, 0.0, 0.0]) + rng.normal(0, 0.003, 3)
                wrist[i] = base
                slot[i] = kin.pause_seconds * jit
            else:
                wrist[i] = base + np.array([0.0, 0.012, 0.0])
                slot[i] = 0.6 / rate * jit
            hold[i] = kin.hold_fraction * slot[i]
        else:
            tgt = L.letter_pose(name, ch)
            letter_of[i] = tgt
            ang = H.pose_to_angles(tgt.pose)
            style, style_rot[i] = _style(kin, ch)
            noise = rng.normal(0.0, kin.pose_jitter, (16, 3)) * np.array([1.0, 0.3, 0.5])
            noise[0] = 0.0
            ang = ang + style + noise
            angles[i] = H.pose_to_angles(H.clamp_pose(H.angles_to_pose(ang)))
            orient[i] = _compose(neutral, _compose(style_rot[i], tgt.pose[0]))
            wrist[i] = base + rng.normal(0.0, 0.003, 3)
            slot[i] = (1.8 if tgt.dynamic else 1.0) / rate * jit
            hold[i] = (max(kin.hold_fraction, 0.7) if tgt.dynamic else kin.hold_fraction) * slot[i]
        hold[i] = max(hold[i], 1.0 / fps)

    # ---- coarticulation: undershoot towards the neighbours' mean (letters only)
    eff = angles.copy()
    eff_orient = orient.copy()
    if undershoot > 0 and n > 1:
        for i in range(n):
            if letter_of[i] is None:
                continue
            nb = [k for k in (i - 1, i + 1) if 0 <= k < n]
            mean = angles[nb].mean(0)
            eff[i] = angles[i] + undershoot * (mean - angles[i])
            eff[i, 0] = 0.0
            if letter_of[i].dynamic:
                continue
            eff_orient[i] = _slerp(
                orient[i], _slerp(orient[nb[0]], orient[nb[-1]], np.array([0.5]))[0], np.array([undershoot])
            )[0]

    # ---- lead-in: from a relaxed version of the first shape, 0.2 s, wrist 3 cm lower; lead-out 0.15 s
    lead_in, lead_out = 0.2, 0.15
    start_angles = _relax(eff[0], 0.5)
    start_orient = eff_orient[0]
    start_wrist = wrist[0] + np.array([0.0, 0.03, 0.0])

    # ---- where each transition starts; stretch transitions (and movement holds) that would need more
    # than the peak speeds
    starts = []
    for i in range(n):
        if i == 0:
            starts.append((start_angles, start_orient, start_wrist))
            continue
        a0, o0, w0 = eff[i - 1], eff_orient[i - 1], wrist[i - 1]
        if letter_of[i - 1] is not None and letter_of[i - 1].dynamic:
            w0 = wrist[i - 1] + letter_of[i - 1].key_wrist[-1]
            o0 = _compose(neutral, _compose(style_rot[i - 1], letter_of[i - 1].key_poses[-1, 0]))
        starts.append((a0, o0, w0))
    trans_time = np.maximum(slot - hold, 0.5 / fps)
    for i in range(n):
        a0, o0, w0 = starts[i]
        need = _min_jerk_time(a0, o0, w0, eff[i], eff_orient[i], wrist[i])
        avail = trans_time[i] + (lead_in if i == 0 else 0.0)
        trans_time[i] += max(need - avail, 0.0)
        tgt = letter_of[i]
        if tgt is not None and tgt.dynamic:
            kt, kp, kw = tgt.key_times, tgt.key_poses, tgt.key_wrist
            for k in range(len(kt) - 1):
                seg_need = _min_jerk_time(kp[k], kp[k, 0], kw[k], kp[k + 1], kp[k + 1, 0], kw[k + 1])
                hold[i] = max(hold[i], seg_need / (kt[k + 1] - kt[k]))
    slot = hold + trans_time
    # slot boundaries: slot i = [t_start[i], t_end[i]], hold = last hold[i] seconds
    t_end = lead_in + np.cumsum(slot)
    t_start = t_end - slot
    t_hold = t_end - hold
    total = t_end[-1] + lead_out
    T = int(np.ceil(total * fps))
    t = np.arange(T) / fps

    out_angles = np.zeros((T, 16, 3))
    out_orient = np.zeros((T, 3))
    out_wrist = np.zeros((T, 3))
    index = np.full(T, -1, np.int32)
    seg = np.clip(np.searchsorted(t_end, t, side="right"), 0, n - 1)  # slot containing each frame
    for i in range(n):
        in_slot = seg == i
        if i == n - 1:
            in_slot |= t >= t_end[i]
        frames = np.nonzero(in_slot)[0]
        if len(frames) == 0:
            continue
        tf = t[frames]
        if i == 0:
            a0, o0, w0, ts = start_angles, start_orient, start_wrist, 0.0
        else:
            a0, o0, w0, ts = eff[i - 1], eff_orient[i - 1], wrist[i - 1], t_start[i]
            if letter_of[i - 1] is not None and letter_of[i - 1].dynamic:
                w0 = wrist[i - 1] + letter_of[i - 1].key_wrist[-1]
                o0 = _compose(neutral, _compose(style_rot[i - 1], letter_of[i - 1].key_poses[-1, 0]))
        trans = tf < t_hold[i]
        s = min_jerk((tf - ts) / max(t_hold[i] - ts, 1e-9))
        target_a, target_o, target_w = eff[i], eff_orient[i], wrist[i]
        fa = np.where(trans[:, None, None], a0 + s[:, None, None] * (target_a - a0), target_a)
        fo = np.where(trans[:, None], _slerp(o0, target_o, np.where(trans, s, 1.0)), target_o)
        fw = np.where(trans[:, None], w0 + s[:, None] * (target_w - w0), target_w)
        tgt = letter_of[i]
        if tgt is not None and tgt.dynamic:
            # the movement runs through the hold: keyframes at key_times of the hold, min-jerk between them
            u = np.clip((tf - t_hold[i]) / max(t_end[i] - t_hold[i], 1e-9), 0.0, 1.0)
            kt = tgt.key_times
            k = np.clip(np.searchsorted(kt, u, side="right") - 1, 0, len(kt) - 2)
            su = min_jerk((u - kt[k]) / np.maximum(kt[k + 1] - kt[k], 1e-9))
            kw = tgt.key_wrist[k] + su[:, None] * (tgt.key_wrist[k + 1] - tgt.key_wrist[k])
            held = ~trans
            fw = np.where(held[:, None], target_w + kw, fw)
            for m in np.nonzero(held)[0]:
                r = _slerp(tgt.key_poses[k[m], 0], tgt.key_poses[k[m] + 1, 0], su[m : m + 1])[0]
                fo[m] = _compose(neutral, _compose(style_rot[i], r))
        out_angles[frames], out_orient[frames], out_wrist[frames] = fa, fo, fw
        index[frames[~trans & (tf < t_end[i] + (np.inf if i == n - 1 else 0.0))]] = i
    # ---- drift and tremor
    drift = kin.drift * _band_noise(rng, t, (3,), 0.1, 0.6) * np.array([1.0, 1.0, 0.5])
    trem_j = kin.tremor * _band_noise(rng, t, (16, 3), 8.0, 12.0) * np.array([1.0, 0.2, 0.3])
    trem_j[:, 0] = 0.0
    trem_o = kin.tremor * 0.5 * _band_noise(rng, t, (3,), 8.0, 12.0)
    trem_w = kin.tremor * 0.05 * _band_noise(rng, t, (3,), 8.0, 12.0)
    pose = H.angles_to_pose(out_angles + trem_j)
    R = H.rotvec_to_matrix(trem_o) @ H.rotvec_to_matrix(out_orient)
    pose[:, 0] = H.matrix_to_rotvec(R)
    pose = H.clamp_pose(pose)
    w = out_wrist + drift + trem_w
    if kin.dominant == "left":
        w = w * np.array([-1.0, 1.0, 1.0])
    return Motion(text, name, kin.dominant, int(fps), pose.astype(np.float32), w.astype(np.float32), index)


MAX_ORIENT_SPEED = 14.0  # rad/s, peak angular speed of the wrist orientation
MAX_FINGER_SPEED = 20.0  # rad/s, peak speed of any finger joint angle
MAX_WRIST_SPEED = 1.0  # m/s, peak speed of the wrist


def _min_jerk_time(a0, o0, w0, a1, o1, w1) -> float:
    """Shortest duration (s) of a min-jerk move between two states (finger angles (16, 3), orientation (3,),
    wrist (3,)) that keeps every peak speed (1.875 x distance / duration) under the MAX_* limits."""
    d_o = float(np.linalg.norm(H.matrix_to_rotvec(H.rotvec_to_matrix(o0).T @ H.rotvec_to_matrix(o1))))
    d_a = float(np.abs(np.asarray(a1)[1:] - np.asarray(a0)[1:]).max())
    d_w = float(np.linalg.norm(np.asarray(w1) - np.asarray(w0)))
    return 1.875 * max(d_o / MAX_ORIENT_SPEED, d_a / MAX_FINGER_SPEED, d_w / MAX_WRIST_SPEED)


def _style(kin: SignerKinematics, ch: str) -> tuple[np.ndarray, np.ndarray]:
    """The signer's fixed offset for letter ``ch``: finger angles (16, 3) (row 0 zero) and a wrist
    rotation (3,), both radians; zero when ``kin.style`` is 0."""
    if kin.style == 0.0:
        return np.zeros((16, 3)), np.zeros(3)
    r = np.random.default_rng([kin.style_seed, ord(ch)])
    off = r.normal(0.0, kin.style, (16, 3)) * np.array([1.0, 0.3, 0.5])
    off[0] = 0.0
    return off, r.normal(0.0, 0.5 * kin.style, 3)


def _first_letter(text: str) -> str:
    for ch in text:
        if ch != " " and ch not in PUNCTUATION:
            return ch
    raise ValueError(f"spell: text {text!r} has no letter to spell")
