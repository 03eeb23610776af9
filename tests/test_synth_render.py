"""The analytic renderer on hand-made capsules and ellipsoids: geometry, occlusion, compositing, shading."""

from __future__ import annotations

import numpy as np
import pytest

from fslib.synth import render
from fslib.synth.primitives import ARM, BACKGROUND, BODY, SIGNING_HAND, Camera, Primitives


def caps(a, b, r, color=(0.8, 0.6, 0.5), part=SIGNING_HAND) -> Primitives:
    e = Primitives.empty()
    a = np.asarray(a, np.float32).reshape(-1, 3)
    n = len(a)
    return Primitives(
        a,
        np.asarray(b, np.float32).reshape(n, 3),
        np.asarray(r, np.float32).reshape(n),
        np.tile(np.asarray(color, np.float32), (n, 1)),
        np.full(n, part, np.int8),
        e.ell_centre,
        e.ell_axes,
        e.ell_color,
        e.ell_part,
    )


def ell(centre, radii, color=(0.3, 0.4, 0.5), part=BODY) -> Primitives:
    e = Primitives.empty()
    return Primitives(
        e.cap_a,
        e.cap_b,
        e.cap_r,
        e.cap_color,
        e.cap_part,
        np.asarray(centre, np.float32)[None],
        np.diag(radii).astype(np.float32)[None],
        np.asarray(color, np.float32)[None],
        np.array([part], np.int8),
    )


CAM = Camera(fx=100.0, fy=100.0, cx=32.0, cy=32.0, width=64, height=64)


def test_sphere_silhouette_area_and_depth():
    # a capsule with a == b is a sphere: its silhouette is a disc of radius ~ f r / sqrt(z^2 - r^2)
    z, r = 1.0, 0.1
    prims = caps([0, 0, z], [0, 0, z], r)
    layer = render.render_layer(prims, CAM)
    radius_px = CAM.fx * r / np.sqrt(z * z - r * r)
    area = (layer.part == SIGNING_HAND).sum()
    assert abs(area - np.pi * radius_px**2) < 0.05 * np.pi * radius_px**2
    assert layer.depth[32, 32] == pytest.approx(z - r, abs=2e-3)  # the ray through the centre hits the front
    assert np.isinf(layer.depth[0, 0]) and layer.part[0, 0] == BACKGROUND


def test_capsule_projected_length_and_ellipsoid_extent():
    # a horizontal capsule 0.4 m long at 2 m: about f * 0.4 / 2 = 20 px plus the rounded ends
    prims = caps([-0.2, 0, 2], [0.2, 0, 2], 0.02)
    part = render.render_layer(prims, CAM).part
    cols = np.nonzero((part == SIGNING_HAND).any(0))[0]
    rows = np.nonzero((part == SIGNING_HAND).any(1))[0]
    assert 21 <= len(cols) <= 24 and 1 <= len(rows) <= 3
    # an ellipsoid 0.3 m wide, 0.1 m tall at 1.5 m: about 20 x 7 px
    part = render.render_layer(ell([0, 0, 1.5], [0.15, 0.05, 0.05]), CAM).part
    cols = np.nonzero((part == BODY).any(0))[0]
    rows = np.nonzero((part == BODY).any(1))[0]
    assert 19 <= len(cols) <= 22 and 6 <= len(rows) <= 8


def test_nearer_primitive_wins_and_hidden_primitives_are_skipped():
    front = caps([-0.1, 0, 1.0], [0.1, 0, 1.0], 0.03, part=SIGNING_HAND)
    back = ell([0, 0, 1.5], [0.3, 0.3, 0.1], part=BODY)
    behind_camera = caps([0, 0, -1.0], [0, 0.1, -1.0], 0.05, part=ARM)
    off_screen = caps([5, 5, 1.0], [5, 6, 1.0], 0.05, part=ARM)
    img, part = render.render(back + front + behind_camera + off_screen, CAM)
    assert part[32, 32] == SIGNING_HAND  # the capsule is in front of the ellipsoid
    assert part[20, 32] == BODY
    assert not (part == ARM).any()
    # order of the primitives does not matter
    _, part2 = render.render(front + back, CAM)
    np.testing.assert_array_equal(part, part2)


def test_render_over_matches_a_single_pass_and_batches_match_frames():
    static = ell([0, 0.1, 1.5], [0.3, 0.4, 0.1], part=BODY)
    rng = np.random.default_rng(0)
    moving = [caps([x, -0.05, 1.0], [x + 0.05, 0.1, 1.1], 0.03) for x in rng.uniform(-0.2, 0.2, 4)]
    layer = render.render_layer(static, CAM)
    batch_img, batch_part = render.render_over_batch(layer, moving)
    for f, m in enumerate(moving):
        img, part = render.render_over(layer, m)
        np.testing.assert_array_equal(img, batch_img[f])
        np.testing.assert_array_equal(part, batch_part[f])
        full_img, full_part = render.render(static + m, CAM)
        np.testing.assert_array_equal(part, full_part)
        # same shading; only the contact darkening at static-static edges may differ
        assert np.mean(np.abs(img.astype(int) - full_img.astype(int))) < 2.0
    # the layer itself is not modified by compositing
    np.testing.assert_array_equal(layer.part, render.render_layer(static, CAM).part)


def test_shading_follows_the_light_and_background_passes_through():
    bg = np.full((64, 64, 3), 17, np.uint8)
    sphere = caps([0, 0, 1.0], [0, 0, 1.0], 0.15, color=(0.8, 0.8, 0.8))
    left = render.Light(direction=(-1.0, 0.0, -0.3), ambient=0.1, specular=0.0, wrap=0.0)
    img, part = render.render(sphere, CAM, background=bg, light=left)
    row = img[32].astype(int).sum(1)
    assert row[22] > row[42] + 60  # the side facing the light (image left) is brighter
    assert (img[part == BACKGROUND] == 17).all()
    img_empty, part_empty = render.render(Primitives.empty(), CAM, background=bg)
    np.testing.assert_array_equal(img_empty, bg)
    assert (part_empty == BACKGROUND).all()


def test_rotated_ellipsoid_normals_point_outwards():
    # a flat ellipsoid turned 90 degrees about z must look like the unrotated one transposed
    theta = np.pi / 2
    R = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    e = Primitives.empty()
    axes = (R @ np.diag([0.2, 0.05, 0.05])).astype(np.float32)[None]
    rotated = Primitives(
        e.cap_a,
        e.cap_b,
        e.cap_r,
        e.cap_color,
        e.cap_part,
        np.array([[0, 0, 1.5]], np.float32),
        axes,
        np.array([[0.5, 0.5, 0.5]], np.float32),
        np.array([BODY], np.int8),
    )
    upright = ell([0, 0, 1.5], [0.05, 0.2, 0.05])
    p_rot = render.render_layer(rotated, CAM).part
    p_up = render.render_layer(upright, CAM).part
    np.testing.assert_array_equal(p_rot, p_up)


def test_bad_background_is_reported():
    with pytest.raises(ValueError, match="background"):
        render.render(Primitives.empty(), CAM, background=np.zeros((10, 10, 3), np.uint8))
