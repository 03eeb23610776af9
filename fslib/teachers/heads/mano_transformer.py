"""HaMeR's MANO regression head: a transformer decoder whose single query token attends to image tokens.

The output token (B, token_dim) is the pose embedding the fingerspelling study distils. Linear decoders on
it give 16 joint rotations in 6D (global orientation + 15 finger joints), shape coefficients and a weak-
perspective camera, each added to a stored initial value.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..components.attention import CrossDecoder
from ..components.rotation import rot6d_to_matrix


class TokenDecoder(nn.Module):
    """``to_token_embedding`` (Linear(1, dim)) on a zero input, plus ``pos_embedding``, then ``transformer``.

    context: (B, N, context_dim) -> (B, dim). The query is the same for every image.
    """

    def __init__(self, dim: int, depth: int, heads: int, dim_head: int, mlp_dim: int, context_dim: int):
        super().__init__()
        self.to_token_embedding = nn.Linear(1, dim)
        self.pos_embedding = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.transformer = CrossDecoder(dim, depth, heads, dim_head, mlp_dim, context_dim)

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        b = context.shape[0]
        token = self.to_token_embedding(context.new_zeros(b, 1, 1)) + self.pos_embedding
        return self.transformer(token, context=context)[:, 0]


class ManoTransformerHead(nn.Module):
    """Feature map (B, C, h, w) -> embedding and MANO-style parameters.

    Args:
        context_dim: channels C of the backbone feature map (1280 for ViT-H).
        dim, depth, heads, dim_head, mlp_dim: decoder size (1024, 6, 8, 64, 1024 released).
        joints: rotations predicted (16 = global orientation + 15 finger joints).
        betas: shape coefficients (10 for MANO).
        keypoints: if > 0, an extra ``deckp`` Linear(dim, keypoints * 2) regressing 2D keypoints in
            normalised crop coordinates; the released model has none (it gets keypoints through MANO), the
            synthetic-pretrained teacher uses one because fslib has no differentiable MANO.
    """

    def __init__(
        self,
        context_dim: int = 1280,
        dim: int = 1024,
        depth: int = 6,
        heads: int = 8,
        dim_head: int = 64,
        mlp_dim: int = 1024,
        joints: int = 16,
        betas: int = 10,
        keypoints: int = 0,
    ):
        super().__init__()
        self.joints, self.n_betas, self.n_keypoints = joints, betas, keypoints
        self.transformer = TokenDecoder(dim, depth, heads, dim_head, mlp_dim, context_dim)
        self.decpose = nn.Linear(dim, joints * 6)
        self.decshape = nn.Linear(dim, betas)
        self.deccam = nn.Linear(dim, 3)
        for lin in (self.decpose, self.decshape, self.deccam):
            nn.init.xavier_uniform_(lin.weight, gain=0.01)
            nn.init.zeros_(lin.bias)
        self.register_buffer("init_hand_pose", torch.zeros(1, joints * 6))
        self.register_buffer("init_betas", torch.zeros(1, betas))
        self.register_buffer("init_cam", torch.zeros(1, 3))
        self.reset_buffers()
        if keypoints:
            self.deckp = nn.Linear(dim, keypoints * 2)

    def reset_buffers(self) -> None:
        """Initial values: identity rotations, zero shape, camera scale 0.9 (the released file stores its
        own mean parameters, which replace these on loading)."""
        with torch.no_grad():
            self.init_hand_pose.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0]).repeat(self.joints)[None])
            self.init_betas.zero_()
            self.init_cam.copy_(torch.tensor([[0.9, 0.0, 0.0]]))

    def forward(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        """features (B, C, h, w) -> dict:

        embedding (B, dim); pose_6d (B, joints, 6); global_orient (B, 1, 3, 3); hand_pose
        (B, joints - 1, 3, 3); betas (B, n_betas); cam (B, 3) (scale, tx, ty); keypoints2d (B, K, 2) in
        [-0.5, 0.5] crop units when the head has a keypoint decoder.
        """
        b = features.shape[0]
        context = features.flatten(2).transpose(1, 2)  # (B, h*w, C)
        token = self.transformer(context)
        pose6d = (self.decpose(token) + self.init_hand_pose).reshape(b, self.joints, 6)
        rot = rot6d_to_matrix(pose6d)
        out = {
            "embedding": token,
            "pose_6d": pose6d,
            "global_orient": rot[:, :1],
            "hand_pose": rot[:, 1:],
            "betas": self.decshape(token) + self.init_betas,
            "cam": self.deccam(token) + self.init_cam,
        }
        if self.n_keypoints:
            out["keypoints2d"] = self.deckp(token).reshape(b, self.n_keypoints, 2)
        return out
