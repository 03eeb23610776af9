"""Linear regression of 3D hand keypoints from a pooled feature vector."""
from __future__ import annotations

import torch
import torch.nn as nn


class KeypointHead(nn.Module):
    """(B, C) -> (B, K, 3) wrist-relative keypoints in decimetres (the unit keeps targets near 1)."""

    def __init__(self, in_dim: int, keypoints: int = 21):
        super().__init__()
        self.keypoints = keypoints
        self.fc = nn.Linear(in_dim, keypoints * 3)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.fc(feats).reshape(feats.shape[0], self.keypoints, 3)
