"""The student: hand crops -> ResNet34 -> per-frame features -> 1D-CNN -> BiGRU -> CTC over the alphabet,
with a second CTC classifier after the 1D-CNN and a projection of the per-frame features into the teacher's
space for distillation. Only the RGB crops are needed at inference."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .backbones import resnet34
from .config import RecognizerConfig
from .heads import BiGRU, Classifier, TemporalConv, projection

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_input(frames: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (N, S, S, 3) RGB crops -> float (N, 3, size, size), ImageNet-normalised, channels_last.
    Resizing uses area averaging (an exact 2x2 mean for 64 -> 32)."""
    x = frames.permute(0, 3, 1, 2).float().div_(255.0)
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="area")
    mean = x.new_tensor(IMAGENET_MEAN)[None, :, None, None]
    std = x.new_tensor(IMAGENET_STD)[None, :, None, None]
    return ((x - mean) / std).contiguous(memory_format=torch.channels_last)


def valid_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """(B, T) bool: True for the first ``lengths[b]`` frames of each sequence."""
    return torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]


class Recognizer(nn.Module):
    """The fingerspelling recognizer.

    ``forward(images, lengths)``: images float (B, T, 3, s, s) as made by :func:`to_input` (or uint8
    (B, T, S, S, 3) crops, converted here), lengths (B,) int. Only the valid frames go through the backbone.
    Returns a dict: ``features`` (B, T, F) backbone features; ``cnn_logits`` and ``gru_logits`` (B, T, C)
    per-frame logits over the alphabet (C = letters + blank, blank = 0); ``projected`` (B, T, D) the
    features in the teacher's space (absent without a teacher); ``mask`` (B, T) valid frames.
    """

    def __init__(self, cfg: RecognizerConfig, classes: int, teacher_dim: int = 0):
        super().__init__()
        self.cfg, self.classes, self.teacher_dim = cfg, classes, teacher_dim
        self.backbone = resnet34(cfg.width, imagenet=cfg.imagenet)
        feat = self.backbone.out_dim
        self.pose_encoder = pose_encoder(cfg.pose_hidden) if cfg.pose_hidden else None
        self.temporal = TemporalConv(feat + cfg.pose_hidden, cfg.conv_channels, cfg.conv_kernel, cfg.conv_layers)
        self.cnn_classifier = Classifier(self.temporal.out_dim, classes, cfg.dropout)
        self.gru = BiGRU(self.temporal.out_dim, cfg.gru_hidden, cfg.gru_layers)
        self.gru_classifier = Classifier(self.gru.out_dim, classes, cfg.dropout)
        self.project = projection(feat, teacher_dim, cfg.projection) if teacher_dim else None
        self.backbone.to(memory_format=torch.channels_last)

    def encode_frames(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, s, s) float -> (N, F) per-frame features."""
        return self.backbone(images)

    def forward(
        self, images: torch.Tensor, lengths: torch.Tensor, pose: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        if images.dtype == torch.uint8:
            B, T = images.shape[:2]
            images = to_input(images.flatten(0, 1), self.cfg.input_size).unflatten(0, (B, T))
        B, T = images.shape[:2]
        mask = valid_mask(lengths.to(images.device), T)
        flat = images.flatten(0, 1)[mask.flatten()]
        enc = self.encode_frames(flat.contiguous(memory_format=torch.channels_last))
        # the buffer takes the features' dtype: under autocast (bf16 / fp16) they are not the input's float32
        feats = enc.new_zeros((B * T, enc.shape[-1]))
        feats[mask.flatten()] = enc
        feats = feats.view(B, T, -1)
        h = self.temporal(self.fuse(feats, pose), mask)
        out = {"features": feats, "mask": mask, "cnn_logits": self.cnn_classifier(h)}
        out["gru_logits"] = self.gru_classifier(self.gru(h, lengths))
        if self.project is not None:
            out["projected"] = self.project(feats)
        return out

    def fuse(self, feats: torch.Tensor, pose: torch.Tensor | None) -> torch.Tensor:
        """The 1D-CNN's input: the backbone features, with the landmark stream's encoding beside them in the
        two-stream model (``pose`` (B, T, 64) from :func:`fslib.recognizer.data.pose_vectors`)."""
        if self.pose_encoder is None:
            return feats
        if pose is None:
            raise ValueError("this two-stream recognizer needs the landmark stream: build its data with pose=True")
        return torch.cat([feats, self.pose_encoder(pose.to(feats.dtype))], -1)

    def parameter_counts(self) -> dict[str, int]:
        def n(m):
            return sum(p.numel() for p in m.parameters()) if m is not None else 0

        parts = {
            "backbone": n(self.backbone),
            "pose_stream": n(self.pose_encoder),
            "temporal_conv": n(self.temporal) + n(self.cnn_classifier),
            "bigru": n(self.gru) + n(self.gru_classifier),
            "projection": n(self.project),
        }
        parts["total"] = sum(parts.values())
        parts["inference"] = parts["total"] - parts["projection"]
        return parts


def pose_encoder(hidden: int) -> nn.Module:
    """The two-stream model's per-frame landmark encoder: 64 -> hidden -> hidden, ReLU after each layer."""
    from .data import POSE_DIM

    return nn.Sequential(nn.Linear(POSE_DIM, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


def build_recognizer(cfg: RecognizerConfig, classes: int, teacher_dim: int = 0) -> Recognizer:
    """The recognizer of ``cfg`` for an alphabet of ``classes`` outputs (blank included); ``teacher_dim`` > 0
    adds the distillation projection."""
    return Recognizer(cfg, classes, teacher_dim if cfg.distills else 0)
