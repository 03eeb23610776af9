"""Clip preparation (frame selection, missing hands) and the augmentations."""

import numpy as np
import pytest

from fslib.islr import landmarks as lm
from fslib.islr.augment import SOURCE, AugmentConfig, augment
from fslib.islr.data import collate, prepare_clip


def clip(t=10, seed=0):
    return np.random.default_rng(seed).random((t, lm.N_POINTS, 3)).astype(np.float32)


def test_prepare_drops_handless_frames_and_counts_them():
    x = clip()
    x[2, :42] = np.nan  # frame 2: no hand at all -> dropped after subsampling
    x[4, lm.LEFT_HAND] = np.nan  # frame 4: one hand only -> kept, missing hand as 0
    out, rep = prepare_clip(x, "per_frame", stride=2)
    assert (rep.frames, rep.subsampled, rep.kept) == (10, 5, 4)
    assert out.shape == (4, 237) and not np.isnan(out).any()
    assert np.all(out[1].reshape(79, 3)[lm.LEFT_HAND] == 0) and np.abs(out).max() <= 1.0 + 1e-6
    none, rep0 = prepare_clip(np.where(np.arange(79)[None, :, None] < 42, np.nan, x), "none")
    assert none.shape == (0, 237) and rep0.kept == 0
    with pytest.raises(ValueError, match=r"\(T, 79, 3\)"):
        prepare_clip(x[:, :50], "none")


def test_a_frame_without_the_nose_is_dropped_and_counted_by_the_nose_anchored_strategy():
    # issue 26: a parquet without the face rows of one frame made that frame all zeros, counted as kept
    x = clip()
    x[4, lm.NOSE] = np.nan  # frame 4 (kept by stride 2): hands present, no nose
    out, rep = prepare_clip(x, "nose_anchored", stride=2)
    assert (rep.subsampled, rep.kept, rep.unanchored) == (5, 4, 1)
    assert out.shape == (4, 237) and not (out == 0).all(axis=1).any()  # no all-zero frame reaches the model
    full, rep_full = prepare_clip(x, "per_frame", stride=2)  # other strategies do not need the nose
    assert (rep_full.kept, rep_full.unanchored) == (5, 0) and full.shape == (5, 237)
    x[:, lm.NOSE] = np.nan  # no nose anywhere: nothing left, and the report says why
    empty, rep_empty = prepare_clip(x, "nose_anchored", stride=2)
    assert empty.shape == (0, 237) and (rep_empty.kept, rep_empty.unanchored) == (0, 5)


def test_collate_pads():
    x, lengths, y = collate([np.ones((3, 4), np.float32), np.ones((5, 4), np.float32)], [1, 2])
    assert x.shape == (2, 5, 4) and lengths.tolist() == [3, 5] and y.tolist() == [1, 2]
    assert x[0, 3:].abs().sum() == 0


def test_augmentations():
    rng = np.random.default_rng(0)
    x = np.ones((20, 6), np.float32)
    assert np.array_equal(augment(x, AugmentConfig(), rng), x)
    s = augment(x, AugmentConfig(scale=(0.8, 1.2)), rng)
    assert 0.8 <= s[0, 0] <= 1.2 and np.allclose(s, s[0, 0])  # one factor for the whole clip
    d = augment(x, AugmentConfig(frame_dropout=0.5), np.random.default_rng(1))
    zero = (d == 0).all(1)
    assert 0 < zero.sum() < 20 and np.array_equal(d[~zero], x[~zero])
    j = augment(x, SOURCE, np.random.default_rng(2))
    assert j.shape == x.shape and not np.array_equal(j, x)
    assert not (augment(np.ones((2, 3), np.float32), AugmentConfig(frame_dropout=0.999), rng) == 0).all()
