"""Signing-hand choice, crop geometry, the crop cache (hit, miss, atomicity, resume), the report, the
process pool / Dask runners and the torch Dataset."""

from __future__ import annotations

import numpy as np
import pytest

from fslib.data import read_corpus
from fslib.data.fixtures import write_fswild_fixture
from fslib.mediapipe_hands import HandDetection
from fslib.preprocess import PreprocessConfig, crops_for, preprocess_corpus
from fslib.preprocess import store as store_mod
from fslib.preprocess.crops import (
    BBOX,
    DETECTED,
    INTERPOLATED,
    crop_square,
    fill_squares,
    smooth_squares,
    square_to_box,
    to_square,
)
from fslib.preprocess.hands import TrackletLinker, box_iou, choose_signing_hand, link_tracklets
from fslib.synth import corpus as synth

CFG = PreprocessConfig(crop_size=32, complexity=0)


# ---------------------------------------------------------------- signing-hand choice (pure)
def _hand(rng, centre, size, spread=0.3):
    base = np.stack([np.cos(np.linspace(0, 5, 21)), np.sin(np.linspace(0, 5, 21))], -1) * 0.5
    base[0] = 0
    xy = centre + (base + rng.normal(0, spread, (21, 2)) * (np.arange(21)[:, None] > 0)) * size
    return np.concatenate([xy, np.zeros((21, 1))], -1).astype(np.float32)


def _two_hands(T=40, seed=0, signing_label="Left", drop=(), swap_order=True):
    """Signing hand: moves along a path and changes shape every frame; other hand: static, same shape."""
    rng = np.random.default_rng(seed)
    other = _hand(np.random.default_rng(99), np.array([60.0, 200.0]), 40, spread=0.05)
    frames, truth = [], []
    for t in range(T):
        c = np.array([200.0 + 30 * np.sin(t / 5), 100.0 + 20 * np.cos(t / 4)])
        sign = _hand(rng, c, 50)
        dets = (
            []
            if t in drop
            else [
                HandDetection(
                    sign, signing_label if rng.random() > 0.3 else ("Right" if signing_label == "Left" else "Left"), 0.9
                )
            ]
        )
        dets.append(
            HandDetection(
                other + rng.normal(0, 0.3, other.shape).astype(np.float32), rng.choice(["Left", "Right"]), 0.8
            )
        )
        if swap_order and t % 2:
            dets = dets[::-1]
        frames.append(dets)
        truth.append(None if t in drop else sign)
    return frames, truth


def test_signing_hand_is_the_moving_articulating_one_despite_label_flips():
    frames, truth = _two_hands(drop={7, 8, 20})
    ch = choose_signing_hand(frames)
    assert ch.detected.sum() == 40 - 3
    for t, s in enumerate(truth):
        if s is None:
            assert not ch.detected[t] and np.isnan(ch.landmarks[t]).all()
        else:
            np.testing.assert_allclose(ch.landmarks[t], s)
    # MediaPipe's label (for mirrored input) 'Left' in most frames -> the signer's right hand in ordinary video
    assert ch.side == "right"
    assert choose_signing_hand(frames, mediapipe_mirrored=True).side == "left"
    assert ch.n_tracklets >= 2 and ch.scores[0] > 3 * ch.scores[1]


def test_left_signing_hand_side():
    frames, _ = _two_hands(signing_label="Right", seed=3)
    assert choose_signing_hand(frames).side == "left"


def test_a_spurious_far_detection_does_not_win():
    frames, truth = _two_hands(T=30, seed=1)
    rng = np.random.default_rng(5)
    frames[10].append(HandDetection(_hand(rng, np.array([600.0, 20.0]), 50), "Left", 0.99))
    ch = choose_signing_hand(frames)
    np.testing.assert_allclose(ch.landmarks[10], truth[10])


def test_tracklets_link_by_position_and_stitch_after_a_long_gap():
    frames, truth = _two_hands(T=40, drop=set(range(15, 25)))  # lost for 10 frames (> max_gap)
    tracks = link_tracklets(frames, max_gap=5)
    assert len(tracks) == 3  # signing before the gap, signing after, the other hand
    ch = choose_signing_hand(frames)
    assert ch.detected.sum() == 30  # both pieces of the signing hand were stitched


def test_the_stream_linker_gives_the_whole_clip_rule_at_every_frame():
    # fslib recognize --stream links each frame once (TrackletLinker) instead of relinking the clip so far for
    # every partial hypothesis; the tracklets, their scores and the chosen hand must be those of the batch rule
    frames, _ = _two_hands(T=40, seed=4, drop={5, 6, 7, 8, 9, 10, 11, 30})
    frames[12].append(HandDetection(_hand(np.random.default_rng(1), np.array([500.0, 300.0]), 40), "Right", 0.7))
    linker = TrackletLinker(gate=1.5)
    for t, dets in enumerate(frames):
        linker.push(dets)
        live = linker.tracklets()
        batch = link_tracklets(frames[: t + 1], gate=1.5)
        assert [(tr.frames, tr.score) for tr in live] == [(tr.frames, tr.score) for tr in batch]
        a = choose_signing_hand(frames[: t + 1], tracks=live)
        b = choose_signing_hand(frames[: t + 1])
        assert (a.side, a.scores, a.vote) == (b.side, b.scores, b.vote)
        np.testing.assert_array_equal(a.landmarks, b.landmarks)
    assert len(live) >= 4  # the gap split the signing hand, plus the other hand and the spurious one


def test_no_detection_at_all():
    ch = choose_signing_hand([[] for _ in range(5)])
    assert ch.side == "none" and not ch.detected.any() and ch.landmarks.shape == (5, 21, 3)


# ---------------------------------------------------------------- crop geometry (pure)
def test_square_boxes_and_iou():
    sq = to_square(np.array([[10, 20, 30, 60]]), margin=0.25)
    np.testing.assert_allclose(sq, [[20, 40, 60]])  # side = 40 * 1.5
    np.testing.assert_allclose(square_to_box(sq), [[-10, 10, 50, 70]])
    assert box_iou(np.array([0, 0, 2, 2]), np.array([1, 0, 3, 2])) == pytest.approx(1 / 3)
    assert np.isnan(box_iou(np.array([0, 0, 1, np.nan]), np.array([0, 0, 1, 1])))


def test_fill_squares_interpolates_and_prefers_bbox():
    T = 6
    sq = np.full((T, 3), np.nan)
    det = np.zeros(T, bool)
    det[[1, 4]] = True
    sq[1], sq[4] = (10, 10, 20), (40, 10, 50)
    bbox = np.full((T, 3), np.nan)
    bbox[2] = (0, 0, 5)
    out, src = fill_squares(sq, det, bbox)
    assert src.tolist() == [INTERPOLATED, DETECTED, BBOX, INTERPOLATED, DETECTED, INTERPOLATED]
    np.testing.assert_allclose(out[0], (10, 10, 20))  # held before the first anchor
    np.testing.assert_allclose(out[3], (20, 5, 27.5))  # between the BBox (t=2) and the detection (t=4)
    np.testing.assert_allclose(out[5], (40, 10, 50))
    empty, src = fill_squares(np.full((3, 3), np.nan), np.zeros(3, bool))
    assert np.isnan(empty).all() and (src == 3).all()


def test_smoothing_keeps_constant_and_linear_interior():
    const = np.tile([5.0, 6.0, 7.0], (10, 1))
    np.testing.assert_allclose(smooth_squares(const, 3), const)
    lin = np.stack([np.arange(10.0)] * 3, -1)
    np.testing.assert_allclose(smooth_squares(lin, 3)[1:-1], lin[1:-1])


def test_crop_square_inside_outside_and_mirror():
    import cv2

    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
    inside = crop_square(frame, np.array([10, 5, 42, 37]), 16)
    np.testing.assert_array_equal(inside, cv2.resize(frame[5:37, 10:42], (16, 16), interpolation=cv2.INTER_AREA))
    np.testing.assert_array_equal(crop_square(frame, np.array([10, 5, 42, 37]), 16, mirror=True), inside[:, ::-1])
    edge = crop_square(frame, np.array([-20, -20, 20, 20]), 40)  # 1 px per output px, top-left quarter black
    assert (edge[:20, :20] == 0).all() and (edge[:20] == 0).all()
    np.testing.assert_array_equal(edge[20:, 20:], frame[:20, :20])
    far = crop_square(frame, np.array([500, 500, 540, 540]), 8)
    assert far.shape == (8, 8, 3) and (far == 0).all()


# ---------------------------------------------------------------- the stage on release-layout fixtures
@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("fswild")
    info = write_fswild_fixture(root)
    return read_corpus(root), info


def test_stage_report_and_repairs(corpus, tmp_path):
    corpus, info = corpus
    store = preprocess_corpus(corpus, CFG, workers=1, root=tmp_path / "c", progress=False)
    assert store.filenames == [s.filename for s in corpus.sequences]  # all readable sequences cropped
    T = {s.filename: s.n_frames for s in corpus.sequences}
    for fn in store.filenames:
        crops = store.load(fn)
        assert crops.shape == (T[fn], 32, 32, 3) and crops.dtype == np.uint8
        meta = store.meta(fn)
        assert meta["boxes"].shape == (T[fn], 4) and meta["landmarks"].shape == (T[fn], 21, 3)
    # the corrupt and the missing frame: flagged, filled from the nearest readable frame
    fn = info["corrupt"][0]
    ok = store.meta(fn)["frame_ok"]
    assert ok.tolist() == [True, True, False, False, True]
    np.testing.assert_array_equal(store.load(fn)[2], store.load(fn)[1])  # frame 3 <- frame 2
    np.testing.assert_array_equal(store.load(fn)[3], store.load(fn)[4])  # frame 4 <- frame 5
    # the BBox sequence: no hand detected (blank frames) -> BBox frames and interpolation between them
    m = store.meta(info["bbox"])
    assert m["source"].tolist() == [1, 2, 1, 1, 2, 1]
    np.testing.assert_allclose(m["boxes"][1], square_to_box(to_square(info["bbox_boxes"][2], CFG.margin)), atol=2)
    # report: every kind planted is counted and listed with an example and an action
    rep = store.report
    counts = rep.counts().set_index("kind")
    for kind, n in [
        ("corrupt_jpeg", 1),
        ("missing_frame", 1),
        ("frame_count_mismatch", 1),
        ("label_outside_alphabet", 1),
        ("missing_folder", 1),
        ("bad_row", 1),
        ("no_hand", 5),
    ]:
        assert counts.loc[kind, "count"] == n, kind
        assert counts.loc[kind, "action"] and counts.loc[kind, "examples"]
    assert counts.loc["corrupt_jpeg", "examples"].startswith(f"{fn} #3")
    s = rep.summary()
    assert s["sequences"] == 5 and s["cropped"] == 5 and s["detection_rate"] == 0.0
    assert s["bbox_frames"] == 2 and s["interpolated_frames"] == 4 and s["fallback_frames"] == 26 - 6
    assert (store.root / "report.json").exists()


def test_cache_hit_miss_resume_and_atomicity(corpus, tmp_path, monkeypatch):
    corpus, info = corpus
    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    from fslib.preprocess import sequence as seq_mod

    calls = []
    real = seq_mod.process_sequence

    def counting(seq, cfg, mp=None):
        calls.append(seq.filename)
        return real(seq, cfg, mp)

    monkeypatch.setattr(seq_mod, "process_sequence", counting)
    # an interrupted run: the third sequence's metadata write fails after its crops were written
    real_savez = np.savez
    n = {"savez": 0}

    def failing_savez(f, **kw):
        n["savez"] += 1
        if n["savez"] == 3:
            raise KeyboardInterrupt("simulated interruption")
        return real_savez(f, **kw)

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(KeyboardInterrupt):
        crops_for(corpus, CFG, workers=1, progress=False)
    monkeypatch.setattr(np, "savez", real_savez)
    store = store_mod.CropStore.open(corpus, CFG)
    assert store.root.parent == tmp_path / "cache" / "crops"
    assert len(store.filenames) == 2 and len(calls) == 3
    third = corpus.sequences[2].filename
    assert not store.has(third)
    leftovers = [p for p in store.root.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    assert leftovers == []  # no half-written entry or temporary left behind
    # resume: only the three missing sequences are processed
    calls.clear()
    store = crops_for(corpus, CFG, workers=1, progress=False)
    assert sorted(calls) == sorted(s.filename for s in corpus.sequences[2:])
    assert len(store.filenames) == 5
    # hit: nothing is processed again
    calls.clear()
    again = crops_for(corpus, CFG, workers=1, progress=False)
    assert calls == [] and again.root == store.root
    # miss: another configuration is another cache entry
    other = crops_for(corpus, PreprocessConfig(crop_size=16, complexity=0), workers=1, progress=False)
    assert other.root != store.root and other.load(store.filenames[0]).shape[1:] == (16, 16, 3)
    assert len(calls) == 5


def test_processing_error_is_reported_not_raised(corpus, tmp_path, monkeypatch):
    corpus, _ = corpus
    from fslib.preprocess import sequence as seq_mod

    real = seq_mod.process_sequence

    def flaky(seq, cfg, mp=None):
        if seq.filename == corpus.sequences[1].filename:
            raise RuntimeError("boom")
        return real(seq, cfg, mp)

    monkeypatch.setattr(seq_mod, "process_sequence", flaky)
    store = preprocess_corpus(corpus, CFG, workers=1, root=tmp_path / "c", progress=False)
    assert len(store.filenames) == 4
    errs = store.report.issues.query("kind == 'processing_error'")
    assert errs["filename"].tolist() == [corpus.sequences[1].filename] and "boom" in errs["detail"].iloc[0]


def test_dask_local_cluster_matches_serial(corpus, tmp_path):
    import distributed  # a hard dependency (dask[distributed] in pyproject.toml): missing, this must fail, not skip

    corpus, _ = corpus
    serial = preprocess_corpus(corpus, CFG, workers=1, root=tmp_path / "serial", progress=False)
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cl,
        distributed.Client(cl) as client,
    ):
        dask = preprocess_corpus(corpus, CFG, scheduler=client, root=tmp_path / "dask", progress=False)
    assert dask.filenames == serial.filenames
    for fn in serial.filenames:
        np.testing.assert_array_equal(dask.load(fn), serial.load(fn))


def test_process_pool_matches_serial(corpus, tmp_path):
    corpus, _ = corpus
    serial = preprocess_corpus(corpus, CFG, workers=1, root=tmp_path / "serial", progress=False)
    pool = preprocess_corpus(corpus, CFG, workers=2, root=tmp_path / "pool", progress=False)
    assert pool.filenames == serial.filenames
    for fn in serial.filenames:
        np.testing.assert_array_equal(pool.load(fn), serial.load(fn))


# ---------------------------------------------------------------- torch Dataset / collate / buckets
def test_dataset_collate_and_buckets(corpus, tmp_path):
    import torch

    from fslib.preprocess.dataset import CropDataset, LengthBucketSampler, collate

    corpus, info = corpus
    store = preprocess_corpus(corpus, CFG, workers=1, root=tmp_path / "c", progress=False)
    ds = CropDataset(store)
    assert info["bad_label"] in ds.skipped and len(ds) == 4
    stripped = CropDataset(store, bad_labels="strip")
    assert len(stripped) == 5
    train = CropDataset(store, partitions=["train"])
    assert {store.sequences[fn].partition for fn, _ in train.items} == {"train"} and len(train) == 3
    item = ds[0]
    np.testing.assert_array_equal(item["frames"].numpy(), store.load(item["filename"]))
    assert corpus.alphabet.decode(item["target"].tolist()) == store.sequences[item["filename"]].label
    sub = CropDataset(store, subsample=2)
    assert sub.lengths() == [(store.load(fn).shape[0] + 1) // 2 for fn, _ in sub.items]
    np.testing.assert_array_equal(sub[0]["frames"].numpy(), store.load(sub.items[0][0])[::2])
    capped = CropDataset(store, max_frames=3)
    assert max(capped.lengths()) == 3
    batch = collate([ds[i] for i in range(len(ds))])
    B, Tm = len(ds), max(ds[i]["length"] for i in range(len(ds)))
    assert batch["frames"].shape == (B, Tm, 32, 32, 3) and batch["frames"].dtype == torch.uint8
    assert batch["targets"].shape == (int(batch["target_lengths"].sum()),)
    for k in range(B):
        L = int(batch["lengths"][k])
        assert (batch["frames"][k, L:] == 0).all()
    sampler = LengthBucketSampler([5, 1, 9, 3, 7, 2, 8], batch_size=2, shuffle=True, seed=1)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(7)) and len(batches) == len(sampler) == 4
    lengths = np.array([5, 1, 9, 3, 7, 2, 8])
    assert max(np.ptp(lengths[b]) for b in batches) <= 2  # neighbours in length share a batch
    loader = torch.utils.data.DataLoader(ds, batch_sampler=LengthBucketSampler(ds.lengths(), 2), collate_fn=collate)
    assert sum(len(b["filenames"]) for b in loader) == len(ds)


def test_config_rejects_bad_values():
    from fslib.config import ConfigError, build_config

    with pytest.raises(ValueError, match="crop_size"):
        PreprocessConfig(crop_size=2)
    with pytest.raises(ConfigError, match="cropsize"):
        build_config(PreprocessConfig, {"cropsize": 64})


# ---------------------------------------------------------------- MediaPipe on synthetic frames with hands
def test_real_mediapipe_on_synthetic_hands(tmp_path):
    """End to end on frames that contain a hand: MediaPipe finds it, the chosen hand is the signing hand and
    the crops cover the true hand box (the synthetic corpus's ground truth)."""
    from fslib.preprocess.evaluate import frame_table, sequence_table

    root = synth.generate(
        synth.make_config(signers=3, sequences=3, image_size=128, seed=0, max_word_len=4),
        workers=1,
        progress=False,
        root=tmp_path / "corpus",
    )
    corpus = read_corpus(root)
    assert corpus.kind == "synthetic" and len(corpus) == 3 and not corpus.issues
    store = preprocess_corpus(corpus, PreprocessConfig(crop_size=32), workers=1, root=tmp_path / "c", progress=False)
    frames = frame_table(store)
    seqs = sequence_table(store, frames)
    assert len(seqs) == 3
    assert seqs["detection_rate"].mean() > 0.3  # measured about 0.6 on this corpus
    assert seqs["hand_correct"].all()
    det = frames[frames["source"] == "detected"]
    assert det["coverage"].mean() > 0.85 and det["iou_crop"].mean() > 0.4


def test_side_decided_per_signer_and_crops_mirrored_on_load(corpus, tmp_path):
    """Three sequences of one signer vote right, right, left: with side_by_signer the left one is served
    mirrored back (exactly: a horizontal flip of its stored crops); without it, each keeps its own side."""
    from fslib.preprocess.sequence import SequenceCrops

    corpus, _ = corpus
    seqs = [s for s in corpus.sequences if s.signer == "elsie_stecker"]
    assert len(seqs) == 2
    import dataclasses as dc

    third = dc.replace(seqs[0], filename="aslized/elsie_stecker_0099")
    corpus3 = dc.replace(corpus, sequences=[seqs[0], seqs[1], third])
    rng = np.random.default_rng(0)
    stored = {}
    for on in (True, False):
        cfg = PreprocessConfig(crop_size=8, side_by_signer=on)
        store = store_mod.CropStore(tmp_path / f"s{on}", corpus3, cfg)
        for s, vote in zip(corpus3.sequences, (0.6, 0.2, -0.3)):
            side = "right" if vote >= 0 else "left"
            crops = stored.setdefault(s.filename, rng.integers(0, 255, (3, 8, 8, 3), dtype=np.uint8))
            meta = dict(
                boxes=np.zeros((3, 4), np.float32),
                source=np.zeros(3, np.int8),
                landmarks=np.zeros((3, 21, 3), np.float32),
                frame_ok=np.ones(3, bool),
                n_hands=np.ones(3, np.int8),
                mirrored=np.bool_(side == "left"),
                side=np.str_(side),
                side_vote=np.float32(vote),
            )
            store.write(s.filename, SequenceCrops(crops, meta, dict(filename=s.filename, side=side), []))
        left = third.filename
        if on:
            assert store.meta(left)["side"] == "right" and store.meta(left)["side_sequence"] == "left"
            assert not store.meta(left)["mirrored"]
            np.testing.assert_array_equal(store.load(left), stored[left][:, :, ::-1])
        else:
            assert store.meta(left)["side"] == "left" and store.meta(left)["mirrored"]
            np.testing.assert_array_equal(store.load(left), stored[left])
        np.testing.assert_array_equal(store.load(seqs[0].filename), stored[seqs[0].filename])
