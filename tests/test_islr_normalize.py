"""The isolated-sign normalizations: invariances, ranges and missing points."""

import numpy as np
import pytest

from fslib.islr import normalize as nz

NOSE, FACE = 0, [0, 1, 2]


def clip(seed=0, t=6, p=8):
    return np.random.default_rng(seed).normal(size=(t, p, 3)).astype(np.float32)


def test_per_frame_is_invariant_to_per_frame_translation_and_scale():
    x = clip()
    rng = np.random.default_rng(1)
    moved = x * rng.uniform(0.5, 3.0, (6, 1, 1)) + rng.normal(size=(6, 1, 3))
    a, b = nz.per_frame(x), nz.per_frame(moved)
    assert np.allclose(a, b, atol=1e-5)
    # every frame (not just one of them) is scaled so that its largest absolute coordinate is exactly 1
    assert np.allclose(np.nanmax(np.abs(a), axis=(1, 2)), 1.0, atol=1e-6)
    assert np.allclose(np.nanmean(a, axis=1), 0, atol=1e-6)
    # and the scale is the frame's own: dividing the centred frame by its largest deviation, computed here
    centred = x - x.mean(1, keepdims=True)
    assert np.allclose(a, centred / np.abs(centred).max(axis=(1, 2), keepdims=True), atol=1e-6)


def test_anchored_strategies_remove_their_translations_only():
    x = clip()
    shake = np.random.default_rng(2).normal(size=(6, 1, 3))  # a different shift in every frame
    assert np.allclose(nz.nose_anchored(x + shake, NOSE), nz.nose_anchored(x, NOSE), atol=1e-5)
    assert not np.allclose(nz.face_anchored(x + shake, FACE), nz.face_anchored(x, FACE), atol=1e-3)
    one = np.array([[[3.0, -2.0, 0.5]]])  # one shift for the whole clip
    assert np.allclose(nz.face_anchored(x + one, FACE), nz.face_anchored(x, FACE), atol=1e-5)
    # neither anchored strategy removes scale: scaling the clip scales its output by the same factor ...
    assert np.allclose(nz.face_anchored(2 * x, FACE), 2 * nz.face_anchored(x, FACE), atol=1e-5)
    assert np.allclose(nz.nose_anchored(2 * x, NOSE), 2 * nz.nose_anchored(x, NOSE), atol=1e-5)
    # ... so the output is not scale invariant (the source's point against them)
    assert not np.allclose(nz.face_anchored(2 * x, FACE), nz.face_anchored(x, FACE), atol=1e-3)
    assert not np.allclose(nz.nose_anchored(2 * x, NOSE), nz.nose_anchored(x, NOSE), atol=1e-3)
    # the translation removed is the face centre over the whole clip, computed here
    assert np.allclose(nz.face_anchored(x, FACE), x - x[:, FACE].reshape(-1, 3).mean(0), atol=1e-5)
    assert np.allclose(nz.nose_anchored(x, NOSE)[:, NOSE], 0)


def test_missing_points_stay_missing_and_do_not_move_the_centre():
    x = clip()
    y = x.copy()
    y[:, 5:] = np.nan  # a hand not found in this clip
    out = nz.per_frame(y)
    assert np.isnan(out[:, 5:]).all() and not np.isnan(out[:, :5]).any()
    assert np.allclose(out[:, :5], nz.per_frame(x[:, :5]), atol=1e-6)
    y[2] = np.nan  # an all-NaN frame
    assert np.isnan(nz.per_frame(y)[2]).all()
    z = x.copy()
    z[3, NOSE] = np.nan  # nose missing in one frame
    assert np.isnan(nz.nose_anchored(z, NOSE)[3]).all() and not np.isnan(nz.nose_anchored(z, NOSE)[2]).any()
    f = x.copy()
    f[:, FACE] = np.nan
    with pytest.raises(ValueError, match="no face landmark"):
        nz.face_anchored(f, FACE)


def test_dispatch_and_bad_input():
    x = clip()
    assert np.allclose(nz.normalize(x, "none"), x)
    assert np.allclose(nz.normalize(x, "per_frame"), nz.per_frame(x))
    with pytest.raises(ValueError, match="unknown normalization 'nose'"):
        nz.normalize(x, "nose")
    with pytest.raises(ValueError, match="needs the nose landmark"):
        nz.normalize(x, "nose_anchored")
    with pytest.raises(ValueError, match=r"\(T, P, 2 or 3\)"):
        nz.none(x[0])
    const = np.ones((2, 4, 3))
    assert np.allclose(nz.per_frame(const), 0)
