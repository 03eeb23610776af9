"""HaMeR network, checkpoint loading, rotations and crop preprocessing (fslib.teachers)."""

from __future__ import annotations

import math
import sys
import types

import numpy as np
import pytest
import torch

from fslib.teachers import checkpoint as checkpoint_module
from fslib.teachers.checkpoint import CheckpointError, load_hamer_checkpoint, read_state_dict, save_hamer_checkpoint
from fslib.teachers.components.rotation import (
    axis_angle_to_matrix,
    matrix_to_axis_angle,
    matrix_to_rot6d,
    rot6d_to_matrix,
)
from fslib.teachers.extract import HamerTeacher, measure_latency
from fslib.teachers.hamer import Hamer, HamerConfig, build_hamer, hamer_config
from fslib.teachers.preprocess import (
    IMAGENET_MEAN,
    central_columns,
    crop_square,
    expand_to_aspect,
    hamer_crop,
    to_model_input,
)

SMALL = dict(
    image_size=64,
    patch=16,
    patch_padding=2,
    vit_width=32,
    vit_depth=2,
    vit_heads=2,
    token_dim=48,
    head_depth=2,
    head_heads=2,
    head_dim_head=8,
    head_mlp_dim=40,
)


def official_keys(c: HamerConfig) -> dict[str, tuple[int, ...]]:
    """The checkpoint's backbone.* / mano_head.* names and shapes, written from the specification
    (hamer.md), independently of the model code."""
    W, T = c.vit_width, c.token_dim
    inner = c.head_heads * c.head_dim_head
    rows, cols = c.image_size // c.patch, (c.image_size * 3 // 4) // c.patch
    k = {
        "backbone.patch_embed.proj.weight": (W, 3, c.patch, c.patch),
        "backbone.patch_embed.proj.bias": (W,),
        "backbone.pos_embed": (1, rows * cols + 1, W),
        "backbone.last_norm.weight": (W,),
        "backbone.last_norm.bias": (W,),
    }
    for i in range(c.vit_depth):
        b = f"backbone.blocks.{i}."
        k.update(
            {
                b + "norm1.weight": (W,),
                b + "norm1.bias": (W,),
                b + "attn.qkv.weight": (3 * W, W),
                b + "attn.qkv.bias": (3 * W,),
                b + "attn.proj.weight": (W, W),
                b + "attn.proj.bias": (W,),
                b + "norm2.weight": (W,),
                b + "norm2.bias": (W,),
                b + "mlp.fc1.weight": (4 * W, W),
                b + "mlp.fc1.bias": (4 * W,),
                b + "mlp.fc2.weight": (W, 4 * W),
                b + "mlp.fc2.bias": (W,),
            }
        )
    h = "mano_head."
    k.update(
        {
            h + "init_hand_pose": (1, 96),
            h + "init_betas": (1, 10),
            h + "init_cam": (1, 3),
            h + "transformer.to_token_embedding.weight": (T, 1),
            h + "transformer.to_token_embedding.bias": (T,),
            h + "transformer.pos_embedding": (1, 1, T),
            h + "decpose.weight": (96, T),
            h + "decpose.bias": (96,),
            h + "decshape.weight": (10, T),
            h + "decshape.bias": (10,),
            h + "deccam.weight": (3, T),
            h + "deccam.bias": (3,),
        }
    )
    for i in range(c.head_depth):
        L = f"{h}transformer.transformer.layers.{i}."
        for j in range(3):
            k.update({f"{L}{j}.norm.weight": (T,), f"{L}{j}.norm.bias": (T,)})
        k.update(
            {
                L + "0.fn.to_qkv.weight": (3 * inner, T),
                L + "0.fn.to_out.0.weight": (T, inner),
                L + "0.fn.to_out.0.bias": (T,),
                L + "1.fn.to_q.weight": (inner, T),
                L + "1.fn.to_kv.weight": (2 * inner, W),
                L + "1.fn.to_out.0.weight": (T, inner),
                L + "1.fn.to_out.0.bias": (T,),
                L + "2.fn.net.0.weight": (c.head_mlp_dim, T),
                L + "2.fn.net.0.bias": (c.head_mlp_dim,),
                L + "2.fn.net.3.weight": (T, c.head_mlp_dim),
                L + "2.fn.net.3.bias": (T,),
            }
        )
    return k


def _lightning_file(path, keys, *, with_foreign_object=True):
    """A Lightning-style checkpoint: state_dict with the official names plus discriminator/mano entries, and
    hyper-parameters holding an object whose class cannot be imported at load time (like yacs' CfgNode)."""
    gen = torch.Generator().manual_seed(0)
    state = {k: torch.randn(s, generator=gen) * 0.02 for k, s in keys.items()}
    state["discriminator.D_conv_pose.0.weight"] = torch.randn(32, 9, 1)
    state["mano.shapedirs"] = torch.randn(778, 3, 10)
    ckpt = {"state_dict": state, "epoch": 3, "global_step": 1000, "pytorch-lightning_version": "2.0.0"}
    if with_foreign_object:
        mod = types.ModuleType("fake_yacs_config")

        class CfgNode(dict):
            pass

        CfgNode.__module__ = "fake_yacs_config"
        CfgNode.__qualname__ = "CfgNode"
        mod.CfgNode = CfgNode
        sys.modules["fake_yacs_config"] = mod
        try:
            ckpt["hyper_parameters"] = {"cfg": CfgNode(MODEL="vit")}
            torch.save(ckpt, path)
        finally:
            del sys.modules["fake_yacs_config"]
    else:
        torch.save(ckpt, path)
    return state


def test_released_size_matches_the_specification():
    with torch.device("meta"):
        model = Hamer(HamerConfig())
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert got == official_keys(HamerConfig())
    # a few shapes quoted literally from the specification
    assert got["backbone.patch_embed.proj.weight"] == (1280, 3, 16, 16)
    assert got["backbone.pos_embed"] == (1, 193, 1280)
    assert got["backbone.blocks.31.attn.qkv.weight"] == (3840, 1280)
    assert got["backbone.blocks.0.mlp.fc2.weight"] == (1280, 5120)
    assert got["mano_head.transformer.transformer.layers.5.0.fn.to_qkv.weight"] == (1536, 1024)
    assert got["mano_head.transformer.transformer.layers.0.1.fn.to_kv.weight"] == (1024, 1280)
    assert got["mano_head.decpose.weight"] == (96, 1024)
    counts = model.parameter_counts()
    assert 625e6 < counts["backbone"] < 635e6 and 39e6 < counts["head"] < 40e6


def test_small_official_layout_loads_strictly_and_ignores_extras(tmp_path):
    cfg = HamerConfig(**SMALL)
    path = tmp_path / "hamer.ckpt"
    state = _lightning_file(path, official_keys(cfg))
    model = load_hamer_checkpoint(path, cfg)
    loaded = model.state_dict()
    assert set(loaded) == set(official_keys(cfg))
    for k in ("backbone.pos_embed", "mano_head.decpose.weight", "mano_head.init_cam"):
        assert torch.equal(loaded[k], state[k])
    assert not model.training


def test_wrong_checkpoint_names_the_bad_keys(tmp_path):
    cfg = HamerConfig(**SMALL)
    keys = official_keys(cfg)
    del keys["backbone.blocks.1.attn.proj.weight"]
    keys["mano_head.deccam.weight"] = (4, cfg.token_dim)
    keys["backbone.blocks.9.norm1.weight"] = (cfg.vit_width,)
    path = tmp_path / "bad.ckpt"
    _lightning_file(path, keys, with_foreign_object=False)
    with pytest.raises(CheckpointError) as err:
        load_hamer_checkpoint(path, cfg)
    msg = str(err.value)
    assert "backbone.blocks.1.attn.proj.weight" in msg and "missing 1" in msg
    assert "mano_head.deccam.weight (checkpoint (4, 48), model (3, 48))" in msg
    assert "backbone.blocks.9.norm1.weight" in msg and "unexpected 1" in msg
    assert "discriminator" not in msg


def test_released_config_rejects_a_small_file_and_missing_file_is_explained(tmp_path, monkeypatch):
    path = tmp_path / "small.ckpt"
    _lightning_file(path, official_keys(HamerConfig(**SMALL)), with_foreign_object=False)
    state = read_state_dict(path)
    assert "discriminator.D_conv_pose.0.weight" in state
    # The released network (670 M parameters) is built without memory on the meta device: the shape check
    # that must reject the file reads shapes only.
    built = []

    def on_meta(config, init="default"):
        built.append(config)
        with torch.device("meta"):
            return Hamer(config)

    monkeypatch.setattr(checkpoint_module, "build_hamer", on_meta)
    # what the error must name, from the specification's key lists: the released keys the small file lacks
    # (30 more ViT blocks, 4 more head layers) and the keys both have with other shapes
    small, released = official_keys(HamerConfig(**SMALL)), official_keys(HamerConfig())
    missing = sorted(set(released) - set(small))
    misshaped = sorted(k for k in set(small) & set(released) if small[k] != released[k])
    assert len(missing) == 30 * 12 + 4 * 17 and len(misshaped) == 69
    for config in (None, HamerConfig()):  # no config: a foreign file carries none, so the release is assumed
        with pytest.raises(CheckpointError) as err:
            load_hamer_checkpoint(path, config)
        msg = str(err.value)
        assert f"{path} does not fit a HaMeR network of size ViT 1280x32 on 256x192, head 1024x6" in msg
        assert f"missing {len(missing)} key(s): {missing[0]}, " in msg
        k = misshaped[0]
        assert f"mis-shaped {len(misshaped)} key(s): {k} (checkpoint {small[k]}, model {released[k]})" in msg
        assert "unexpected" not in msg
    assert built == [HamerConfig(), HamerConfig()]
    with pytest.raises(FileNotFoundError, match="hamer_checkpoint empty"):
        read_state_dict(tmp_path / "nope.ckpt")


def test_save_and_reload_round_trip(tmp_path):
    model = build_hamer(hamer_config("tiny"))
    path = save_hamer_checkpoint(model, tmp_path / "t.ckpt", {"note": "x"})
    again = load_hamer_checkpoint(path)  # configuration read from the file
    assert again.config == model.config
    x = torch.randn(2, 3, 64, 64)
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(x)["embedding"], again(x)["embedding"], atol=1e-6)


def test_output_shapes_and_teacher_extract():
    cfg = HamerConfig(**SMALL)
    model = build_hamer(cfg).eval()
    with torch.no_grad():
        out = model(torch.randn(3, 3, 64, 64))
    assert out["embedding"].shape == (3, 48)
    assert out["pose_6d"].shape == (3, 16, 6)
    assert out["global_orient"].shape == (3, 1, 3, 3) and out["hand_pose"].shape == (3, 15, 3, 3)
    assert out["betas"].shape == (3, 10) and out["cam"].shape == (3, 3)
    with pytest.raises(ValueError, match="expects normalised crops"):
        model(torch.randn(1, 3, 32, 32))
    teacher = HamerTeacher(model, "synthetic", "test", batch_size=2)
    crops = np.random.default_rng(0).integers(0, 255, (5, 40, 40, 3), dtype=np.uint8)
    res = teacher.extract(crops)
    assert res["embedding"].shape == (5, 48) and res["pose"].shape == (5, 16, 3, 3)
    assert teacher.vectors(crops).shape == (5, 48)
    # batching does not change results
    assert np.allclose(
        HamerTeacher(model, "synthetic", "t", batch_size=5).extract(crops)["embedding"], res["embedding"], atol=1e-5
    )
    # the query token does not depend on the image, but the embedding does (cross-attention)
    assert not np.allclose(res["embedding"][0], res["embedding"][1])


def test_rot6d_gives_proper_rotations():
    x = torch.randn(1000, 6, dtype=torch.float64)
    r = rot6d_to_matrix(x)
    eye = torch.eye(3, dtype=torch.float64).expand(1000, 3, 3)
    assert torch.allclose(r.transpose(-1, -2) @ r, eye, atol=1e-10)
    assert torch.allclose(torch.linalg.det(r), torch.ones(1000, dtype=torch.float64), atol=1e-10)
    # Gram-Schmidt of a non-orthogonal pair: a1 along x (any length), a2 in the xy-plane -> identity
    ident = rot6d_to_matrix(torch.tensor([2.0, 0, 0, 1.0, 1.0, 0], dtype=torch.float64))
    assert torch.allclose(ident, torch.eye(3, dtype=torch.float64))


def test_known_rotation_round_trips():
    a = math.radians(30)
    rz = torch.tensor([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]], dtype=torch.float64)
    assert torch.allclose(axis_angle_to_matrix(torch.tensor([0, 0, a], dtype=torch.float64)), rz, atol=1e-12)
    assert torch.allclose(rot6d_to_matrix(matrix_to_rot6d(rz)), rz, atol=1e-12)
    aa = torch.randn(500, 3, dtype=torch.float64)
    aa = aa / aa.norm(dim=-1, keepdim=True) * torch.rand(500, 1, dtype=torch.float64) * 3.1
    r = axis_angle_to_matrix(aa)
    assert torch.allclose(matrix_to_axis_angle(r), aa, atol=1e-6)
    assert torch.allclose(rot6d_to_matrix(matrix_to_rot6d(r)), r, atol=1e-10)


def test_crop_box_convention():
    assert np.allclose(expand_to_aspect([30, 100]), [75, 100])  # too narrow: widen
    assert np.allclose(expand_to_aspect([90, 100]), [90, 120])  # too wide: heighten
    centre, side = crop_square(np.array([10, 20, 40, 60]), rescale=2.0)
    assert np.allclose(centre, [25, 40]) and math.isclose(side, 2 * 40)
    with pytest.raises(ValueError, match="hand box"):
        crop_square(np.array([5, 5, 1, 9]))


def test_hamer_crop_geometry_and_mirroring():
    img = np.zeros((200, 300, 3), np.uint8)
    img[90:110, 60:80] = (255, 0, 0)  # the "hand": a red square at x 60..80, y 90..110
    img[95:105, 75:80] = (0, 255, 0)  # a green mark on its right side
    box = np.array([60, 90, 80, 110])
    crop = hamer_crop(img, box, right=True, rescale=2.0, out_size=256)
    # square box 20 x 20 -> 3:4 box 20 x 26.67 -> crop side 53.3 px: the hand spans 20/53.3 of 256 = 96 px
    red = (crop[..., 0] > 128) | (crop[..., 1] > 128)
    ys, xs = np.nonzero(red)
    assert abs(xs.mean() - 128) < 3 and abs(ys.mean() - 128) < 3
    assert 90 <= xs.max() - xs.min() + 1 <= 100
    green = np.nonzero(crop[..., 1] > 128)[1]
    assert green.mean() > 128  # mark on the right for a right hand
    left = hamer_crop(img, box, right=False, rescale=2.0, out_size=256)
    assert np.nonzero(left[..., 1] > 128)[1].mean() < 128  # mirrored for a left hand
    assert np.array_equal(left, crop[:, ::-1]) or np.abs(left.astype(int) - crop[:, ::-1]).max() <= 1


def test_normalisation_and_central_columns():
    mean = (np.array(IMAGENET_MEAN) * 255).round().astype(np.uint8)
    crops = np.broadcast_to(mean, (2, 256, 256, 3)).copy()
    x = to_model_input(crops, 256)
    assert x.shape == (2, 3, 256, 256) and float(x.abs().max()) < 0.01
    cols = torch.arange(256.0).expand(1, 3, 256, 256)
    cut = central_columns(cols)
    assert cut.shape == (1, 3, 256, 192) and cut[0, 0, 0, 0] == 32 and cut[0, 0, 0, -1] == 223
    with pytest.raises(ValueError, match="square uint8"):
        to_model_input(np.zeros((1, 10, 12, 3), np.uint8), 64)


def test_full_size_network_builds_on_cpu_and_reports_latency():
    res = measure_latency(crops=1, repeats=1, warmup=False)
    assert 669 < res["parameters_millions"] < 672
    assert res["ms_per_crop_best"] > 0 and res["crops"] == 1


def test_small_presets_use_a_conv_stem_and_keep_the_token_grid():
    for size in ("tiny", "small", "base"):
        cfg = hamer_config(size)
        model = build_hamer(cfg).eval()
        assert cfg.conv_stem and model.backbone.grid == (8, 6)
        with torch.no_grad():
            out = model(torch.randn(2, 3, 64, 64))
        assert out["embedding"].shape == (2, cfg.token_dim) and out["keypoints2d"].shape == (2, 21, 2)
    fast = build_hamer("tiny", init="fast").eval()
    with torch.no_grad():
        assert torch.isfinite(fast(torch.randn(1, 3, 64, 64))["embedding"]).all()
