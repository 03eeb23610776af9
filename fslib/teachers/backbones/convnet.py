"""A small convolutional backbone (for the keypoint-regressor teacher).

(B, 3, S, S) normalised image -> (B, width * 4) pooled feature vector. Four stride-2 stages of
conv3x3-BN-ReLU pairs, then global average pooling.
"""

from __future__ import annotations

import torch
import torch.nn as nn


def _stage(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ConvNet(nn.Module):
    """Channels width, 2 width, 4 width, 4 width over four stride-2 stages; output (B, 4 width)."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.stages = nn.Sequential(
            _stage(3, width), _stage(width, 2 * width), _stage(2 * width, 4 * width), _stage(4 * width, 4 * width)
        )
        self.out_dim = 4 * width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(x).mean(dim=(2, 3))
