"""Training-time augmentation of pretraining crops, with the targets transformed to match.

HaMeR is trained with random in-plane rotations, scale and translation jitter of its crops; rotating the
image about the crop centre by an angle theta is, to first order, rotating the camera about its optical
axis, so the 2D keypoints rotate by the same 2D rotation, and the global orientation and the camera-frame
3D keypoints are left-multiplied by Rz(theta). Finger-joint rotations (relative to their parents) and the
hand shape do not change. The approximation is exact when the crop is centred on the principal point and
off by a few degrees for crops near the image border; the pretraining crops and the corpus crops are framed
alike, so the network sees the same convention in both.

All functions are pure: they return new tensors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
import torch.nn.functional as F


def rotation_2d(theta: torch.Tensor) -> torch.Tensor:
    """(B,) angles in radians -> (B, 2, 2) [[cos, -sin], [sin, cos]] acting on column vectors (x right,
    y down: a positive angle turns +x towards +y, i.e. clockwise on screen)."""
    c, s = theta.cos(), theta.sin()
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def warp_crops(
    images: torch.Tensor, theta: torch.Tensor, zoom: torch.Tensor | None = None, shift: torch.Tensor | None = None
) -> torch.Tensor:
    """Warp (B, C, S, S) images by the similarity p -> zoom * R(theta) p + shift about the crop centre
    (p in crop units, 0 = centre, +-0.5 = edges; R from :func:`rotation_2d`). theta (B,) radians, zoom (B,)
    (> 1 enlarges the hand), shift (B, 2) crop units. Corners are filled by reflection."""
    if images.ndim != 4 or images.shape[-1] != images.shape[-2]:
        raise ValueError(f"warp_crops expects square images (B, C, S, S), got {tuple(images.shape)}")
    b = len(images)
    zoom = images.new_ones(b) if zoom is None else zoom.to(images.dtype)
    shift = images.new_zeros(b, 2) if shift is None else shift.to(images.dtype)
    # affine_grid maps output to input coordinates (normalised, = 2 x crop units): p = R^T (p' - t) / zoom
    inv = rotation_2d(theta).to(images.dtype).transpose(1, 2) / zoom[:, None, None]
    affine = torch.cat([inv, -2 * (inv @ shift[:, :, None])], 2)
    grid = F.affine_grid(affine, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def warp_targets(
    targets: Mapping[str, torch.Tensor],
    theta: torch.Tensor,
    zoom: torch.Tensor | None = None,
    shift: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """The targets of crops warped by :func:`warp_crops`.

    targets: ``rot`` (B, 16, 3, 3) (row 0 = global orientation, camera frame), ``kp2d`` (B, 21, 2) crop
    units centred on the crop, optionally ``kp3d`` (B, 21, 3) camera frame; other keys are copied. The 2D
    keypoints follow the whole similarity; the global orientation and the 3D keypoints turn by Rz(theta)
    (zoom and shift are treated as a change of focal length and framing, which leave them unchanged to
    first order, as in HaMeR's augmentation).
    """
    r2 = rotation_2d(theta)
    rz = torch.zeros(len(theta), 3, 3, dtype=r2.dtype)
    rz[:, :2, :2] = r2
    rz[:, 2, 2] = 1.0
    out = dict(targets)
    kp = targets["kp2d"] @ r2.transpose(1, 2).to(targets["kp2d"].dtype)
    if zoom is not None:
        kp = kp * zoom[:, None, None].to(kp.dtype)
    if shift is not None:
        kp = kp + shift[:, None, :].to(kp.dtype)
    out["kp2d"] = kp
    rot = targets["rot"].clone()
    rot[:, 0] = rz.to(rot.dtype) @ rot[:, 0]
    out["rot"] = rot
    if "kp3d" in targets:
        out["kp3d"] = targets["kp3d"] @ rz.transpose(1, 2).to(targets["kp3d"].dtype)
    return out


def photometric(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Per-crop brightness/contrast jitter on normalised images (geometry untouched)."""
    b = x.shape[0]
    gain = 1 + 0.25 * (torch.rand(b, 1, 1, 1, generator=gen) - 0.5) * 2
    bias = 0.3 * (torch.rand(b, 3, 1, 1, generator=gen) - 0.5)
    return x * gain + bias


def lower_resolution(x: torch.Tensor, gen: torch.Generator, min_size: int, p: float = 0.5) -> torch.Tensor:
    """With probability ``p`` per crop, resample (B, C, S, S) crops down to a side drawn uniformly in
    [min_size, S] (area filter) and back up (bilinear): the look of a corpus crop cut from a small hand in a
    low-resolution frame and upsampled to the crop size. Geometry unchanged."""
    s = x.shape[-1]
    if min_size <= 0 or min_size >= s:
        return x
    out = x.clone()
    pick = torch.rand(len(x), generator=gen) < p
    sides = torch.randint(min_size, s + 1, (len(x),), generator=gen)
    for i in torch.nonzero(pick).flatten().tolist():
        small = F.interpolate(x[i : i + 1], size=(int(sides[i]),) * 2, mode="area")
        out[i : i + 1] = F.interpolate(small, size=(s, s), mode="bilinear", align_corners=False)
    return out


def augment_batch(
    x: torch.Tensor,
    targets: Mapping[str, torch.Tensor],
    gen: torch.Generator,
    max_rotation_deg: float = 0.0,
    min_resolution: int = 0,
    zoom_range: tuple[float, float] = (1.0, 1.0),
    max_shift: float = 0.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Photometric jitter, a lower effective resolution for some crops (:func:`lower_resolution`, when
    ``min_resolution`` > 0), then a random similarity per crop applied to the images and their targets alike
    (:func:`warp_crops`, :func:`warp_targets`): rotation uniform in +-max_rotation_deg, zoom log-uniform in
    ``zoom_range``, shift uniform in +-max_shift crop units per axis. With no rotation, zoom or shift the
    geometry is untouched."""
    x = lower_resolution(photometric(x, gen), gen, min_resolution)
    b = len(x)
    theta = (torch.rand(b, generator=gen) * 2 - 1) * math.radians(max_rotation_deg)
    lo, hi = math.log(zoom_range[0]), math.log(zoom_range[1])
    zoom = torch.exp(lo + (hi - lo) * torch.rand(b, generator=gen))
    shift = (torch.rand(b, 2, generator=gen) * 2 - 1) * max_shift
    if max_rotation_deg <= 0 and lo == hi == 0.0 and max_shift <= 0:
        return x, dict(targets)
    return warp_crops(x, theta, zoom, shift), warp_targets(targets, theta, zoom, shift)
