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


def test_bad_landmark_files_are_skipped_with_their_reason_and_none_silently(tmp_path, monkeypatch):
    """A truncated parquet, a zero-length one, one without any face rows, and one whose hand landmarks are all NaN:
    each clip is skipped and named in the preparation report with its reason; every other clip is kept."""
    import pandas as pd

    from fslib.islr import corpus as C
    from fslib.islr import experiment

    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    params = dict(islr_glosses=3, islr_train_signers=2, islr_val_signers=1, islr_test_signers=1, seed=0)
    src_root = experiment.corpus_root(params, progress=False)
    import shutil

    root = tmp_path / "corpus"
    shutil.copytree(src_root, root)
    index = C.read_index(root)
    paths = [root / p for p in index["path"][:4]]
    whole = paths[0].read_bytes()
    paths[0].write_bytes(whole[: len(whole) // 3])  # truncated
    paths[1].write_bytes(b"")  # zero length
    df = pd.read_parquet(paths[2])
    df[df["type"] != "face"].to_parquet(paths[2])  # the face type missing in every frame
    df = pd.read_parquet(paths[3])
    hands = df["type"].isin(["left_hand", "right_hand"])
    df.loc[hands, ["x", "y", "z"]] = np.nan  # NaN landmarks: no hand anywhere
    df.to_parquet(paths[3])

    splits, _, report = experiment.load_splits(root, "per_frame")
    assert len(report) == len(index)  # one line per clip of train.csv, none dropped
    why = dict(zip(report["sequence_id"], report["skipped"]))
    ids = index["sequence_id"].tolist()
    assert why[ids[0]] and why[ids[1]]  # unreadable: the reader's own error, named
    assert "no rows of landmark type(s) ['face']" in why[ids[2]]
    assert why[ids[3]] == "no hand in any frame"
    assert all(why[i] == "" for i in ids[4:])
    assert sum(len(s.clips) for s in splits.values()) == len(index) - 4
