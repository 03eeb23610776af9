"""The isolated-sign source's proposed system: a video stream beside the keypoints, fused per frame.

Per frame: a ResNet18 (torchvision; from scratch, or ImageNet weights when they are in the local torch cache,
never downloaded) embeds the grayscale frame (whole or segmented, :mod:`fslib.islr.segment`; repeated to three
channels); a small transformer over the frame's 79 keypoints (each point's x, y, z and a learned embedding of
which point it is; mean over the points) gives the spatial embedding. ``streams`` chooses video, pose or both
(their concatenation). Then, as in :mod:`fslib.islr.models`, a (Bi)LSTM or a transformer over time, mean
pooling over the valid frames and a linear classifier.

Input ``x`` ``(B, T, S * S + 79 * 3)`` (``video``: ``S * S``; ``pose``: ``79 * 3``): each frame's pixels in
[0, 1] row by row, then its normalised keypoints, so the batches, padding and training loop of
:mod:`fslib.islr.train` carry video clips unchanged.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from . import landmarks as lm
from .models import sinusoidal_positions

STREAMS = ("pose", "video", "video+pose")


def resnet18_features(imagenet: bool = False) -> nn.Module:
    """torchvision's ResNet18 without its classifier ((N, 3, S, S) -> (N, 512)); ``imagenet``: its ImageNet
    weights from the local torch cache (a FileNotFoundError naming the file when they are not there)."""
    from torchvision.models import ResNet18_Weights, resnet18

    net = resnet18(weights=None)
    if imagenet:
        path = Path(torch.hub.get_dir()) / "checkpoints" / ResNet18_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[-1]
        if not path.exists():
            raise FileNotFoundError(
                f"ImageNet weights for ResNet18 are not at {path}; put them there or use imagenet=False"
            )
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    net.fc = nn.Identity()
    return net


class KeypointTransformer(nn.Module):
    """A frame's ``(P, 3)`` keypoints -> ``(d,)``: each point's coordinates projected to ``d`` plus a learned
    embedding of its index, one transformer layer across the points, mean over the points."""

    def __init__(self, points: int, d: int, heads: int = 4, dropout: float = 0.0):
        super().__init__()
        self.coords = nn.Linear(3, d)
        self.index = nn.Parameter(torch.randn(points, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, 2 * d, dropout=dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)

    def forward(self, p: torch.Tensor) -> torch.Tensor:  # (N, P, 3) -> (N, d)
        return self.encoder(self.coords(p) + self.index).mean(1)


class VideoPoseClassifier(nn.Module):
    """See the module docstring. ``cfg``: :class:`fslib.islr.models.ModelConfig` with ``streams`` and
    ``frame_size``."""

    def __init__(self, cfg, imagenet: bool = False):
        super().__init__()
        if cfg.streams not in STREAMS[1:]:
            raise ValueError(f"VideoPoseClassifier streams {cfg.streams!r}: one of {', '.join(STREAMS[1:])}")
        self.cfg = cfg
        self.pixels = cfg.frame_size * cfg.frame_size
        use_pose = cfg.streams == "video+pose"
        expected = self.pixels + (lm.N_POINTS * 3 if use_pose else 0)
        if cfg.in_dim != expected:
            raise ValueError(
                f"{cfg.streams} input of {cfg.frame_size} px frames has {expected} values a frame, got {cfg.in_dim}"
            )
        self.cnn = resnet18_features(imagenet)
        self.keypoints = KeypointTransformer(lm.N_POINTS, cfg.hidden, cfg.heads, cfg.dropout) if use_pose else None
        fused = 512 + (cfg.hidden if use_pose else 0)
        self.embed = nn.Linear(fused, cfg.hidden)
        if cfg.kind == "transformer":
            layer = nn.TransformerEncoderLayer(
                cfg.hidden, cfg.heads, 4 * cfg.hidden, dropout=cfg.dropout, batch_first=True
            )
            self.temporal = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
            out = cfg.hidden
        else:
            bi = cfg.kind == "bilstm"
            inner = cfg.dropout if cfg.layers > 1 else 0.0
            self.temporal = nn.LSTM(
                cfg.hidden, cfg.hidden, cfg.layers, batch_first=True, bidirectional=bi, dropout=inner
            )
            out = cfg.hidden * (2 if bi else 1)
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(out, cfg.classes)

    def frame_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, D)`` per-frame input -> ``(N, hidden)`` fused per-frame embedding."""
        s = self.cfg.frame_size
        img = x[:, : self.pixels].reshape(-1, 1, s, s).expand(-1, 3, s, s)
        parts = [self.cnn(img)]
        if self.keypoints is not None:
            parts.append(self.keypoints(x[:, self.pixels :].reshape(-1, lm.N_POINTS, 3)))
        return self.embed(torch.cat(parts, 1))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        valid = torch.arange(t, device=x.device)[None, :] < lengths.to(x.device)[:, None]
        h = torch.zeros(b, t, self.cfg.hidden, dtype=x.dtype, device=x.device)
        h[valid] = self.frame_features(x[valid])  # padded frames never reach the CNN
        if self.cfg.kind == "transformer":
            pos = sinusoidal_positions(t, self.cfg.hidden).to(h)
            h = self.temporal(h + pos, src_key_padding_mask=~valid)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(
                h, lengths.cpu().clamp(min=1), batch_first=True, enforce_sorted=False
            )
            h, _ = self.temporal(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=t)
        w = valid.to(h.dtype)[..., None]
        pooled = (h * w).sum(1) / w.sum(1).clamp(min=1.0)
        return self.head(self.drop(pooled))
