"""Tests of the articulated hand: forward kinematics against hand-computed cases, joint limits, shapes,
mirroring and the solid-hand primitives."""

import numpy as np
import pytest

from fslib.synth import hand as H
from fslib.synth import primitives as prim

SHAPE = H.HandShape.default()
CHAINS = {
    "thumb": (0, 1, 2, 3, 4),
    "index": (0, 5, 6, 7, 8),
    "middle": (0, 9, 10, 11, 12),
    "ring": (0, 13, 14, 15, 16),
    "pinky": (0, 17, 18, 19, 20),
}


def zero_pose():
    return np.zeros((16, 3))


def test_names_and_layout():
    assert len(H.KEYPOINT_NAMES) == 21 and H.KEYPOINT_NAMES[4] == "thumb_tip"
    assert H.KEYPOINT_NAMES[8] == "index_tip" and H.KEYPOINT_NAMES[20] == "pinky_tip"
    assert len(H.MANO_JOINT_NAMES) == 16
    assert [H.MANO_JOINT_NAMES[i] for i in (1, 4, 7, 10, 13)] == ["index1", "middle1", "pinky1", "ring1", "thumb1"]
    # every MANO joint maps to the keypoint of the same name part
    for j, k in enumerate(H.MANO_TO_KEYPOINT):
        assert H.MANO_JOINT_NAMES[j][:4] == H.KEYPOINT_NAMES[k][:4]


def test_zero_pose_straight_fingers_with_bone_lengths():
    fk = H.forward_kinematics(zero_pose(), SHAPE, translation=np.array([0.1, -0.2, 0.5]))
    kp = fk.keypoints - np.array([0.1, -0.2, 0.5])
    assert np.allclose(fk.keypoints[0], [0.1, -0.2, 0.5])
    for finger in ("index", "middle", "ring", "pinky"):
        c = CHAINS[finger]
        seg = np.diff(kp[list(c[1:])], axis=0)
        # collinear, pointing straight up (-y), with the shape's phalanx lengths
        assert np.allclose(seg[:, [0, 2]], 0.0, atol=1e-12)
        assert np.allclose(-seg[:, 1], SHAPE.lengths(finger), atol=1e-12)
    # palm faces the camera, thumb on the +x side, index nearer the thumb than the pinky
    assert kp[4, 0] > kp[5, 0] > kp[9, 0] > kp[13, 0] > kp[17, 0]
    thumb = np.diff(kp[[1, 2, 3, 4]], axis=0)
    assert np.allclose(np.linalg.norm(thumb, axis=1), SHAPE.lengths("thumb"))
    d = thumb / np.linalg.norm(thumb, axis=1, keepdims=True)
    assert np.allclose(d, d[0], atol=1e-12)  # straight thumb
    assert np.allclose(fk.rotations, np.eye(3), atol=1e-12)
    assert np.isclose(-kp[9, 1], SHAPE.palm_length) and np.isclose(kp[5, 0] - kp[17, 0], SHAPE.palm_width)


def test_ninety_degree_pip_flexion_by_hand():
    pose = zero_pose()
    pose[2] = [np.pi / 2, 0, 0]  # index PIP, flexion about +x
    kp0 = H.forward_kinematics(zero_pose(), SHAPE).keypoints
    kp = H.forward_kinematics(pose, SHAPE).keypoints
    Lp, Lm, Ld = SHAPE.lengths("index")
    pip = kp0[6]
    # -y rotated by +90 deg about x is -z: the middle and distal phalanges point at the camera (palm side)
    assert np.allclose(kp[6], pip)
    assert np.allclose(kp[7], pip + [0, 0, -Lm], atol=1e-12)
    assert np.allclose(kp[8], pip + [0, 0, -(Lm + Ld)], atol=1e-12)
    others = [i for i in range(21) if i not in (7, 8)]
    assert np.allclose(kp[others], kp0[others])


def test_mcp_flexion_and_abduction_by_hand():
    pose = zero_pose()
    pose[4] = [0, 0, np.pi / 2]  # middle MCP, 90 deg about +z: finger turns from -y to +x
    kp = H.forward_kinematics(pose, SHAPE).keypoints
    mcp = kp[9]
    assert np.allclose(kp[12], mcp + [SHAPE.lengths("middle").sum(), 0, 0], atol=1e-12)
    pose = zero_pose()
    pose[13] = H._B[13][:, 0] * np.pi / 2  # thumb CMC flexion: tip moves across the palm (towards -x)
    kp_t = H.forward_kinematics(pose, SHAPE).keypoints
    kp0 = H.forward_kinematics(zero_pose(), SHAPE).keypoints
    assert kp_t[4, 0] < kp0[4, 0] - 0.03 and kp_t[4, 2] < kp0[4, 2]


def test_global_rotation_and_translation():
    rng = np.random.default_rng(0)
    pose = H.sample_random_pose(rng, 5)
    R = H.rotvec_to_matrix(pose[:, 0])
    local = pose.copy()
    local[:, 0] = 0.0
    t = rng.normal(size=(5, 3))
    fk = H.forward_kinematics(pose, SHAPE, translation=t)
    fk0 = H.forward_kinematics(local, SHAPE)
    assert np.allclose(fk.keypoints, np.einsum("nab,nkb->nka", R, fk0.keypoints) + t[:, None])
    assert np.allclose(fk.rotations, R[:, None] @ fk0.rotations)
    assert fk.keypoints.shape == (5, 21, 3) and fk.rotations.shape == (5, 16, 3, 3)
    assert np.allclose(fk.joints, fk.keypoints[:, list(H.MANO_TO_KEYPOINT)])


def test_bone_lengths_preserved_by_any_pose():
    pose = H.sample_random_pose(np.random.default_rng(1), 50)
    kp = H.forward_kinematics(pose, SHAPE).keypoints
    kp0 = H.forward_kinematics(zero_pose(), SHAPE).keypoints
    for a, b in H.SKELETON:
        L = np.linalg.norm(kp[:, a] - kp[:, b], axis=-1)
        assert np.allclose(L, np.linalg.norm(kp0[a] - kp0[b]))


def test_left_hand_is_mirror_of_right():
    rng = np.random.default_rng(2)
    pose = H.sample_random_pose(rng, 4)
    t = rng.normal(size=(4, 3))
    right = H.forward_kinematics(pose, SHAPE, "right", t * [-1, 1, 1])
    left = H.forward_kinematics(pose, SHAPE, "left", t)
    assert np.allclose(left.keypoints, right.keypoints * [-1, 1, 1])
    assert np.allclose(left.keypoints[:, 0], t)
    assert np.allclose(np.linalg.det(left.rotations), 1.0)
    assert np.allclose(left.rotations, H.MIRROR @ right.rotations @ H.MIRROR)
    # the proper axis-angle of a left hand is the mirrored pose
    assert np.allclose(H.rotvec_to_matrix(H.mirror_pose(pose)[:, 0]), left.rotations[:, 0])
    # zero pose: the left thumb is on the -x side
    kp = H.forward_kinematics(zero_pose(), SHAPE, "left").keypoints
    assert kp[4, 0] < kp[5, 0] < kp[17, 0]
    with pytest.raises(ValueError, match="side"):
        H.forward_kinematics(zero_pose(), SHAPE, "both")


def test_rotvec_round_trip():
    rng = np.random.default_rng(3)
    v = H.random_rotvec(rng, 200)
    assert np.all(np.linalg.norm(v, axis=1) <= np.pi + 1e-9)
    R = H.rotvec_to_matrix(v)
    assert np.allclose(R @ np.swapaxes(R, -1, -2), np.eye(3), atol=1e-12)
    assert np.allclose(H.matrix_to_rotvec(R), v, atol=1e-8)
    assert np.allclose(H.rotvec_to_matrix(np.zeros(3)), np.eye(3))
    # the single-vector fast paths agree with the batched code, also for tiny angles and angles near pi
    axis = np.array([0.6, -0.8, 0.0])
    for x in [*v[:20], np.array([1e-10, 0, 0]), np.zeros(3), axis * (np.pi - 1e-7), axis * 3.0]:
        assert np.allclose(H.rotvec_to_matrix(x), H.rotvec_to_matrix(x[None])[0], atol=1e-12)
        Rx = H.rotvec_to_matrix(x[None])
        assert np.allclose(H.rotvec_to_matrix(H.matrix_to_rotvec(Rx[0])), Rx[0], atol=1e-9)


def test_anatomical_angle_round_trip():
    pose = np.random.default_rng(4).normal(size=(3, 16, 3))
    assert np.allclose(H.angles_to_pose(H.pose_to_angles(pose)), pose)
    B = H.anatomical_frames()
    assert np.allclose(B @ np.swapaxes(B, -1, -2), np.eye(3)) and np.allclose(np.linalg.det(B), 1.0)


def test_joint_limits_and_clamp():
    lo, hi = H.joint_limits()
    assert lo.shape == hi.shape == (16, 3)
    assert np.all(np.isinf(lo[0])) and np.all(np.isinf(hi[0]))
    assert np.all(lo[1:] < hi[1:])
    rng = np.random.default_rng(5)
    wild = rng.normal(0, 2.0, (100, 16, 3))
    c = H.clamp_pose(wild)
    a = H.pose_to_angles(c)
    assert np.all(a[:, 1:] >= lo[1:] - 1e-9) and np.all(a[:, 1:] <= hi[1:] + 1e-9)
    assert np.allclose(c[:, 0], wild[:, 0])  # global orientation untouched
    assert np.allclose(H.clamp_pose(c), c)  # idempotent
    ok = np.zeros((16, 3))
    ok[2, 0], ok[3, 0] = 1.0, 0.7
    assert np.allclose(H.clamp_pose(ok), ok)  # a legal pose is unchanged
    with pytest.raises(ValueError, match=r"\(\.\.\., 16, 3\)"):
        H.clamp_pose(np.zeros((15, 3)))


def test_clamp_couplings():
    pose = np.zeros((16, 3))
    pose[2, 0] = np.deg2rad(90)  # index PIP bent 90 deg, DIP straight: DIP must follow
    c = H.pose_to_angles(H.clamp_pose(pose))
    assert np.isclose(c[3, 0], H.DIP_PIP_RATIO * np.deg2rad(90) - H.DIP_PIP_TOLERANCE)
    pose = np.zeros((16, 3))
    pose[1] = [np.deg2rad(100), 0, np.deg2rad(25)]  # fully flexed index MCP cannot keep full spread
    c = H.pose_to_angles(H.clamp_pose(pose))
    assert np.isclose(c[1, 2], np.deg2rad(25) * H.ABDUCTION_AT_FULL_FLEXION)


def test_sample_random_pose():
    p1 = H.sample_random_pose(np.random.default_rng(6), 2000)
    p2 = H.sample_random_pose(np.random.default_rng(6), 2000)
    assert p1.shape == (2000, 16, 3) and np.array_equal(p1, p2)
    assert np.allclose(H.clamp_pose(p1), p1)
    # all global orientations: the palm normal (R @ -z) is spread over the sphere
    normal = H.rotvec_to_matrix(p1[:, 0]) @ np.array([0, 0, -1.0])
    assert np.all(np.abs(normal.mean(0)) < 0.08)
    assert np.mean(normal[:, 2] > 0.5) > 0.2 and np.mean(normal[:, 2] < -0.5) > 0.2
    # both open and closed fingers occur
    flex = H.pose_to_angles(p1)[:, 2, 0]
    assert np.mean(flex < 0.3) > 0.15 and np.mean(flex > 1.2) > 0.15
    assert H.sample_random_pose(np.random.default_rng(0), 0).shape == (0, 16, 3)


def test_hand_shape():
    d = H.HandShape.default()
    v = d.as_vector()
    assert v.shape == (23,) and v.dtype == np.float32
    assert H.HandShape.from_vector(v).as_vector().tolist() == v.tolist()
    s1 = H.HandShape.sample(np.random.default_rng(7))
    s2 = H.HandShape.sample(np.random.default_rng(7))
    assert s1 == s2 and s1 != d
    sizes = [H.HandShape.sample(np.random.default_rng(i)).palm_length for i in range(50)]
    assert 0.8 * d.palm_length * 0.85 < min(sizes) < max(sizes) < 1.2 * d.palm_length * 1.15
    with pytest.raises(ValueError, match="15 phalanx lengths"):
        H.HandShape(phalanges=(0.04,) * 14)
    with pytest.raises(ValueError, match="metres"):
        H.HandShape(palm_length=95.0)
    # a bigger hand gives proportionally longer fingers
    big = H.HandShape.from_vector(v * 1.1)
    kb = H.forward_kinematics(zero_pose(), big).keypoints
    kd = H.forward_kinematics(zero_pose(), d).keypoints
    assert np.isclose(np.linalg.norm(kb[12]), 1.1 * np.linalg.norm(kd[12]))


def test_hand_primitives_solid_palm():
    kp = H.forward_kinematics(zero_pose(), SHAPE, translation=np.array([0, 0, 0.6])).keypoints
    p = H.hand_primitives(kp, SHAPE, "right", color=(0.9, 0.7, 0.6), part=prim.SIGNING_HAND)
    assert p.n_capsules >= 15 and p.n_ellipsoids >= 1
    assert np.all(p.cap_part == prim.SIGNING_HAND) and np.allclose(p.cap_color, [0.9, 0.7, 0.6])
    assert p.cap_a.dtype == np.float32 and p.ell_axes.shape == (p.n_ellipsoids, 3, 3)
    # the palm ellipsoid sits between the wrist and the knuckles and is about as wide as the palm
    c = p.ell_centre[0]
    assert kp[9, 1] < c[1] < kp[0, 1]
    widths = np.linalg.norm(p.ell_axes[0], axis=0)
    assert widths.max() > 0.4 * SHAPE.palm_width and widths.min() < SHAPE.palm_thickness
    # a point in the middle of the palm is inside some palm primitive (filled, not a wire skeleton)
    centre = kp[[0, 5, 17]].mean(0)
    inv = np.linalg.inv(p.ell_axes[0].astype(np.float64))
    assert np.linalg.norm(inv @ (centre - c)) < 1.0
    # fingertip surfaces end at the tip keypoint: last capsule end + radius = tip
    tip_cap = 5  # index distal capsule (thumb 0-2, index 3-5)
    end = p.cap_b[tip_cap] + p.cap_r[tip_cap] * (kp[8] - kp[7]) / np.linalg.norm(kp[8] - kp[7])
    assert np.allclose(end, kp[8], atol=1e-6)
    with pytest.raises(ValueError, match=r"\(21, 3\)"):
        H.hand_primitives(kp[:20], SHAPE)
