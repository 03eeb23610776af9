"""Reusable pieces of the teacher networks: attention blocks and rotation conversions."""

from .attention import CrossAttention, CrossDecoder, FeedForward, Mlp, PreNorm, SelfAttention, ViTAttention, ViTBlock
from .rotation import axis_angle_to_matrix, geodesic_angle, matrix_to_axis_angle, matrix_to_rot6d, rot6d_to_matrix

__all__ = [
    "CrossAttention",
    "CrossDecoder",
    "FeedForward",
    "Mlp",
    "PreNorm",
    "SelfAttention",
    "ViTAttention",
    "ViTBlock",
    "axis_angle_to_matrix",
    "geodesic_angle",
    "matrix_to_axis_angle",
    "matrix_to_rot6d",
    "rot6d_to_matrix",
]
