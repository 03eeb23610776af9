"""Rotation representations used by the hand-model teachers.

All functions are pure, work on torch tensors with any leading batch shape, and return new tensors.
Angles are in radians; a rotation matrix acts on column vectors (``x' = R @ x``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def rot6d_to_matrix(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Continuous 6D representation -> rotation matrix.

    x: (..., 6); the first three numbers are a1, the next three a2. Gram-Schmidt gives
    b1 = a1 / |a1|, b2 = normalise(a2 - (b1 . a2) b1), b3 = b1 x b2. Returns (..., 3, 3) with columns
    [b1, b2, b3], an orthonormal matrix with determinant +1.
    """
    if x.shape[-1] != 6:
        raise ValueError(f"rot6d_to_matrix expects (..., 6), got {tuple(x.shape)}")
    a1, a2 = x[..., :3], x[..., 3:]
    b1 = F.normalize(a1, dim=-1, eps=eps)
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1, eps=eps)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def matrix_to_rot6d(rot: torch.Tensor) -> torch.Tensor:
    """Rotation matrix (..., 3, 3) -> 6D (..., 6): the first column, then the second column."""
    return torch.cat([rot[..., :, 0], rot[..., :, 1]], dim=-1)


def axis_angle_to_matrix(aa: torch.Tensor) -> torch.Tensor:
    """Axis-angle (..., 3) (direction = axis, norm = angle in radians) -> rotation matrix (..., 3, 3).

    Rodrigues' formula; exact for zero angles (returns the identity).
    """
    angle = aa.norm(dim=-1, keepdim=True)  # (..., 1)
    small = angle < 1e-8
    axis = aa / torch.where(small, torch.ones_like(angle), angle)
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).reshape(*aa.shape[:-1], 3, 3)
    s = torch.sin(angle)[..., None]
    c = torch.cos(angle)[..., None]
    eye = torch.eye(3, dtype=aa.dtype, device=aa.device).expand(k.shape)
    return eye + s * k + (1 - c) * (k @ k)


def matrix_to_axis_angle(rot: torch.Tensor) -> torch.Tensor:
    """Rotation matrix (..., 3, 3) -> axis-angle (..., 3), angle in [0, pi].

    Uses the skew part for angles away from pi and the symmetric part near pi.
    """
    trace = rot[..., 0, 0] + rot[..., 1, 1] + rot[..., 2, 2]
    cos = ((trace - 1) / 2).clamp(-1.0, 1.0)
    angle = torch.acos(cos)
    skew = torch.stack(
        [rot[..., 2, 1] - rot[..., 1, 2], rot[..., 0, 2] - rot[..., 2, 0], rot[..., 1, 0] - rot[..., 0, 1]], dim=-1
    )
    sin = torch.sin(angle)
    # generic case: axis = skew / (2 sin)
    axis_generic = skew / (2 * sin.clamp_min(1e-8))[..., None]
    # near pi: the symmetric part is cos I + (1 - cos) n n^T; take its largest-diagonal column
    eye = torch.eye(3, dtype=rot.dtype, device=rot.device)
    sym = (rot + rot.transpose(-1, -2)) / 2
    nn_t = (sym - cos[..., None, None] * eye) / (1 - cos).clamp_min(1e-8)[..., None, None]
    diag = torch.diagonal(nn_t, dim1=-2, dim2=-1)
    idx = diag.argmax(-1)
    col = torch.gather(nn_t, -1, idx[..., None, None].expand(*nn_t.shape[:-1], 1))[..., 0]
    axis_pi = col / col.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    sign = torch.sign((axis_pi * skew).sum(-1, keepdim=True))
    axis_pi = axis_pi * torch.where(sign == 0, torch.ones_like(sign), sign)
    near_pi = (angle > 2.5)[..., None]
    axis = torch.where(near_pi, axis_pi, axis_generic)
    out = axis * angle[..., None]
    return torch.where((angle < 1e-6)[..., None], 0.5 * skew, out)


def geodesic_angle(r1: torch.Tensor, r2: torch.Tensor) -> torch.Tensor:
    """Angle in radians of the relative rotation r1^T r2; inputs (..., 3, 3), output (...)."""
    rel = r1.transpose(-1, -2) @ r2
    trace = rel[..., 0, 0] + rel[..., 1, 1] + rel[..., 2, 2]
    return torch.acos(((trace - 1) / 2).clamp(-1 + 1e-7, 1 - 1e-7))
