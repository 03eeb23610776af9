"""Image backbones of the teachers."""
from .vit import ViT

__all__ = ["ViT"]
