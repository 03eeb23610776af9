"""Linear regression of 3D hand keypoints from a pooled feature vector."""

from __future__ import annotations

import torch
import torch.nn as nn


class KeypointHead(nn.Module):
    """(B, C) -> (B, K, 3) wrist-relative keypoints in decimetres (the unit keeps targets near 1) and a
    (B, 3) weak-perspective camera (scale, tx, ty) that projects them onto the crop
    (:func:`fslib.teachers.components.kinematics.project`)."""

    def __init__(self, in_dim: int, keypoints: int = 21):
        super().__init__()
        self.keypoints = keypoints
        self.fc = nn.Linear(in_dim, keypoints * 3)
        self.cam = nn.Linear(in_dim, 3)

    def forward(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cam = self.cam(feats) + feats.new_tensor([0.3, 0.0, 0.0])  # about a hand's scale in crop units per dm
        return self.fc(feats).reshape(feats.shape[0], self.keypoints, 3), cam
