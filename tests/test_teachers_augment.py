"""In-plane rotation augmentation of pretraining crops and the camera-facing orientation prior."""

from __future__ import annotations

import math

import numpy as np
import torch

from fslib.teachers.augment import augment_batch, warp_crops, warp_targets
from fslib.teachers.components.rotation import axis_angle_to_matrix, geodesic_angle


def _dot_image(size: int, xy: tuple[float, float]) -> torch.Tensor:
    """(1, 1, S, S) black image with a small bright blob at crop units (x, y) (0 = centre, +-0.5 = edges)."""
    yy, xx = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    cx, cy = (xy[0] + 0.5) * size, (xy[1] + 0.5) * size
    return torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 4.0)[None, None]


def _peak(img: torch.Tensor) -> np.ndarray:
    """Intensity-weighted centre of a (1, 1, S, S) image in crop units."""
    s = img.shape[-1]
    w = img[0, 0].clamp(min=0) ** 4
    yy, xx = torch.meshgrid(torch.arange(s) + 0.5, torch.arange(s) + 0.5, indexing="ij")
    return np.array([float((w * xx).sum() / w.sum()) / s - 0.5, float((w * yy).sum() / w.sum()) / s - 0.5])


def test_rotated_image_and_rotated_keypoints_agree():
    kp = torch.tensor([[[0.25, -0.1]]])  # one keypoint, crop units
    for deg in (90.0, -35.0, 150.0):
        theta = torch.tensor([math.radians(deg)])
        img = warp_crops(_dot_image(64, tuple(kp[0, 0].tolist())), theta)
        moved = warp_targets({"kp2d": kp, "rot": torch.eye(3).expand(1, 16, 3, 3)}, theta)["kp2d"][0, 0]
        assert np.abs(_peak(img) - moved.numpy()).max() < 0.02, deg  # within about one pixel of 64


def test_zoom_and_shift_move_image_and_keypoints_together():
    kp = torch.tensor([[[-0.2, 0.15]]])
    theta, zoom, shift = torch.tensor([0.7]), torch.tensor([1.3]), torch.tensor([[0.05, -0.08]])
    img = warp_crops(_dot_image(64, tuple(kp[0, 0].tolist())), theta, zoom, shift)
    moved = warp_targets({"kp2d": kp, "rot": torch.eye(3).expand(1, 16, 3, 3)}, theta, zoom, shift)["kp2d"][0, 0]
    assert np.abs(_peak(img) - moved.numpy()).max() < 0.02
    # a pure zoom scales keypoints about the centre and leaves the rotations alone
    t = warp_targets({"kp2d": kp, "rot": torch.eye(3).expand(1, 16, 3, 3)}, torch.zeros(1), torch.tensor([2.0]))
    assert torch.allclose(t["kp2d"], 2 * kp) and torch.allclose(t["rot"], torch.eye(3).expand(1, 16, 3, 3))


def test_rotation_moves_x_towards_y_and_90_degrees_matches_rot90():
    img = torch.rand(1, 3, 16, 16)
    out = warp_crops(img, torch.tensor([math.pi / 2]))
    # +x (right) goes to +y (down): clockwise on screen, which torch.rot90 calls k=-1 over (H, W)
    assert torch.allclose(out, torch.rot90(img, k=-1, dims=(2, 3)), atol=1e-5)


def test_targets_rotate_consistently_and_round_trip():
    gen = torch.Generator().manual_seed(0)
    rot = axis_angle_to_matrix(torch.randn(4, 16, 3, generator=gen))
    t = {
        "rot": rot,
        "kp2d": torch.rand(4, 21, 2, generator=gen) - 0.5,
        "kp3d": torch.randn(4, 21, 3, generator=gen),
        "shape": torch.randn(4, 23, generator=gen),
    }
    theta = torch.tensor([0.3, -1.2, 2.5, 0.0])
    r = warp_targets(t, theta)
    # finger joints and shape unchanged, global orientation turned by exactly |theta| about the optical axis
    assert torch.equal(r["rot"][:, 1:], rot[:, 1:]) and torch.equal(r["shape"], t["shape"])
    ang = geodesic_angle(r["rot"][:, 0], rot[:, 0])
    assert torch.allclose(ang, theta.abs(), atol=1e-3)  # acos near 0 in float32
    # depth of the 3D keypoints unchanged, and the inverse rotation restores everything
    assert torch.allclose(r["kp3d"][..., 2], t["kp3d"][..., 2])
    back = warp_targets(r, -theta)
    for k in ("rot", "kp2d", "kp3d"):
        assert torch.allclose(back[k], t[k], atol=1e-5), k


def test_augment_batch_without_rotation_keeps_geometry():
    gen = torch.Generator().manual_seed(1)
    x = torch.zeros(2, 3, 8, 8)
    t = {"rot": torch.eye(3).expand(2, 16, 3, 3), "kp2d": torch.zeros(2, 21, 2)}
    x2, t2 = augment_batch(x, t, gen, max_rotation_deg=0)
    assert x2.shape == x.shape and torch.equal(t2["kp2d"], t["kp2d"]) and torch.equal(t2["rot"], t["rot"])
    x3, t3 = augment_batch(torch.rand(2, 3, 8, 8), t, gen, max_rotation_deg=180)
    assert not torch.equal(t3["rot"], t["rot"])


def test_facing_orientations_are_rotations_closer_to_neutral_than_uniform():
    from fslib.synth.hand import random_rotvec, rotvec_to_matrix
    from fslib.teachers.pretrain_data import facing_orientation

    rng = np.random.default_rng(0)
    facing = np.stack([facing_orientation(rng, 30.0) for _ in range(400)])
    mats = rotvec_to_matrix(facing)
    assert np.allclose(mats @ np.swapaxes(mats, -1, -2), np.eye(3), atol=1e-9)
    # the palm normal (hand z axis) stays towards the camera: angle to the optical axis = the tilt
    tilt = np.degrees(np.arccos(np.clip(mats[:, 2, 2], -1, 1)))
    assert 15 < np.median(tilt) < 30 and (tilt < 90).mean() > 0.99
    # while the roll about the optical axis covers the whole circle
    roll = np.degrees(np.arctan2(mats[:, 1, 0], mats[:, 0, 0]))
    assert np.histogram(roll, bins=8, range=(-180, 180))[0].min() > 20
    uniform = rotvec_to_matrix(random_rotvec(rng, 400))
    assert np.median(np.degrees(np.arccos(np.clip(uniform[:, 2, 2], -1, 1)))) > 70


def test_lower_resolution_blurs_some_crops_and_keeps_the_rest():
    from fslib.teachers.augment import lower_resolution

    gen = torch.Generator().manual_seed(0)
    x = torch.rand(64, 3, 32, 32, generator=gen)
    y = lower_resolution(x, gen, min_size=8, p=0.5)
    changed = (y - x).abs().flatten(1).amax(1) > 1e-6
    assert 10 < int(changed.sum()) < 54  # about half of the crops
    # a resampled crop keeps its mean brightness but loses fine detail (checkerboard energy)
    assert torch.allclose(y[changed].mean((1, 2, 3)), x[changed].mean((1, 2, 3)), atol=0.02)

    def hf(t):
        return (t[..., 1:, :] - t[..., :-1, :]).abs().mean((1, 2, 3))

    assert (hf(y[changed]) < hf(x[changed])).all()
    assert torch.equal(lower_resolution(x, gen, min_size=0), x)
