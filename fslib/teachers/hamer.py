"""The HaMeR network (ViT backbone + MANO transformer-decoder head) and its factory.

The released HaMeR is the default configuration: ViT-H/16 on the central 256 x 192 of a 256 x 256 crop
(631 M parameters) and a 6-layer decoder whose 1024-d output token is the pose embedding (39.5 M).
Smaller presets build the same classes at a size that trains on CPU (the synthetic-pretrained teacher).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn as nn

from ..config import build_config
from .backbones.vit import ViT
from .heads.mano_transformer import ManoTransformerHead
from .preprocess import central_columns


@dataclasses.dataclass(frozen=True)
class HamerConfig:
    """Size of a HaMeR-style network. Defaults = the released model.

    image_size: side of the square input crop in pixels; the backbone sees its central
        image_size x (3/4 image_size) part (256 x 192 for the release).
    patch, patch_padding: ViT patch embedding (16, 2).
    vit_width, vit_depth, vit_heads, vit_mlp_ratio, drop_path: ViT size (1280, 32, 16, 4.0).
    token_dim, head_depth, head_heads, head_dim_head, head_mlp_dim: decoder head size (1024, 6, 8, 64, 1024).
    joints, betas: MANO parameters predicted (16 rotations, 10 shape coefficients).
    keypoints: 2D keypoints regressed by an extra linear decoder (0 for the release).
    conv_stem: convolutions per stage of a convolutional patch embedding (0 = the released single-conv
        patch embedding; the synthetic presets use 2).
    """

    image_size: int = 256
    patch: int = 16
    patch_padding: int = 2
    vit_width: int = 1280
    vit_depth: int = 32
    vit_heads: int = 16
    vit_mlp_ratio: float = 4.0
    drop_path: float = 0.0
    token_dim: int = 1024
    head_depth: int = 6
    head_heads: int = 8
    head_dim_head: int = 64
    head_mlp_dim: int = 1024
    joints: int = 16
    betas: int = 10
    keypoints: int = 0
    conv_stem: int = 0

    def __post_init__(self) -> None:
        if self.image_size % 8:
            raise ValueError(
                f"HamerConfig.image_size={self.image_size}: must be a multiple of 8 "
                "(the backbone crops a 3/4-wide centre)"
            )

    @property
    def crop_hw(self) -> tuple[int, int]:
        """(H, W) of the part of the crop the backbone sees."""
        return self.image_size, self.image_size * 3 // 4

    @property
    def margin(self) -> int:
        """Columns cut on each side of the square crop (32 for 256)."""
        return self.image_size // 8


# Named sizes. "released" is HaMeR as published; the others are for CPU-trained synthetic teachers.
PRESETS: dict[str, dict[str, Any]] = {
    "released": {},
    # synthetic-pretrained teachers: 64 px crops (64 x 48 seen), 8 px patches -> 8 x 6 = 48 tokens,
    # 23 shape numbers (fslib's HandShape vector) and a 21-keypoint 2D decoder
    "base": dict(
        image_size=64,
        patch=8,
        patch_padding=1,
        vit_width=192,
        vit_depth=6,
        vit_heads=3,
        token_dim=256,
        head_depth=2,
        head_heads=4,
        head_dim_head=32,
        head_mlp_dim=512,
        betas=23,
        keypoints=21,
        conv_stem=2,
    ),
    "small": dict(
        image_size=64,
        patch=8,
        patch_padding=1,
        vit_width=128,
        vit_depth=4,
        vit_heads=4,
        token_dim=192,
        head_depth=2,
        head_heads=4,
        head_dim_head=32,
        head_mlp_dim=384,
        betas=23,
        keypoints=21,
        conv_stem=2,
    ),
    "tiny": dict(
        image_size=64,
        patch=8,
        patch_padding=1,
        vit_width=96,
        vit_depth=3,
        vit_heads=3,
        token_dim=128,
        head_depth=1,
        head_heads=4,
        head_dim_head=32,
        head_mlp_dim=256,
        betas=23,
        keypoints=21,
        conv_stem=2,
    ),
}


def hamer_config(size: str = "released", **overrides: Any) -> HamerConfig:
    """A :class:`HamerConfig` from a preset name plus overrides (unknown keys rejected)."""
    if size not in PRESETS:
        raise ValueError(f"unknown HaMeR size {size!r}; choose one of {', '.join(PRESETS)}")
    return build_config(HamerConfig, {**PRESETS[size], **overrides})


class Hamer(nn.Module):
    """HaMeR: ``backbone`` (ViT) and ``mano_head`` (transformer decoder), as in the checkpoint.

    forward(images): images (B, 3, S, S) float, ImageNet-normalised RGB, S = config.image_size. The central
    S x 3S/4 columns go through the backbone. Returns the head's dict (see
    :meth:`ManoTransformerHead.forward`): ``embedding`` (B, token_dim), ``pose_6d`` (B, 16, 6),
    ``global_orient`` (B, 1, 3, 3), ``hand_pose`` (B, 15, 3, 3), ``betas`` (B, 10), ``cam`` (B, 3).
    """

    def __init__(self, config: HamerConfig = HamerConfig()):
        super().__init__()
        self.config = config
        c = config
        self.backbone = ViT(
            c.crop_hw,
            c.patch,
            c.patch_padding,
            c.vit_width,
            c.vit_depth,
            c.vit_heads,
            c.vit_mlp_ratio,
            c.drop_path,
            c.conv_stem,
        )
        self.mano_head = ManoTransformerHead(
            c.vit_width,
            c.token_dim,
            c.head_depth,
            c.head_heads,
            c.head_dim_head,
            c.head_mlp_dim,
            c.joints,
            c.betas,
            c.keypoints,
        )

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        s = self.config.image_size
        if images.ndim != 4 or tuple(images.shape[1:]) != (3, s, s):
            raise ValueError(
                f"Hamer expects normalised crops (B, 3, {s}, {s}), got {tuple(images.shape)}; "
                "use fslib.teachers.preprocess.to_model_input"
            )
        return self.mano_head(self.backbone(central_columns(images)))

    def parameter_counts(self) -> dict[str, int]:
        """Parameters of the backbone, the head and the total."""
        b = sum(p.numel() for p in self.backbone.parameters())
        h = sum(p.numel() for p in self.mano_head.parameters())
        return {"backbone": b, "head": h, "total": b + h}


def build_hamer(config: HamerConfig | Mapping[str, Any] | str | None = None, init: str = "default") -> Hamer:
    """Factory: a :class:`Hamer` from a config, a dict of overrides on the release, or a preset name.

    init: "default" (truncated-normal ViT initialisation, for training) or "fast" (allocate without the
    per-layer initialisers, then fill weights uniformly in +-0.02, LayerNorms 1/0, buffers reset): several
    times faster for the 670 M-parameter release when the weights are about to be loaded or only latency
    is measured.
    """
    if config is None:
        config = HamerConfig()
    elif isinstance(config, str):
        config = hamer_config(config)
    elif not isinstance(config, HamerConfig):
        config = build_config(HamerConfig, dict(config))
    if init == "default":
        return Hamer(config)
    if init != "fast":
        raise ValueError(f"build_hamer: init={init!r}; use 'default' or 'fast'")
    with torch.device("meta"):
        model = Hamer(config)
    model = model.to_empty(device="cpu")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".norm" in name or "last_norm" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            else:
                p.uniform_(-0.02, 0.02)
    model.mano_head.reset_buffers()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
    return model
