"""Cheap training augmentation of crop batches, the same transform for every frame of a sequence:
a random shift and zoom of the crop (MediaPipe's box wanders and its size varies), and brightness /
contrast jitter. Temporal speed change happens in :mod:`.data` (it changes the frame count)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def augment_images(
    images: torch.Tensor,
    jitter: float = 0.08,
    color: float = 0.2,
    rotate: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """images float (B, T, 3, s, s) (normalised) -> a new tensor of the same shape.

    jitter: shift up to ``jitter`` of the side and zoom by a factor in [1 - jitter, 1 + jitter] (zero padding
    where the view leaves the crop); color: contrast factor in [1 - color, 1 + color] and a brightness offset
    in [-color, color] (in normalised units); rotate: in-plane rotation by up to ``rotate`` degrees (the
    camera's roll and the signer's wrist differ). One draw per sequence. 0 turns a part off.
    """
    B, T, C, H, W = images.shape
    out = images
    if jitter > 0 or rotate > 0:
        u = torch.rand((B, 4), generator=generator) * 2 - 1
        scale = 1.0 + jitter * u[:, 0]
        angle = torch.deg2rad(rotate * u[:, 3])
        theta = torch.zeros((B, 2, 3))
        theta[:, 0, 0], theta[:, 0, 1] = scale * torch.cos(angle), -scale * torch.sin(angle)
        theta[:, 1, 0], theta[:, 1, 1] = scale * torch.sin(angle), scale * torch.cos(angle)
        theta[:, 0, 2], theta[:, 1, 2] = 2 * jitter * u[:, 1], 2 * jitter * u[:, 2]
        theta = theta.to(images.dtype).repeat_interleave(T, 0)
        grid = F.affine_grid(theta, (B * T, C, H, W), align_corners=False)
        out = F.grid_sample(
            images.flatten(0, 1), grid, mode="bilinear", padding_mode="zeros", align_corners=False
        ).view(B, T, C, H, W)
    if color > 0:
        u = (torch.rand((B, 2), generator=generator) * 2 - 1).to(images.dtype)
        contrast = (1.0 + color * u[:, 0]).view(B, 1, 1, 1, 1)
        bright = (color * u[:, 1]).view(B, 1, 1, 1, 1)
        out = out * contrast + bright
    return out
