"""Tests of the letter handshapes, the fingerspelling motion and the lexicon."""

import dataclasses

import numpy as np
import pytest

from fslib import alphabet as alph
from fslib.synth import hand as H
from fslib.synth import letters as L
from fslib.synth import lexicon as X
from fslib.synth import motion as M

STILL = M.SignerKinematics(tremor=0.0, drift=0.0, pose_jitter=0.0, coarticulation=0.0, duration_jitter=0.0)


# ------------------------------------------------------------------------------------------------ letters
@pytest.mark.parametrize("name", ["fswild", "greek"])
def test_every_letter_has_a_legal_distinct_pose(name):
    poses = L.all_letter_poses(name)
    assert list(poses) == L.LETTERS[name]
    assert len(poses) == (26 if name == "fswild" else 24)
    assert set(L.LETTERS[name]) <= set(alph.get(name).symbols)
    P = np.stack([t.pose for t in poses.values()])
    assert P.shape == (len(poses), 16, 3)
    assert np.allclose(H.clamp_pose(P), P)
    # every pair of static letters differs: some keypoint moves by more than 12 mm (J and Z share the
    # handshape of I and of an index-up hand and differ by movement)
    kp = H.forward_kinematics(P, H.HandShape.default()).keypoints
    dist = np.linalg.norm(kp[:, None] - kp[None], axis=-1).max(-1)
    letters = list(poses)
    for i in range(len(letters)):
        for j in range(i + 1, len(letters)):
            if poses[letters[i]].dynamic or poses[letters[j]].dynamic:
                continue
            assert dist[i, j] > 0.012, (letters[i], letters[j], dist[i, j])


@pytest.mark.parametrize("name", ["fswild", "greek"])
def test_confusable_groups_are_close(name):
    poses = L.all_letter_poses(name)
    letters = list(poses)
    kp = H.forward_kinematics(np.stack([t.pose for t in poses.values()])).keypoints
    d = np.linalg.norm(kp[:, None] - kp[None], axis=-1).mean(-1)
    overall = d[np.triu_indices(len(letters), 1)].mean()
    within = [
        d[letters.index(a), letters.index(b)]
        for g in L.CONFUSABLE_GROUPS[name]
        for i, a in enumerate(g)
        for b in g[i + 1 :]
    ]
    assert np.mean(within) < 0.6 * overall


def test_letter_semantics():
    fk = lambda c: H.forward_kinematics(L.letter_pose("fswild", c).pose).keypoints  # noqa: E731
    # B: four fingers up; A/S: fingertips below their PIPs (curled); L: thumb and index at right angles
    b = fk("b")
    assert np.all(b[[8, 12, 16, 20], 1] < b[[5, 9, 13, 17], 1] - 0.06)
    s = fk("s")
    assert np.all(s[[8, 12, 16, 20], 1] > s[[6, 10, 14, 18], 1])
    l_ = fk("l")
    cos = np.dot(l_[8] - l_[5], l_[4] - l_[2]) / np.linalg.norm(l_[8] - l_[5]) / np.linalg.norm(l_[4] - l_[2])
    assert abs(cos) < 0.4
    # G and H point sideways, P and Q point down
    for c in "gh":
        k = fk(c)
        assert abs(k[8, 0] - k[5, 0]) > 2 * abs(k[8, 1] - k[5, 1])
    for c in "pq":
        k = fk(c)
        assert k[12 if c == "p" else 8, 1] > k[0, 1] + 0.05
    # F and O: thumb tip meets the index tip
    for c in "fo":
        k = fk(c)
        assert np.linalg.norm(k[4] - k[8]) < 0.03
    # J and Z are movements
    assert L.letter_pose("fswild", "j").dynamic and L.letter_pose("fswild", "z").dynamic
    assert not L.letter_pose("fswild", "a").dynamic
    z = L.letter_pose("fswild", "z")
    assert np.ptp(z.key_wrist[:, 0]) > 0.03 and np.ptp(z.key_wrist[:, 1]) > 0.03


def test_letter_pose_errors():
    with pytest.raises(KeyError, match="'ä'"):
        L.letter_pose("fswild", "ä")
    with pytest.raises(KeyError, match="unknown alphabet 'klingon'"):
        L.letter_pose("klingon", "a")


# ----------------------------------------------------------------------------------------------- motion
def test_min_jerk():
    u = np.linspace(0, 1, 101)
    s = M.min_jerk(u)
    assert s[0] == 0.0 and s[-1] == 1.0 and np.isclose(M.min_jerk(0.5), 0.5)
    assert np.all(np.diff(s) >= 0)
    h = 1e-4
    for end in (0.0, 1.0):
        v = (M.min_jerk(end + h) - M.min_jerk(end - h)) / (2 * h)
        acc = (M.min_jerk(end + h) - 2 * M.min_jerk(end) + M.min_jerk(end - h)) / h**2
        assert abs(v) < 1e-6 and abs(acc) < 1e-2
    # symmetric: s(1 - u) = 1 - s(u)
    assert np.allclose(M.min_jerk(1 - u), 1 - s)


def test_spell_is_deterministic_and_well_formed():
    kin = M.sample_signer_kinematics(np.random.default_rng(0), left_handed_fraction=0.0)
    a = M.spell("hello world", "fswild", kin, np.random.default_rng(1))
    b = M.spell("hello world", "fswild", kin, np.random.default_rng(1))
    c = M.spell("hello world", "fswild", kin, np.random.default_rng(2))
    for f in ("pose", "wrist", "letter_index"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.pose, c.pose)
    T = a.n_frames
    assert a.pose.shape == (T, 16, 3) and a.wrist.shape == (T, 3) and a.letter_index.shape == (T,)
    assert a.fps == 30 and a.side == "right" and a.text == "hello world"
    assert np.allclose(H.clamp_pose(a.pose.astype(np.float64)), a.pose, atol=1e-5)
    # every symbol is held at least one frame, in order, with transitions (-1) between
    held = a.letter_index[a.letter_index >= 0]
    assert sorted(set(held)) == list(range(len("hello world")))
    assert np.all(np.diff(held) >= 0)
    assert np.sum(a.letter_index == -1) > 0
    # duration follows the signer's rate (lead-in/out and the space aside)
    expected = len("helloworld") / kin.letters_per_second
    assert 0.6 * expected < T / 30 < 1.6 * expected + 0.8


def test_holds_reach_targets_and_transitions_are_smooth():
    m = M.spell("abv", "fswild", STILL, np.random.default_rng(0))
    for i, c in enumerate("abv"):
        frames = np.nonzero(m.letter_index == i)[0]
        target = L.letter_pose("fswild", c).pose
        assert np.allclose(m.pose[frames][:, 1:], target[1:], atol=1e-5)
        assert np.allclose(m.pose[frames][:, 0], target[0], atol=1e-5)
    # the first frame is already a hand pose (a relaxed first letter), not the zero pose
    assert np.abs(H.pose_to_angles(m.pose[0].astype(np.float64))[1:, 0]).max() > 0.3


@pytest.mark.parametrize("rate", [3.0, 7.0])
def test_no_movement_exceeds_the_peak_speeds(rate):
    kin = dataclasses.replace(STILL, letters_per_second=rate, coarticulation=0.4, style=0.08, style_seed=3)
    m = M.spell("ajz bq", "fswild", kin, np.random.default_rng(0))
    f = m.fps
    R = H.rotvec_to_matrix(m.pose[:, 0].astype(np.float64))
    turn = np.linalg.norm(H.matrix_to_rotvec(np.swapaxes(R[:-1], -1, -2) @ R[1:]), axis=-1)
    ang = H.pose_to_angles(m.pose.astype(np.float64))[:, 1:]
    assert turn.max() <= 1.02 * M.MAX_ORIENT_SPEED / f
    assert np.abs(np.diff(ang, axis=0)).max() <= 1.02 * M.MAX_FINGER_SPEED / f
    assert np.linalg.norm(np.diff(m.wrist, axis=0), axis=1).max() <= 1.02 * M.MAX_WRIST_SPEED / f
    # and yet the motion is not trivially slow: the biggest turn (J, G/Q) uses most of the allowance
    assert turn.max() > 0.5 * M.MAX_ORIENT_SPEED / f


def test_signer_style_is_consistent_per_signer():
    styled = dataclasses.replace(STILL, style=0.08, style_seed=11)
    held = []
    for seed in (0, 1):
        m = M.spell("cab", "fswild", styled, np.random.default_rng(seed))
        held.append(m.pose[np.nonzero(m.letter_index == 1)[0][0]])
    assert np.allclose(held[0], held[1], atol=1e-6)  # same signer, same letter: same shape
    target = L.letter_pose("fswild", "a").pose
    assert np.abs(held[0] - target).max() > 0.02  # but not the canonical one
    other = dataclasses.replace(styled, style_seed=12)
    m = M.spell("cab", "fswild", other, np.random.default_rng(0))
    assert np.abs(m.pose[np.nonzero(m.letter_index == 1)[0][0]] - held[0]).max() > 0.02


def test_coarticulation_undershoots_at_fast_rates():
    fast = dataclasses.replace(STILL, letters_per_second=7.0, coarticulation=0.4)
    m = M.spell("aba", "fswild", fast, np.random.default_rng(0))
    frames = np.nonzero(m.letter_index == 1)[0]
    got = H.pose_to_angles(m.pose[frames[0]].astype(np.float64))[1:]
    b = H.pose_to_angles(L.letter_pose("fswild", "b").pose)[1:]
    a = H.pose_to_angles(L.letter_pose("fswild", "a").pose)[1:]
    frac = np.sum((got - b) * (a - b)) / np.sum((a - b) ** 2)
    assert np.isclose(frac, 0.4, atol=0.02)  # undershoot = coarticulation at >= 6 letters/s
    slow = dataclasses.replace(fast, letters_per_second=3.0)
    m = M.spell("aba", "fswild", slow, np.random.default_rng(0))
    frames = np.nonzero(m.letter_index == 1)[0]
    assert np.allclose(m.pose[frames[0], 1:], L.letter_pose("fswild", "b").pose[1:], atol=1e-5)


def test_left_handed_signer_mirrors_the_wrist_path():
    right = M.sample_signer_kinematics(np.random.default_rng(3), left_handed_fraction=0.0)
    left = dataclasses.replace(right, dominant="left")
    a = M.spell("jazz", "fswild", right, np.random.default_rng(4))
    b = M.spell("jazz", "fswild", left, np.random.default_rng(4))
    assert b.side == "left"
    assert np.array_equal(a.pose, b.pose)
    assert np.allclose(b.wrist, a.wrist * [-1, 1, 1])
    ka = H.forward_kinematics(a.pose, right.hand_shape, "right", a.wrist).keypoints
    kb = H.forward_kinematics(b.pose, left.hand_shape, "left", b.wrist).keypoints
    assert np.allclose(kb, ka * [-1, 1, 1], atol=1e-6)


def test_movement_letters_move():
    m = M.spell("z", "fswild", STILL, np.random.default_rng(0))
    held = m.letter_index == 0
    assert np.ptp(m.wrist[held, 0]) > 0.03 and np.ptp(m.wrist[held, 1]) > 0.03
    m = M.spell("j", "fswild", STILL, np.random.default_rng(0))
    held = np.nonzero(m.letter_index == 0)[0]
    R0 = H.rotvec_to_matrix(m.pose[held[0], 0])
    R1 = H.rotvec_to_matrix(m.pose[held[-1], 0])
    angle = np.degrees(np.linalg.norm(H.matrix_to_rotvec(R0.T @ R1)))
    assert angle > 60


def test_spell_bad_input():
    with pytest.raises(alph.AlphabetError, match="'é'"):
        M.spell("josé", "fswild", STILL, np.random.default_rng(0))
    with pytest.raises(alph.AlphabetError, match="'a'"):
        M.spell("abc", "greek", STILL, np.random.default_rng(0))
    with pytest.raises(ValueError, match="no letter"):
        M.spell("  ", "fswild", STILL, np.random.default_rng(0))
    with pytest.raises(ValueError, match="fps"):
        M.spell("ab", "fswild", STILL, np.random.default_rng(0), fps=0)
    with pytest.raises(ValueError, match="letters_per_second"):
        M.SignerKinematics(letters_per_second=50)
    with pytest.raises(ValueError, match="unknown override"):
        M.sample_signer_kinematics(np.random.default_rng(0), speed=3)


def test_greek_and_punctuation():
    m = M.spell("αλφα βητα", "greek", None, np.random.default_rng(0))
    assert set(m.letter_index[m.letter_index >= 0]) == set(range(9))
    m = M.spell("o'neil & co.", "fswild", None, np.random.default_rng(0))
    assert m.n_frames > 0 and set(m.letter_index[m.letter_index >= 0]) == set(range(12))


def test_signer_sampling():
    k1 = M.sample_signer_kinematics(np.random.default_rng(5))
    k2 = M.sample_signer_kinematics(np.random.default_rng(5))
    assert k1 == k2
    k3 = M.sample_signer_kinematics(np.random.default_rng(5), letters_per_second=3.5)
    assert k3.letters_per_second == 3.5 and k3.hand_shape == k1.hand_shape
    sides = [M.sample_signer_kinematics(np.random.default_rng(i)).dominant for i in range(200)]
    assert 0.03 < sides.count("left") / 200 < 0.25


# ---------------------------------------------------------------------------------------------- lexicon
def test_normalise():
    assert X.normalise("Ζαφείρης", "greek") == "ζαφειρησ"
    assert X.normalise("Σεϋχέλλες", "greek") == "σευχελλεσ"
    assert X.normalise("O'Connor-Smith", "fswild") == "o'connor smith"
    assert X.normalise("  José  María ", "fswild") == "jose maria"


@pytest.mark.parametrize("name", ["fswild", "greek"])
def test_words(name):
    w1 = X.words(name, 40, np.random.default_rng(0))
    w2 = X.words(name, 40, np.random.default_rng(0))
    assert w1 == w2 and len(w1) == 40
    a = alph.get(name)
    assert all(w and not a.invalid(w) and w == w.lower() and len(w) <= 20 for w in w1)
    assert len(set(w1)) > 25
    if name == "greek":
        assert not any("ς" in w for w in w1)
    with pytest.raises(alph.AlphabetError, match="unknown alphabet"):
        X.words("latin", 3, np.random.default_rng(0))
