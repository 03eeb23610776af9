"""Differentiable (torch) forward kinematics of fslib's hand model, and the crop camera.

The renderer's hand (:mod:`fslib.synth.hand`) is defined in numpy. Pretraining a teacher with HaMeR's
losses on 3D joints and on their 2D projections needs the same kinematics in torch, so that a loss on
keypoints reaches the predicted rotations, shape and camera.

Rest joints are linear in the hand-shape vector (every rest position is a sum of lengths times fixed
directions), so the map ``shape vector (23,) -> rest joints and tips (21, 3)`` is read off the numpy model
once, column by column (:func:`rest_joint_basis`); nothing about the hand's geometry is written twice.
The chain then composes the 16 joint rotations exactly as :func:`fslib.synth.hand.forward_kinematics`
does for a right hand (teachers see right hands only: left-hand crops are mirrored).

Camera: HaMeR predicts a weak-perspective camera (scale s, translation tx, ty) per crop. Here the
projection of wrist-relative keypoints ``X`` (decimetres) into crop units (0 = crop centre, +-0.5 = edges)
is ``s * X[..., :2] + (tx, ty)``; the perspective of the real crops (a hand 0.35-1 m from the camera) makes
this an approximation of a few per cent of the hand's size, as it is in HaMeR.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from ...synth import hand as _hand

SHAPE_DIM = 23


@functools.lru_cache(maxsize=1)
def rest_joint_basis() -> np.ndarray:
    """``(21, 3, 23)`` float64: rest keypoints (wrist at the origin, canonical frame, metres, MANO joints
    then the five tips in the order of :func:`_rest_points`) as a linear function of
    :meth:`HandShape.as_vector`. Read off :func:`fslib.synth.hand.rest_joints` by unit perturbations around
    the average hand (exact, because the rest joints are linear in the shape)."""
    base = _hand.HandShape.default().as_vector().astype(np.float64)
    ref = _rest_points(base)
    cols = []
    for i in range(SHAPE_DIM):
        v = base.copy()
        v[i] *= 1.5
        cols.append((_rest_points(v) - ref) / (0.5 * base[i]))
    basis = np.stack(cols, -1)
    if not np.allclose(basis @ base, ref, atol=1e-12):
        raise AssertionError(
            "fslib.synth.hand.rest_joints is no longer linear in the shape vector; "
            "fslib.teachers.components.kinematics must be updated"
        )
    return basis


def _rest_points(v: np.ndarray) -> np.ndarray:
    J, tips = _hand.rest_joints(_hand.HandShape.from_vector(v))
    return np.concatenate([J, tips], 0)


def forward_kinematics(rotations: torch.Tensor, shape: torch.Tensor) -> torch.Tensor:
    """Right-hand keypoints from joint rotations and shape.

    rotations: ``(B, 16, 3, 3)`` local rotation matrices in MANO order, row 0 the global orientation
    (camera frame). shape: ``(B, 23)`` :meth:`HandShape.as_vector` values in metres. Returns ``(B, 21, 3)``
    keypoints in :data:`fslib.synth.hand.KEYPOINT_NAMES` order, metres, camera frame, wrist at the origin
    (the numpy model with ``translation`` zero). Differentiable in both inputs; dtype follows ``rotations``.
    """
    if rotations.shape[-3:] != (16, 3, 3) or shape.shape[-1] != SHAPE_DIM:
        raise ValueError(
            f"forward_kinematics: rotations (B, 16, 3, 3) and shape (B, {SHAPE_DIM}) expected, got "
            f"{tuple(rotations.shape)} and {tuple(shape.shape)}"
        )
    basis = torch.as_tensor(rest_joint_basis(), dtype=rotations.dtype, device=rotations.device)
    rest = torch.einsum("kac,bc->bka", basis, shape.to(rotations.dtype))  # (B, 21, 3)
    J, tips = rest[:, :16], rest[:, 16:]
    G = [rotations[:, 0]]
    P = [torch.zeros_like(J[:, 0])]
    for j in range(1, 16):
        p = _hand.MANO_PARENTS[j]
        G.append(G[p] @ rotations[:, j])
        P.append(P[p] + (G[p] @ (J[:, j] - J[:, p]).unsqueeze(-1)).squeeze(-1))
    out = [None] * 21
    for j, k in enumerate(_hand.MANO_TO_KEYPOINT):
        out[k] = P[j]
    for fi, j in enumerate(_hand.TIP_PARENT_JOINT):
        out[_hand.TIP_KEYPOINTS[fi]] = P[j] + (G[j] @ (tips[:, fi] - J[:, j]).unsqueeze(-1)).squeeze(-1)
    return torch.stack(out, 1)


def shape_from_betas(betas: torch.Tensor, scale: float) -> torch.Tensor:
    """Standardised shape coefficients (what the teachers regress: ``(shape / average - 1) / scale``) back to
    the ``(B, 23)`` shape vector in metres."""
    avg = torch.as_tensor(_hand.HandShape.default().as_vector(), dtype=betas.dtype, device=betas.device)
    return avg * (1 + scale * betas[..., :SHAPE_DIM])


def project(keypoints_dm: torch.Tensor, cam: torch.Tensor) -> torch.Tensor:
    """Weak-perspective projection: ``(B, K, 3)`` wrist-relative keypoints (decimetres, camera frame) and
    ``(B, 3)`` camera (scale, tx, ty) -> ``(B, K, 2)`` crop units (see the module docstring)."""
    return cam[:, None, :1] * keypoints_dm[..., :2] + cam[:, None, 1:3]
