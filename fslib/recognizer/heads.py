"""Temporal heads on per-frame features: the 1D-CNN and the BiGRU, each with its CTC classifier, and the
projection of the backbone features into a teacher's space."""

from __future__ import annotations

import torch
from torch import nn


class TemporalConv(nn.Module):
    """``layers`` x (Conv1d(kernel, same length) -> BatchNorm -> ReLU). (B, T, C_in) -> (B, T, channels).

    Padded frames (beyond each sequence's length) are zeroed before every convolution, so a sequence's
    output does not depend on how much padding its batch has.
    """

    def __init__(self, in_dim: int, channels: int, kernel: int = 5, layers: int = 2):
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"conv_kernel={kernel}: use an odd kernel so the output keeps the input's length")
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for i in range(layers):
            self.convs.append(nn.Conv1d(in_dim if i == 0 else channels, channels, kernel, padding=kernel // 2))
            self.norms.append(nn.BatchNorm1d(channels))
        self.out_dim = channels if layers else in_dim

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2)  # (B, C, T)
        m = mask[:, None, :].to(h.dtype)
        for conv, norm in zip(self.convs, self.norms):
            h = torch.relu(norm(conv(h * m)))
        return (h * m).transpose(1, 2)


class BiGRU(nn.Module):
    """Bidirectional GRU over valid frames only (packed). (B, T, C) -> (B, T, 2 * hidden)."""

    def __init__(self, in_dim: int, hidden: int = 128, layers: int = 1):
        super().__init__()
        self.gru = nn.GRU(in_dim, hidden, num_layers=layers, batch_first=True, bidirectional=True)
        self.out_dim = 2 * hidden

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out


class Classifier(nn.Module):
    """Dropout -> Linear to the alphabet (blank included): per-frame logits (B, T, classes)."""

    def __init__(self, in_dim: int, classes: int, dropout: float = 0.0):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.linear = nn.Linear(in_dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.drop(x))


def projection(in_dim: int, out_dim: int, kind: str = "linear") -> nn.Module:
    """The map from backbone features to the teacher's space: one linear layer, or a two-layer MLP."""
    if kind == "linear":
        return nn.Linear(in_dim, out_dim)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(in_dim, in_dim), nn.ReLU(), nn.Linear(in_dim, out_dim))
    raise ValueError(f"projection={kind!r}: use 'linear' or 'mlp'")
