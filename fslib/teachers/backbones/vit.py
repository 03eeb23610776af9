"""ViTPose-style Vision Transformer backbone (HaMeR's ViT-H/16 at the released size).

Input: a normalised image (B, 3, H, W) with H = patch grid rows x patch and W = grid cols x patch (for HaMeR,
the central 256 x 192 of the 256 x 256 crop). Output: a feature map (B, width, H/patch, W/patch).
No class token: the stored position embedding has one extra leading slot that is broadcast onto every patch.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..components.attention import ViTBlock


class PatchEmbed(nn.Module):
    """Conv2d(3, width, kernel=patch, stride=patch, padding) -> (B, rows * cols, width), row-major."""

    def __init__(self, width: int, patch: int, padding: int):
        super().__init__()
        self.proj = nn.Conv2d(3, width, kernel_size=patch, stride=patch, padding=padding)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        x = self.proj(x)
        rows, cols = x.shape[-2:]
        return x.flatten(2).transpose(1, 2), (rows, cols)


class ConvStem(nn.Module):
    """Convolutional patch embedding for small ViTs trained from scratch ("early convolutions help
    transformers see better"): log2(patch) stages, each a stride-2 conv3x3-BN-ReLU followed by
    ``depth - 1`` stride-1 conv3x3-BN-ReLU, then a 1x1 conv to ``width``.
    Same output as :class:`PatchEmbed`: (B, rows * cols, width) with rows = H / patch, cols = W / patch."""

    def __init__(self, width: int, patch: int, depth: int = 1):
        super().__init__()
        stages = int(round(math.log2(patch)))
        if 2**stages != patch:
            raise ValueError(f"a convolutional stem needs a power-of-two patch size, got {patch}")
        if depth < 1:
            raise ValueError(f"a convolutional stem needs at least one conv per stage, got depth={depth}")
        layers, cin = [], 3
        for i in range(stages):
            cout = max(16, width // 2 ** (stages - i))
            for k in range(depth):
                layers += [
                    nn.Conv2d(cin, cout, 3, stride=2 if k == 0 else 1, padding=1, bias=False),
                    nn.BatchNorm2d(cout),
                    nn.ReLU(inplace=True),
                ]
                cin = cout
        self.convs = nn.Sequential(*layers)
        self.proj = nn.Conv2d(cin, width, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        x = self.proj(self.convs(x))
        rows, cols = x.shape[-2:]
        return x.flatten(2).transpose(1, 2), (rows, cols)


class ViT(nn.Module):
    """ViT backbone.

    Args:
        image_hw: (H, W) in pixels of the input it is built for (fixes the number of position slots).
        patch, padding: patch-embedding kernel/stride and padding (16 and 2 for HaMeR).
        width, depth, heads, mlp_ratio: transformer size (1280, 32, 16, 4 for ViT-H).
        drop_path: maximum stochastic-depth rate (linearly increasing over blocks); only active in training.
        conv_stem: 0 keeps the released single-conv patch embedding; n > 0 uses a :class:`ConvStem` with n
            convolutions per stride-2 stage (not in the released model; used by the small synthetic
            teachers, which learn far faster with it from scratch).
    """

    def __init__(
        self,
        image_hw: tuple[int, int] = (256, 192),
        patch: int = 16,
        padding: int = 2,
        width: int = 1280,
        depth: int = 32,
        heads: int = 16,
        mlp_ratio: float = 4.0,
        drop_path: float = 0.0,
        conv_stem: int = 0,
    ):
        super().__init__()
        h, w = image_hw
        if conv_stem:
            self.patch_embed = ConvStem(width, patch, int(conv_stem))
            self.grid = (-(-h // patch), -(-w // patch))
        else:
            self.patch_embed = PatchEmbed(width, patch, padding)
            self.grid = ((h + 2 * padding - patch) // patch + 1, (w + 2 * padding - patch) // patch + 1)
        n = self.grid[0] * self.grid[1]
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, width))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        rates = [drop_path * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = nn.ModuleList(ViTBlock(width, heads, mlp_ratio, r) for r in rates)
        self.last_norm = nn.LayerNorm(width, eps=1e-6)
        self.width = width
        self.apply(_init_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised image -> (B, width, rows, cols) feature map."""
        tokens, (rows, cols) = self.patch_embed(x)
        if (rows, cols) != self.grid:
            raise ValueError(
                f"ViT backbone was built for a {self.grid[0]} x {self.grid[1]} patch grid but the input "
                f"{tuple(x.shape[-2:])} gives {rows} x {cols}; pass images of the configured size"
            )
        tokens = tokens + self.pos_embed[:, 1:] + self.pos_embed[:, :1]
        for blk in self.blocks:
            tokens = blk(tokens)
        tokens = self.last_norm(tokens)
        return tokens.transpose(1, 2).reshape(x.shape[0], self.width, rows, cols)


def _init_weights(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
