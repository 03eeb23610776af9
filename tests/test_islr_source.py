"""The isolated-sign source as its authors coded it (issue 23): each difference from the text, on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from fslib.islr import landmarks as lm
from fslib.islr import source as src
from fslib.islr.normalize import normalize


def _clip(t=6, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 0.8, (t, lm.N_POINTS, 3)).astype(np.float32)


def test_the_code_keeps_the_authors_37_face_points_with_the_nose():
    assert len(src.FACE_POINTS_CODE) == 37 == len(set(src.FACE_POINTS_CODE))
    assert len(set(src.FACE_POINTS_CODE) & set(lm.FACE_SUBSET)) == 14  # the count of shared points
    face = np.arange(468 * 3, dtype=np.float32).reshape(1, 468, 3)
    frames = {"left_hand": np.zeros((1, 21, 3)), "right_hand": np.zeros((1, 21, 3)), "face": face}
    pts = src.select_points(frames, "code")
    assert pts.shape == (1, 79, 3) and list(pts[0, 42:, 0] / 3) == list(src.FACE_POINTS_CODE)
    assert pts[0, src.CODE.nose, 0] / 3 == lm.NOSE_TIP and src.TEXT.nose == lm.NOSE
    assert np.array_equal(src.select_points(frames, "text"), lm.select_points(frames))


def test_frame_order_drop_then_subsample_differs_from_subsample_then_drop():
    x = _clip(6)
    for t in (1, 4):  # frames 1 and 4 have no hand
        x[t, :42] = np.nan
    x[:, 42, 0] = np.arange(6)  # frame number in a face coordinate
    text = src.select_frames(x, 2, "text")  # 0, 2, 4 -> 4 dropped
    code = src.select_frames(x, 2, "code")  # 0, 2, 3, 5 -> every 2nd: 0, 3
    assert list(text[:, 42, 0]) == [0, 2] and list(code[:, 42, 0]) == [0, 3]


def test_per_frame_is_translation_invariant_with_a_hand_missing_in_the_text_not_in_the_code():
    x = _clip(4)
    x[:, lm.LEFT_HAND] = np.nan  # one hand missing in every frame
    moved = x + np.array([0.3, -0.2, 0.1], np.float32)
    same = src.normalize_clip(x, "per_frame", "text"), src.normalize_clip(moved, "per_frame", "text")
    assert np.allclose(*same, atol=1e-5, equal_nan=True)
    code = src.normalize_clip(x, "per_frame", "code"), src.normalize_clip(moved, "per_frame", "code")
    assert not np.allclose(*code, atol=1e-3)  # the zero-filled hand does not move with the signer
    # the code's per-frame centre counts the zeros: computed here
    z = np.nan_to_num(x)
    q = z - z.mean(1, keepdims=True)
    assert np.allclose(code[0], q / np.abs(q).max(axis=(1, 2), keepdims=True), atol=1e-5)


def test_face_anchored_code_scales_the_clip_and_falls_back_without_a_face():
    x = np.nan_to_num(_clip(5))
    out = src.normalize_clip(x, "face_anchored", "code")
    anchor = x[:, lm.FACE].reshape(-1, 3).mean(0)
    q = x - anchor
    assert np.allclose(out, q / np.abs(q).max(), atol=1e-5) and np.isclose(np.abs(out).max(), 1.0)
    assert np.allclose(src.normalize_clip(2 * x, "face_anchored", "code"), out, atol=1e-5)  # scale removed
    text = src.normalize_clip(x, "face_anchored", "text")
    assert np.allclose(text, normalize(x, "face_anchored", face=lm.FACE), atol=1e-6)  # the text only translates
    noface = x.copy()
    noface[:, lm.FACE] = 0.0
    got = src.face_anchored_code(noface, lm.FACE)
    joints = noface.reshape(-1, 3)
    q = noface - joints[np.any(joints != 0, axis=1)].mean(0)
    assert np.allclose(got, q / np.abs(q).max(), atol=1e-5)


def test_nose_anchored_is_the_texts_in_both_sources_with_each_sources_nose():
    x = _clip(3)
    for name in ("text", "code"):
        s = src.get(name)
        assert np.allclose(src.normalize_clip(x, "nose_anchored", s)[:, s.nose], 0)


def test_the_code_subset_keeps_dog1_beside_dog_and_loses_na():
    counts = {"DOG": 9, "DOG1": 8, "NEAR": 7, "NEAR2": 6, "NA": 5, "CAT": 4}
    assert src.subset_glosses(counts, 10, "text") == ["DOG", "NEAR", "NA", "CAT"]
    assert src.subset_glosses(counts, 10, "code") == ["DOG", "DOG1", "NEAR", "NEAR2", "CAT"]
    assert src.gloss_base("DOG1", "code") == "DOG" and src.gloss_base("DOG", "code") == "DO"
    assert src.gloss_base("NEAR12", "text") == "NEAR" and src.gloss_base("NEAR12", "code") == "NEAR1"


def test_bad_sources_are_refused():
    with pytest.raises(ValueError, match="choose text, code"):
        src.get("paper")
    for bad in ("text+nosuch", "code+zero_fill", "text+"):
        with pytest.raises(ValueError, match="unknown isolated-sign source"):
            src.get(bad)
    with pytest.raises(ValueError, match="nose tip"):
        src.Source(face_points=tuple(range(2, 39)))


def test_code_style_models_pool_padding_and_have_the_authors_heads():
    import torch

    from fslib.islr.models import ModelConfig, build_model

    x = torch.randn(2, 6, 237)
    short, longer = torch.tensor([3, 6]), torch.tensor([3, 6])
    padded = x.clone()
    padded[0, 3:] = 5.0  # what the padding holds must not matter to the text's models, and does to the code's
    for kind in ("lstm", "bilstm", "transformer"):
        torch.manual_seed(0)
        text = build_model(ModelConfig(kind, 237, 5, 16, 2, 4)).eval()
        assert torch.allclose(text(x, short)[0], text(padded, longer)[0], atol=1e-5)
        torch.manual_seed(0)
        code = build_model(ModelConfig(kind, 237, 5, 16, 2, 4, 0.2, style="code")).eval()
        assert not torch.allclose(code(x, short)[0], code(padded, longer)[0], atol=1e-3)
        head = [m for m in code.head if isinstance(m, torch.nn.Linear)]
        assert [h.out_features for h in head] == ([8, 5] if kind == "transformer" else [200, 5])
    lstm = build_model(ModelConfig("bilstm", 237, 5, 16, 2, 4, 0.3, style="code"))
    assert lstm.temporal.dropout == 0.0  # no dropout between the code's LSTM layers
    tf = build_model(ModelConfig("transformer", 237, 5, 16, 2, 4, 0.1, style="code"))
    assert tf.temporal.layers[0].linear1.out_features == 32  # feed-forward 2 x d


def test_code_augmentation_adds_noise_before_scaling():
    from fslib.islr.augment import CODE, AugmentConfig, augment

    clip = np.ones((5, 4), np.float32)
    one = dict(jitter=0.1, scale=(2.0, 2.0), frame_dropout=0.0)
    a = augment(clip, AugmentConfig(**one), np.random.default_rng(1))
    b = augment(clip, AugmentConfig(**one, order="noise_first"), np.random.default_rng(1))
    noise = np.random.default_rng(1)
    noise.uniform(2.0, 2.0)
    n = noise.normal(0, 0.1, clip.shape)
    assert np.allclose(a, 2 * clip + n, atol=1e-6) and np.allclose(b, 2 * (clip + n), atol=1e-6)
    assert (CODE.jitter, CODE.scale, CODE.frame_dropout, CODE.order) == (0.005, (0.9, 1.1), 0.1, "noise_first")


def test_a_single_difference_source_is_the_text_with_that_one_field_of_the_code():
    one = src.get("text+zero_fill")
    assert one.zero_fill and one.name == "text+zero_fill"
    for field in src.SWITCHES:
        if field != "zero_fill":
            assert getattr(one, field) == getattr(src.TEXT, field), field
    both = src.get("text+frame_order+face_points")
    assert both.frame_order == "drop_first" and both.face_points == src.FACE_POINTS_CODE and not both.zero_fill
    assert src.label("code") == "authors' code" and src.label("text+recipe") == "text + code's recipe"


def test_training_overrides_carry_the_codes_networks_recipe_and_augmentation():
    row = {"normalization": "per_frame"}
    assert src.training_overrides(row, "text") == {**row, "source": "text"}
    code = src.training_overrides(row, "code")
    assert code["model_style"] == "code" and code["dropout"] == 0.2  # the code's default dropout
    assert src.training_overrides({**row, "dropout": 0.0}, "code")["dropout"] == 0.0  # a row's own dropout wins
    aug = src.training_overrides({**row, "jitter": 0.01, "scale": (0.8, 1.2), "frame_dropout": 0.1}, "code")
    assert (aug["jitter"], aug["scale"], aug["augment_order"]) == (0.005, (0.9, 1.1), "noise_first")
    tf = src.training_overrides({**row, "kind": "transformer"}, "code", transformer_epochs=40)
    assert (tf["batch_size"], tf["lr"], tf["optimizer"], tf["early_stop"], tf["epochs"]) == (450, 1e-4, "adam", 30, 40)
    # only the networks switched on: the text's recipe (no dropout default, no transformer recipe)
    net = src.training_overrides({**row, "kind": "transformer"}, "text+networks")
    assert net["model_style"] == "code" and "dropout" not in net and "batch_size" not in net


def test_the_face_scale_switched_on_alone_scales_a_clip_with_missing_points():
    """``text+face_scale``: the text keeps missing points as NaN; the code's face scaling must still scale (a NaN
    must not make the scale NaN and silently leave the clip unscaled)."""
    clip = _clip(t=4)
    clip[1, lm.LEFT_HAND] = np.nan
    out = src.normalize_clip(clip, "face_anchored", "text+face_scale")
    assert np.nanmax(np.abs(out)) == pytest.approx(1.0)
    assert np.isnan(out[1, lm.LEFT_HAND]).all() and np.isfinite(out[0]).all()
    assert not np.allclose(out, src.normalize_clip(clip, "face_anchored", "text"), equal_nan=True)
