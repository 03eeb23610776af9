"""Regression heads of the teachers."""

from .keypoints import KeypointHead
from .mano_transformer import ManoTransformerHead, TokenDecoder

__all__ = ["KeypointHead", "ManoTransformerHead", "TokenDecoder"]
