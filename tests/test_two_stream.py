"""The two-stream recognizer (RGB crops + MediaPipe's hand landmarks, fused before the 1D-CNN): the landmark
vectors, training on the shared loop, and the refusal to run it without its second stream."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import toy_crops

from fslib.recognizer.config import ConfigError, make_config
from fslib.recognizer.data import POSE_DIM, RecognizerData, collate, pose_vectors

ALPHA = toy_crops.ALPHA
CFG = dict(
    width=4,
    input_size=16,
    conv_channels=16,
    gru_hidden=16,
    batch_size=4,
    epochs=2,
    lr=1e-2,
    teacher="",
    w_distill=0.0,
    speed=(1.0, 1.0),
    jitter=0.0,
    color=0.0,
    rotate=0.0,
    threads=1,
    pose_hidden=8,
)


def _store(root):
    labels = {f"s{i % 3}_{i:02d}": ("abcd"[i % 4] + "dcba"[i % 3], "train") for i in range(8)}
    labels.update({f"s9_{i:02d}": ("ab", "dev") for i in range(2)})
    return toy_crops.ToyStore(root, labels, hold=3)


def test_pose_vectors_are_in_crop_coordinates_mirrored_with_the_crop_and_zero_when_unseen():
    lm = np.zeros((3, 21, 3), np.float32)
    lm[:, :, 0], lm[:, :, 1], lm[:, :, 2] = 30.0, 20.0, 5.0
    lm[1] = np.nan
    boxes = np.tile(np.array([10, 10, 60, 60], np.float32), (3, 1))
    v = pose_vectors({"landmarks": lm, "boxes": boxes, "mirrored": False})
    assert v.shape == (3, POSE_DIM) and v.dtype == np.float32
    np.testing.assert_allclose(v[0, :3], [0.4, 0.2, 0.1], atol=1e-6)
    assert v[0, -1] == 1.0 and not v[1].any()
    m = pose_vectors({"landmarks": lm, "boxes": boxes, "mirrored": True})
    np.testing.assert_allclose(m[0, :3], [0.6, 0.2, 0.1], atol=1e-6)


def test_two_stream_model_trains_on_the_shared_loop_and_needs_its_landmarks(tmp_path):
    from fslib.recognizer.evaluate import predict
    from fslib.recognizer.train import train

    store = _store(tmp_path / "crops")
    cfg = make_config(CFG)
    res = train(cfg, store, ALPHA, None, progress=False, root=tmp_path / "run")
    assert res.model.pose_encoder is not None and res.report["parameters"]["pose_stream"] > 0
    assert np.isfinite(res.history[-1]["train_loss"])
    data = RecognizerData(store, ALPHA, ["dev"], pose=True)
    assert len(predict(res.model, data)) == 2
    batch = collate([RecognizerData(store, ALPHA, ["dev"])[0]])
    with pytest.raises(ValueError, match="landmark stream"):
        res.model(batch["frames"], batch["lengths"])
    # the RGB-only student is unchanged by the option: no landmark encoder, same input width to the 1D-CNN
    rgb = make_config(CFG, pose_hidden=0)
    from fslib.recognizer.model import build_recognizer

    student = build_recognizer(rgb, ALPHA.size)
    assert student.pose_encoder is None and student.parameter_counts()["pose_stream"] == 0
    with torch.no_grad():
        assert student(batch["frames"], batch["lengths"])["gru_logits"].shape[-1] == ALPHA.size  # letters + blank


def test_negative_pose_width_is_refused():
    with pytest.raises(ConfigError, match="pose_hidden"):
        make_config(CFG, pose_hidden=-1)
