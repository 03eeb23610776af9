"""The keypoint-regressor teacher's network: a small ConvNet with a linear 3D-keypoint head.

It stands for the 3D-skeleton hand models of earlier fingerspelling work (e.g. MediaPipe-style or learned
2D-to-3D lifting), trained here on the same synthetic pretraining crops as the synthetic HaMeR.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn as nn

from .backbones.convnet import ConvNet
from .heads.keypoints import KeypointHead


@dataclasses.dataclass(frozen=True)
class KeypointRegressorConfig:
    """image_size: square crop side (pixels); width: ConvNet base channels; keypoints: 21."""

    image_size: int = 64
    width: int = 32
    keypoints: int = 21


class KeypointRegressor(nn.Module):
    """(B, 3, S, S) ImageNet-normalised crops -> dict ``keypoints3d`` (B, 21, 3) wrist-relative, decimetres,
    ``cam`` (B, 3) weak-perspective camera and ``features`` (B, 4 width)."""

    def __init__(self, config: KeypointRegressorConfig = KeypointRegressorConfig()):
        super().__init__()
        self.config = config
        self.backbone = ConvNet(config.width)
        self.head = KeypointHead(self.backbone.out_dim, config.keypoints)

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        feats = self.backbone(images)
        kp, cam = self.head(feats)
        return {"keypoints3d": kp, "cam": cam, "features": feats}


def build_keypoint_regressor(config: KeypointRegressorConfig | None = None) -> KeypointRegressor:
    """Factory (mirrors :func:`fslib.teachers.hamer.build_hamer`)."""
    return KeypointRegressor(config or KeypointRegressorConfig())
