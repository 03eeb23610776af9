"""Transformer building blocks shared by the ViT backbone and the MANO transformer-decoder head.

Module and parameter names follow the layout of the released HaMeR checkpoint (see the design note
``shared/design/hamer.md`` beside the repository) so that its ``state_dict`` loads without renaming. Token
tensors are (B, N, C): batch, tokens, channels.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def _split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """(B, N, H * d) -> (B, H, N, d)."""
    b, n, _ = x.shape
    return x.reshape(b, n, heads, -1).transpose(1, 2)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, H, N, d) -> (B, N, H * d)."""
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


class ViTAttention(nn.Module):
    """Multi-head self-attention of the ViT backbone: one ``qkv`` Linear (with bias), ``proj`` output.

    Scale is head_dim ** -0.5. Input and output (B, N, dim).
    """

    def __init__(self, dim: int, heads: int, qkv_bias: bool = True):
        super().__init__()
        if dim % heads:
            raise ValueError(f"ViT width {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (_split_heads(t, self.heads) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v)  # scale defaults to d ** -0.5
        return self.proj(_merge_heads(out))


class Mlp(nn.Module):
    """``fc1`` -> exact GELU -> ``fc2``; (B, N, dim) -> (B, N, dim)."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class DropPath(nn.Module):
    """Stochastic depth: drops a whole residual branch per sample in training; identity in eval."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand(x.shape[0], *([1] * (x.ndim - 1)), device=x.device) >= self.p
        return x * keep / (1 - self.p)


class ViTBlock(nn.Module):
    """Pre-norm block: x + Attn(LN1(x)), then x + MLP(LN2(x)); LayerNorm eps 1e-6."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, drop_path: float = 0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = ViTAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PreNorm(nn.Module):
    """``fn(norm(x), **kwargs)`` with a LayerNorm (eps 1e-5); the residual is added by the caller."""

    def __init__(self, dim: int, fn: nn.Module):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.fn(self.norm(x), **kwargs)


class SelfAttention(nn.Module):
    """Decoder self-attention: ``to_qkv`` (no bias) -> heads x dim_head, ``to_out.0`` back to ``dim``."""

    def __init__(self, dim: int, heads: int, dim_head: int, dropout: float = 0.0):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head**-0.5
        self.to_qkv = nn.Linear(dim, 3 * inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (_split_heads(t, self.heads) for t in self.to_qkv(x).chunk(3, dim=-1))
        out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        return self.to_out(_merge_heads(out))


class CrossAttention(nn.Module):
    """Decoder cross-attention: ``to_q`` on the query tokens, ``to_kv`` on the context (k, then v).

    x: (B, Nq, dim) query tokens; context: (B, Nc, context_dim) image tokens. Output (B, Nq, dim).
    """

    def __init__(self, dim: int, context_dim: int, heads: int, dim_head: int, dropout: float = 0.0):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head**-0.5
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(context_dim, 2 * inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        q = _split_heads(self.to_q(x), self.heads)
        k, v = (_split_heads(t, self.heads) for t in self.to_kv(context).chunk(2, dim=-1))
        out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        return self.to_out(_merge_heads(out))


class FeedForward(nn.Module):
    """``net``: Linear(dim, hidden) -> GELU -> Dropout -> Linear(hidden, dim) -> Dropout."""

    def __init__(self, dim: int, hidden: int, dropout: float = 0.0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim), nn.Dropout(dropout)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CrossDecoder(nn.Module):
    """``layers.{i}`` = [PreNorm(SelfAttention), PreNorm(CrossAttention), PreNorm(FeedForward)], residual.

    x: (B, Nq, dim), context: (B, Nc, context_dim) -> (B, Nq, dim). No final LayerNorm.
    """

    def __init__(
        self, dim: int, depth: int, heads: int, dim_head: int, mlp_dim: int, context_dim: int, dropout: float = 0.0
    ):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.ModuleList(
                [
                    PreNorm(dim, SelfAttention(dim, heads, dim_head, dropout)),
                    PreNorm(dim, CrossAttention(dim, context_dim, heads, dim_head, dropout)),
                    PreNorm(dim, FeedForward(dim, mlp_dim, dropout)),
                ]
            )
            for _ in range(depth)
        )

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        for self_attn, cross_attn, ff in self.layers:
            x = x + self_attn(x)
            x = x + cross_attn(x, context=context)
            x = x + ff(x)
        return x
