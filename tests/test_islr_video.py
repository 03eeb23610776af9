"""The isolated-sign source's proposed system (issue 24): synthetic sign video drawn from the generator, the
hand-and-face segmentation, the video + keypoint model, and its training on the shared loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from fslib.islr import corpus as C
from fslib.islr import landmarks as lm
from fslib.islr import segment, video, video_data
from fslib.islr.models import ModelConfig, build_model
from fslib.islr.train import make_config, train

CFG = C.CorpusConfig(glosses=3, train_signers=2, val_signers=1, test_signers=1)


def _frame(left=None, right=None, face=None):
    f = {t: np.full((n, 3), np.nan, np.float32) for t, n in lm.TYPES.items()}
    for t, box in (("left_hand", left), ("right_hand", right)):
        if box is not None:
            f[t][:, :2] = np.random.default_rng(0).uniform(box[:2], box[2:], (21, 2))
    if face is not None:
        f["face"][list(lm.FACE_SUBSET), :2] = np.random.default_rng(1).uniform(face[:2], face[2:], (37, 2))
    return f


def test_the_mask_keeps_the_hands_and_face_with_a_margin_and_nothing_else():
    f = _frame(left=(0.1, 0.1, 0.2, 0.2), face=(0.5, 0.1, 0.6, 0.3))
    m = segment.mask(f, 100, 100, margin=0.0)
    assert m[15, 15] and m[20, 55] and not m[50, 50] and not m[15, 40]  # hand, face; between them: off
    wide = segment.mask(f, 100, 100, margin=0.5)
    assert wide.sum() > m.sum() and wide[m].all()  # a margin only adds
    assert not segment.mask(_frame(), 100, 100).any()  # nothing found: the whole frame is zeroed
    frames = np.full((2, 60, 80, 3), 200, np.uint8)
    out = segment.frames_input(frames, {t: np.stack([v, v]) for t, v in f.items()}, size=16)
    assert out.shape == (2, 16, 16) and out.dtype == np.uint8 and 0 < (out > 0).mean() < 0.5
    assert (segment.frames_input(frames, None, size=16)[:, 8, 8] > 0).all()  # the original frame is kept whole


def test_the_video_draws_the_generators_signer_from_the_same_clip_as_the_landmarks():
    job = C.clip_jobs(CFG)[0]
    noisy = C.render_clip(job.sign, job.signer, CFG, job.rng())
    truth = C.render_clip(job.sign, job.signer, CFG, job.rng(), truth=True)
    assert all(noisy[t].shape == truth[t].shape for t in lm.TYPES)
    found = ~np.isnan(noisy["right_hand"]).any(axis=(1, 2))
    err = np.abs(noisy["right_hand"][found] - truth["right_hand"][found]).max()
    assert 0 < err < 0.1  # the landmark file is the drawn positions plus MediaPipe-like noise
    assert not np.isnan(truth["right_hand"]).any()  # the video always shows both hands
    frames = video.render_video(truth, video.signer_look(job.signer.name), width=96)
    assert frames.shape == (len(truth["pose"]), 72, 96, 3) and frames.dtype == np.uint8
    # the drawn hand is where the generator put it: the pixels around the wrist differ from the background
    t = len(frames) // 2
    x, y = (truth["right_hand"][t, 9, :2] * [96, 72]).astype(int)
    look = video.signer_look(job.signer.name)
    assert np.abs(frames[t, y, x].astype(int) - np.array(look.background)).sum() > 30


def test_padded_frames_never_change_the_video_models_output():
    torch.manual_seed(0)
    cfg = ModelConfig(
        "bilstm", 16 * 16 + lm.N_POINTS * 3, 3, hidden=16, layers=1, heads=2, streams="video+pose", frame_size=16
    )
    model = build_model(cfg).eval()
    x = torch.rand(1, 5, cfg.in_dim)
    padded = torch.cat([x, torch.rand(1, 3, cfg.in_dim)], 1)
    with torch.no_grad():
        a = model(x, torch.tensor([5]))
        b = model(padded, torch.tensor([5]))
    torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="values a frame"):
        build_model(cfg, in_dim=10)


@pytest.mark.slow
def test_video_clips_are_rendered_prepared_and_trained_on_the_shared_loop(tmp_path, monkeypatch):
    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    torch.set_num_threads(1)
    root = C.generate(CFG, progress=False)
    videos = video.write_citizen(CFG, width=64, progress=False)
    assert len(list((videos / "videos").glob("*.mp4"))) == 3 * 4
    assert (videos / "splits" / "train.csv").read_text().startswith("Participant ID,Video file,Gloss,ASL-LEX Code")
    splits, classes, report = video_data.load_video_splits(root, videos, size=16, frames_input="segmented")
    assert classes == 3 and not report["skipped"].any()
    pose, _, _ = video_data.load_video_splits(root, videos, size=16, streams="pose")
    clip = splits["train"].clips[0]
    assert clip.shape[1] == 16 * 16 + lm.N_POINTS * 3
    np.testing.assert_array_equal(clip[:, 256:], pose["train"].clips[0][: len(clip)])  # the same frames' keypoints
    assert 0 <= clip[:, :256].min() and clip[:, :256].max() <= 1
    # the frames are decoded once: a second load reads the cache
    again, _, _ = video_data.load_video_splits(root, videos, size=16, frames_input="segmented")
    np.testing.assert_array_equal(again["train"].clips[0], clip)
    cfg = make_config(
        kind="bilstm", hidden=16, layers=1, heads=2, epochs=1, batch_size=4, streams="video+pose", frame_size=16
    )
    res = train(cfg, splits, classes, progress=False)
    assert {"top1", "top5"} <= set(res.report["val"]) and res.report["parameters"] > 11_000_000  # a ResNet18 inside


def test_the_rendered_sign_videos_pass_through_islr_extract_into_the_pages_reader(tmp_path, monkeypatch):
    """The drawn corpus in ASL Citizen's layout goes through `fslib islr-extract` (MediaPipe Holistic, the
    subset rule, the splits) exactly as real videos do, and the result reads as a GISLR corpus: every clip is
    extracted with one landmark frame per video frame, and MediaPipe finds the drawn face in most frames."""
    from fslib.cli import main
    from fslib.data.video import open_video

    monkeypatch.setenv("FSLIB_CACHE", str(tmp_path / "cache"))
    videos = video.write_citizen(CFG, width=160, progress=False, out=tmp_path / "citizen")
    out = tmp_path / "landmarks"
    argv = ["islr-extract", "--citizen", str(videos), "--out", str(out), "--glosses", "3", "--workers", "1"]
    assert main(argv) == 0
    index = C.read_index(out)
    mp4s = sorted((videos / "videos").glob("*.mp4"))
    assert len(index) == len(mp4s) == 3 * 4 and set(index["split"]) == {"train", "val", "test"}
    assert not (out / "unreadable.csv").exists() or len(pd.read_csv(out / "unreadable.csv")) == 0
    first = index.iloc[0]
    clip = lm.read_parquet(out / first["path"])
    source = videos / "videos" / f"{first['sequence_id']}.mp4"
    assert len(clip["face"]) == sum(1 for _ in open_video(source).frames())
    face = np.concatenate([~np.isnan(lm.read_parquet(out / p)["face"]).all(axis=(1, 2)) for p in index["path"]])
    assert face.mean() > 0.5
