"""Regression heads of the teachers."""
from .mano_transformer import ManoTransformerHead, TokenDecoder

__all__ = ["ManoTransformerHead", "TokenDecoder"]
