"""Image backbones of the teachers."""

from .convnet import ConvNet
from .vit import ViT

__all__ = ["ConvNet", "ViT"]
