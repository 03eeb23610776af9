"""The isolated-sign models of the source study: per-frame linear embedding -> LSTM / BiLSTM or a
PoseTransformer -> mean pooling over the clip's frames -> linear classifier.

Input ``x`` ``(B, T, P * C)`` float (normalised coordinates flattened per frame; missing points as 0, see
:func:`fslib.islr.data`), ``lengths`` ``(B,)`` valid frames per clip (the rest is padding). Output
``(B, n_classes)`` logits. Padding never changes a clip's output: the recurrent models pack the
sequences, the transformer masks padded keys, and the pooling averages valid frames only.

Sizes from the source's code: LSTM 2 layers x 256 (per direction); PoseTransformer d_model 256, 4 heads,
3 layers, sinusoidal positional encoding.

``style`` "code" builds the networks as the authors' code does (:mod:`fslib.islr.source`): the per-frame
layer is Linear -> Dropout -> GELU (the transformer's Linear -> ReLU -> Dropout, and dropout after the
positional encoding, feed-forward 2 x d); the head is Linear(d, 200) -> Dropout -> GELU -> Linear (the
transformer's d -> d / 2 -> classes); no dropout between LSTM layers; the sequences are not packed, the
transformer has no padding mask, and the mean pooling includes the padded frames. ``style`` "text" is the
paper's description read as above, with padding never changing a clip's output.
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn as nn

KINDS = ("lstm", "bilstm", "transformer")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """kind: one of :data:`KINDS`; in_dim: P * C; classes; hidden: LSTM units per direction or d_model;
    layers; heads (transformer); dropout: before the classifier (the source's dropout table) and inside
    the stacked recurrent / transformer layers."""

    kind: str = "bilstm"
    in_dim: int = 79 * 3
    classes: int = 100
    hidden: int = 256
    layers: int = 2
    heads: int = 4
    dropout: float = 0.0
    style: str = "text"
    streams: str = "pose"  # or "video", "video+pose": :mod:`fslib.islr.video_models`
    frame_size: int = 0  # side of the grayscale frames of a video stream

    def __post_init__(self) -> None:
        if self.style not in ("text", "code"):
            raise ValueError(f"ISLR model style {self.style!r}: 'text' or 'code'")
        if self.kind not in KINDS:
            raise ValueError(f"unknown ISLR model kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.streams not in ("pose", "video", "video+pose"):
            raise ValueError(f"ISLR model streams {self.streams!r}: 'pose', 'video' or 'video+pose'")
        if self.streams != "pose" and self.frame_size < 8:
            raise ValueError(f"a video stream needs frame_size of at least 8 px, got {self.frame_size}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


def sinusoidal_positions(t: int, dim: int) -> torch.Tensor:
    """``(t, dim)`` sine / cosine positional encoding (Vaswani et al.)."""
    pos = torch.arange(t, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(t, dim)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return pe


class PoseClassifier(nn.Module):
    """See the module docstring."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        code, tf = cfg.style == "code", cfg.kind == "transformer"
        if not code:
            self.embed = nn.Linear(cfg.in_dim, cfg.hidden)
        elif tf:
            self.embed = nn.Sequential(nn.Linear(cfg.in_dim, cfg.hidden), nn.ReLU(), nn.Dropout(cfg.dropout))
        else:
            self.embed = nn.Sequential(nn.Linear(cfg.in_dim, cfg.hidden), nn.Dropout(cfg.dropout), nn.GELU())
        inner = cfg.dropout if cfg.layers > 1 and not code else 0.0
        if tf:
            ff = (2 if code else 4) * cfg.hidden
            layer = nn.TransformerEncoderLayer(cfg.hidden, cfg.heads, ff, dropout=cfg.dropout, batch_first=True)
            self.temporal = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
            out_dim = cfg.hidden
        else:
            bi = cfg.kind == "bilstm"
            self.temporal = nn.LSTM(
                cfg.hidden, cfg.hidden, cfg.layers, batch_first=True, bidirectional=bi, dropout=inner
            )
            out_dim = cfg.hidden * (2 if bi else 1)
        self.pos_drop = nn.Dropout(cfg.dropout) if code and tf else nn.Identity()
        self.drop = nn.Dropout(cfg.dropout) if not code else nn.Identity()
        if not code:
            self.head = nn.Linear(out_dim, cfg.classes)
        else:
            mid = out_dim // 2 if tf else 200
            act = nn.ReLU() if tf else nn.GELU()
            self.head = nn.Sequential(
                nn.Linear(out_dim, mid), nn.Dropout(cfg.dropout), act, nn.Linear(mid, cfg.classes)
            )

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        code = self.cfg.style == "code"
        valid = torch.arange(t, device=x.device)[None, :] < lengths.to(x.device)[:, None]  # (B, T)
        h = self.embed(x)
        if self.cfg.kind == "transformer":
            h = self.pos_drop(h + sinusoidal_positions(t, self.cfg.hidden).to(h))
            h = self.temporal(h, src_key_padding_mask=None if code else ~valid)
        elif code:
            h, _ = self.temporal(h)  # the padded frames run through the LSTM too
        else:
            packed = nn.utils.rnn.pack_padded_sequence(
                h, lengths.cpu().clamp(min=1), batch_first=True, enforce_sorted=False
            )
            h, _ = self.temporal(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=t)
        if code:
            pooled = h.mean(1)  # padded frames included, as the authors' pooling does
        else:
            w = valid.to(h.dtype)[..., None]
            pooled = (h * w).sum(1) / w.sum(1).clamp(min=1.0)
        return self.head(self.drop(pooled))


def build_model(cfg: ModelConfig | None = None, **overrides) -> nn.Module:
    """Factory: a :class:`PoseClassifier` from a config and/or field overrides, or, when ``streams`` includes
    video, a :class:`fslib.islr.video_models.VideoPoseClassifier`."""
    cfg = dataclasses.replace(cfg or ModelConfig(), **overrides)
    if cfg.streams != "pose":
        from .video_models import VideoPoseClassifier

        return VideoPoseClassifier(cfg)
    return PoseClassifier(cfg)
