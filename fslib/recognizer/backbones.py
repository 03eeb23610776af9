"""Per-frame visual encoders: ResNet34 (torchvision) at the paper's width or narrower.

``resnet34(width)`` builds torchvision's ResNet with BasicBlock [3, 4, 6, 3] and stage widths
(w, 2w, 4w, 8w); w = 64 is torchvision's ``resnet34`` exactly (and can take its ImageNet weights), smaller w
is the same network narrower for CPU budgets. The classifier is removed: the encoder maps (N, 3, S, S) float
images to (N, 8w) features after global average pooling.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torchvision.models import ResNet34_Weights
from torchvision.models.resnet import BasicBlock, ResNet


class WeightsNotCachedError(FileNotFoundError):
    """ImageNet weights were asked for but are not in the local torch cache (nothing is downloaded)."""


def imagenet_weights_path() -> Path:
    """Where torchvision keeps ResNet34's ImageNet weights once downloaded (``torch.hub`` cache)."""
    url = ResNet34_Weights.IMAGENET1K_V1.url
    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]


def resnet34(width: int = 64, imagenet: bool = False) -> ResNet:
    """torchvision ResNet34 with base width ``width`` and no classifier (``fc`` is the identity).

    imagenet: load torchvision's ImageNet weights from the local torch cache (``width`` must be 64); a
    :class:`WeightsNotCachedError` names the expected file when they are not there.
    """
    net = ResNet(BasicBlock, [3, 4, 6, 3])
    if width != 64:
        # Same blocks, narrower: rebuild the stem and the four stages with torchvision's own layer factory.
        net.inplanes = width
        net.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        net.bn1 = nn.BatchNorm2d(width)
        net.layer1 = net._make_layer(BasicBlock, width, 3)
        net.layer2 = net._make_layer(BasicBlock, 2 * width, 4, stride=2)
        net.layer3 = net._make_layer(BasicBlock, 4 * width, 6, stride=2)
        net.layer4 = net._make_layer(BasicBlock, 8 * width, 3, stride=2)
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    if imagenet:
        if width != 64:
            raise ValueError(f"ImageNet weights exist for width 64 only, not {width}")
        path = imagenet_weights_path()
        if not path.exists():
            raise WeightsNotCachedError(
                f"imagenet=True but {path} does not exist; put torchvision's resnet34 ImageNet weights there "
                "(they are never downloaded at run time) or set imagenet=False"
            )
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
    net.fc = nn.Identity()
    net.out_dim = 8 * width
    return net
